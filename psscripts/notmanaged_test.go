package psscripts

import (
	"strings"
	"testing"
)

// TestMpPreferenceNotManaged: every script reads the Antivirus preferences
// through Get-MpProxyPreference, and every step on them (apply, record,
// check, undo) goes on only when it returns something. Its first statement
// returns $null when the data block says Antivirus is not managed
// (docs/windows.md, "Managed and not managed"), before any Mp cmdlet runs.
func TestMpPreferenceNotManaged(t *testing.T) {
	guard := []string{
		"if (-not $MpPreference.Manage) {",
		"return $null",
		"}",
	}
	for name, src := range map[string]string{"Common.ps1": commonSource, "Detect-MdeProxy-ConfigMgr.ps1": detectSource} {
		body, ok := functions(src)["Get-MpProxyPreference"]
		if !ok {
			t.Errorf("%s: no Get-MpProxyPreference", name)
			continue
		}
		var statements []string
		for _, line := range strings.Split(body, "\n")[1:] {
			if l := strings.TrimSpace(line); l != "" && !strings.HasPrefix(l, "#") {
				statements = append(statements, l)
			}
		}
		if len(statements) < len(guard) || strings.Join(statements[:len(guard)], "\n") != strings.Join(guard, "\n") {
			t.Errorf("%s: Get-MpProxyPreference does not start with the not-managed guard:\n%s", name, body)
		}
	}
	for name, src := range map[string]string{"Set-MdeProxy.ps1": setSource, "Test-MdeProxy.ps1": testSource,
		"Common.ps1": commonSource, "Detect-MdeProxy-ConfigMgr.ps1": detectSource} {
		rest := strings.Replace(src, functions(src)["Get-MpProxyPreference"], "", 1)
		for i, line := range strings.Split(rest, "\n") {
			if l := strings.TrimSpace(line); !strings.HasPrefix(l, "#") && strings.Contains(l, "Get-MpPreference") {
				t.Errorf("%s: line %d reads the preferences outside Get-MpProxyPreference: %s", name, i+1, l)
			}
		}
	}
}
