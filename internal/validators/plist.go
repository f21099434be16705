package validators

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// appleDTD is Apple's plist 1.0 DTD (http://www.apple.com/DTDs/PropertyList-1.0.dtd),
// held locally: xmllint must validate offline.
//
//go:embed PropertyList-1.0.dtd
var appleDTD []byte

// Xmllint validates an XML plist against Apple's DTD with xmllint, offline,
// through an XML catalog that maps the DTD's public and system identifiers to
// the local copy.
func Xmllint(t testing.TB, data []byte) error {
	t.Helper()
	xmllint := Tool(t, "xmllint")
	dir := t.TempDir()
	dtd := writeFile(t, dir, "PropertyList-1.0.dtd", appleDTD, 0o644)
	file := writeFile(t, dir, "file.plist", data, 0o644)
	catalog := writeFile(t, dir, "catalog.xml", []byte(`<?xml version="1.0"?>
<catalog xmlns="urn:oasis:names:tc:entity:xmlns:xml:catalog">
  <public publicId="-//Apple//DTD PLIST 1.0//EN" uri="file://`+dtd+`"/>
  <system systemId="http://www.apple.com/DTDs/PropertyList-1.0.dtd" uri="file://`+dtd+`"/>
</catalog>
`), 0o644)
	cmd := exec.Command(xmllint, "--noout", "--nonet", "--valid", file)
	cmd.Env = append(os.Environ(), "XML_CATALOG_FILES="+catalog)
	if out, err := cmd.CombinedOutput(); err != nil || len(out) > 0 {
		return fmt.Errorf("xmllint: %v\n%s", err, out)
	}
	return nil
}

// plistlibScript loads a plist with Python's plistlib and prints it as JSON.
const plistlibScript = `
import json, plistlib, sys
print(json.dumps(plistlib.loads(open(sys.argv[1], "rb").read()), sort_keys=True))
`

// Plistlib parses a plist with Python's plistlib (it catches bad integers and
// missing values the DTD allows) and returns it decoded from JSON.
func Plistlib(t testing.TB, data []byte) (any, error) {
	t.Helper()
	py := Tool(t, "python3")
	file := writeFile(t, "", "file.plist", data, 0o644)
	out, err := exec.Command(py, "-c", plistlibScript, file).CombinedOutput()
	if err != nil {
		return nil, fmt.Errorf("plistlib: %v\n%s", err, out)
	}
	var v any
	if err := json.Unmarshal(out, &v); err != nil {
		return nil, fmt.Errorf("plistlib output: %v", err)
	}
	return v, nil
}

// Plistutil converts a plist to binary and back to XML with libplist's
// plistutil and returns the XML it wrote. plistutil exits 0 even when it fails
// and copies XML input unparsed with -f xml, so the binary step and its output
// are checked.
func Plistutil(t testing.TB, data []byte) ([]byte, error) {
	t.Helper()
	pu := Tool(t, "plistutil")
	dir := t.TempDir()
	in := writeFile(t, dir, "in.plist", data, 0o644)
	bin, back := filepath.Join(dir, "out.bin"), filepath.Join(dir, "back.plist")
	out, err := exec.Command(pu, "-i", in, "-o", bin, "-f", "bin").CombinedOutput()
	if err != nil || strings.Contains(strings.ToUpper(string(out)), "ERROR") {
		return nil, fmt.Errorf("plistutil to binary: %v\n%s", err, out)
	}
	b, err := os.ReadFile(bin)
	if err != nil || len(b) < 8 || string(b[:6]) != "bplist" {
		return nil, fmt.Errorf("plistutil wrote no binary plist (%v)", err)
	}
	out, err = exec.Command(pu, "-i", bin, "-o", back, "-f", "xml").CombinedOutput()
	if err != nil || strings.Contains(strings.ToUpper(string(out)), "ERROR") {
		return nil, fmt.Errorf("plistutil to XML: %v\n%s", err, out)
	}
	return os.ReadFile(back)
}
