package psscripts

import (
	"strings"
	"testing"
)

// TestMpPreferenceNotManaged: every script reads the Antivirus preferences
// through Get-MpProxyPreference. Applying, recording and checking them ask
// for them only inside an `if ($MpPreference.Manage…)` block, so a profile
// that does not manage Antivirus neither reads, changes, records nor checks
// them (docs/windows.md, "Managed and not managed"). The reader itself has no
// such guard: -Undo restores what the record holds, and a profile that
// managed Antivirus at the first apply may not any more; a guarded reader made
// that undo fail on every run and never finish.
func TestMpPreferenceNotManaged(t *testing.T) {
	for name, src := range map[string]string{"Common.ps1": commonSource, "Detect-MdeProxy-ConfigMgr.ps1": detectSource} {
		body, ok := functions(src)["Get-MpProxyPreference"]
		if !ok {
			t.Errorf("%s: no Get-MpProxyPreference", name)
			continue
		}
		if strings.Contains(code(body), "$MpPreference.Manage") {
			t.Errorf("%s: Get-MpProxyPreference answers according to the profile: -Undo cannot restore a record once Antivirus is not managed:\n%s", name, body)
		}
	}
	calls := 0
	for name, src := range map[string]string{"Set-MdeProxy.ps1": setSource, "Test-MdeProxy.ps1": testSource,
		"Common.ps1": commonSource, "Detect-MdeProxy-ConfigMgr.ps1": detectSource} {
		// The reader, the undo's restore (which goes by the record) and the
		// apply's setter (checked where it is called) are left out.
		rest := src
		for _, f := range []string{"Get-MpProxyPreference", "Restore-MpPreference", "Set-MpProxyPreference"} {
			if body := functions(src)[f]; body != "" {
				rest = strings.Replace(rest, body, "", 1)
			}
		}
		lines := strings.Split(rest, "\n")
		for i, line := range lines {
			l := strings.TrimSpace(line)
			if strings.HasPrefix(l, "#") {
				continue
			}
			if strings.Contains(l, "Get-MpPreference") {
				t.Errorf("%s: line %d reads the preferences outside Get-MpProxyPreference: %s", name, i+1, l)
			}
			if !strings.Contains(l, "Get-MpProxyPreference") && !strings.Contains(l, "Set-MpProxyPreference") {
				continue
			}
			calls++
			if !insideManageBlock(lines, i) {
				t.Errorf("%s: line %d asks for the Antivirus preferences outside an `if ($MpPreference.Manage…)` block: %s", name, i+1, l)
			}
		}
	}
	if calls < 4 {
		t.Errorf("found %d calls to check: the scan reads nothing", calls)
	}
}

// insideManageBlock reports whether line i sits in a block opened by an `if`
// whose condition tests $MpPreference.Manage, judged by indentation: the
// nearest less-indented line above it.
func insideManageBlock(lines []string, i int) bool {
	indent := func(s string) int { return len(s) - len(strings.TrimLeft(s, " \t")) }
	want := indent(lines[i])
	if strings.Contains(lines[i], "if (") && strings.Contains(lines[i], "$MpPreference.Manage") {
		return true
	}
	for j := i - 1; j >= 0; j-- {
		if strings.TrimSpace(lines[j]) == "" || indent(lines[j]) >= want {
			continue
		}
		l := strings.TrimSpace(lines[j])
		if strings.HasPrefix(l, "if (") && strings.Contains(l, "$MpPreference.Manage") {
			return true
		}
		want = indent(lines[j])
		if strings.HasPrefix(l, "function ") || want == 0 {
			return false
		}
	}
	return false
}

// code is src without its comment lines.
func code(src string) string {
	var out []string
	for _, l := range strings.Split(src, "\n") {
		if !strings.HasPrefix(strings.TrimSpace(l), "#") {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
