package validators

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"testing"
)

// PolEntry is one Registry.pol record as Samba's PReg parser read it.
type PolEntry struct {
	Key   string `json:"key"`
	Name  string `json:"name"`
	Type  int    `json:"type"`
	Size  int    `json:"size"`
	Str   string `json:"str"`
	DWord uint32 `json:"dword"`
}

// PolFile is what Samba read from a Registry.pol file.
type PolFile struct {
	Signature string     `json:"signature"`
	Version   int        `json:"version"`
	Entries   []PolEntry `json:"entries"`
	// Roundtrip is true when Samba re-encodes the parsed file byte-identically:
	// its parser accepts some malformed input that then does not re-encode.
	Roundtrip bool `json:"roundtrip"`
}

// sambaScript unpacks a PReg file with Samba's NDR parser and prints it as JSON.
const sambaScript = `
import json, sys
from samba.dcerpc import preg
from samba.ndr import ndr_unpack, ndr_pack
data = open(sys.argv[1], "rb").read()
p = ndr_unpack(preg.file, data)
out = {"signature": p.header.signature, "version": p.header.version,
       "roundtrip": ndr_pack(p) == data, "entries": []}
for e in p.entries:
    x = {"key": e.keyname, "name": e.valuename, "type": e.type, "size": e.size, "str": "", "dword": 0}
    if isinstance(e.data, int):
        x["dword"] = e.data
    elif isinstance(e.data, str):
        x["str"] = e.data
    else:
        x["str"] = repr(e.data)
    out["entries"].append(x)
print(json.dumps(out))
`

// SambaPReg parses a Registry.pol file with Samba's PReg parser (Debian's
// /usr/bin/python3 with python3-samba).
func SambaPReg(t testing.TB, data []byte) (*PolFile, error) {
	t.Helper()
	py := "/usr/bin/python3"
	if _, err := os.Stat(py); err != nil {
		Missing(t, "/usr/bin/python3 is not installed")
	}
	if err := exec.Command(py, "-c", "from samba.dcerpc import preg").Run(); err != nil {
		Missing(t, "python3-samba is not installed (.ci/run installs it)")
	}
	file := writeFile(t, "", "Registry.pol", data, 0o644)
	out, err := exec.Command(py, "-c", sambaScript, file).Output()
	if err != nil {
		var stderr []byte
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = ee.Stderr
		}
		return nil, fmt.Errorf("samba rejected the file: %v\n%s", err, stderr)
	}
	var pf PolFile
	if err := json.Unmarshal(out, &pf); err != nil {
		return nil, fmt.Errorf("samba output: %v", err)
	}
	return &pf, nil
}
