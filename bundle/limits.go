package bundle

import (
	"encoding/json"
	"fmt"
	"strings"
)

// maxIntuneScript is the largest script Intune accepts, in bytes: Microsoft
// Learn, "Use PowerShell scripts on Windows devices in Intune", gives 200 KB;
// read as 200,000 bytes, the stricter reading (docs/cli-safety.md).
const maxIntuneScript = 200_000

// intuneScriptMembers are the Graph body members that carry a script, base64.
var intuneScriptMembers = []string{"scriptContent", "detectionScriptContent", "remediationScriptContent"}

// checkIntuneScripts fails a build whose Intune body carries a script over
// Intune's limit, naming the profile: Graph would accept the upload, and the
// device would never run it. The size is computed from the base64 text's
// length, without decoding it.
func checkIntuneScripts(f File) error {
	if f.Target != "intune" || !strings.HasSuffix(f.Path, ".json") {
		return nil
	}
	var body map[string]json.RawMessage
	if err := json.Unmarshal(f.Data, &body); err != nil {
		return nil // not a Graph body (custom-configuration.json is one too, without a script)
	}
	for _, k := range intuneScriptMembers {
		var b64 string
		if raw, ok := body[k]; !ok || json.Unmarshal(raw, &b64) != nil {
			continue
		}
		n := len(b64)/4*3 - (len(b64) - len(strings.TrimRight(b64, "=")))
		if n > maxIntuneScript {
			return fmt.Errorf("profile %s: intune: %s: the script in %s is %d bytes, over the %d bytes Intune accepts; shorten the bypass lists or the PAC URL, or deploy with another target", f.Profile, f.Path, k, n, maxIntuneScript)
		}
	}
	return nil
}
