package bundle

import (
	"bytes"
	"fmt"
	"strings"
)

// maxIntuneScript is the largest script Intune accepts, in bytes: Microsoft
// Learn, "Use PowerShell scripts on Windows devices in Intune", gives 200 KB;
// read as 200,000 bytes, the stricter reading (docs/cli-safety.md).
const maxIntuneScript = 200_000

// intuneScriptMembers are the Graph body members that carry a script, base64.
var intuneScriptMembers = []string{"scriptContent", "detectionScriptContent", "remediationScriptContent"}

// CheckLimits fails a build whose Intune body carries a script over
// Intune's limit, naming the profile: Graph would accept the upload, and the
// device would never run it. The size is computed from the length of the
// base64 text, found by its member name; nothing is decoded (a full JSON parse
// of every body cost a measurable share of a large build).
func CheckLimits(f File) error {
	if f.Target != "intune" || !strings.HasSuffix(f.Path, ".json") {
		return nil
	}
	for _, k := range intuneScriptMembers {
		b64, ok := jsonStringMember(f.Data, k)
		if !ok {
			continue
		}
		n := len(b64)/4*3 - (len(b64) - len(bytes.TrimRight(b64, "=")))
		if n > maxIntuneScript {
			return fmt.Errorf("profile %s: intune: %s: the script in %s is %d bytes, over the %d bytes Intune accepts; shorten the bypass lists or the PAC URL, or deploy with another target", f.Profile, f.Path, k, n, maxIntuneScript)
		}
	}
	return nil
}

// jsonStringMember returns the raw text of the string member name of a JSON
// document whose strings of interest hold no escapes (base64), or false.
func jsonStringMember(doc []byte, name string) ([]byte, bool) {
	key := []byte(`"` + name + `"`)
	i := bytes.Index(doc, key)
	if i < 0 {
		return nil, false
	}
	rest := bytes.TrimLeft(doc[i+len(key):], " \t\r\n")
	if len(rest) == 0 || rest[0] != ':' {
		return nil, false
	}
	rest = bytes.TrimLeft(rest[1:], " \t\r\n")
	if len(rest) == 0 || rest[0] != '"' {
		return nil, false
	}
	end := bytes.IndexByte(rest[1:], '"')
	if end < 0 {
		return nil, false
	}
	return rest[1 : 1+end], true
}
