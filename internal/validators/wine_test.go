package validators

import "testing"

// TestLaunchFailedIsNarrow: Run starts a program again only when Wine's
// launcher says it never started it; what reg.exe and cmd.exe print about
// their own work (a verdict the tests depend on) never matches.
func TestLaunchFailedIsNarrow(t *testing.T) {
	// As printed in CI on 2026-12-07 by `wine reg import`.
	ci := "Application could not be started, or no application associated with the specified file.\r\nShellExecuteEx failed: Internal error.\r\n"
	if !launchFailed.MatchString(ci) {
		t.Errorf("the launcher's message of the CI failure does not match: %q", ci)
	}
	for _, verdict := range []string{
		"reg: Unable to import the registry file\r\n",
		"reg: Unable to find the specified registry key or value\r\n",
		"The operation completed successfully.\r\n",
		"Unrecognized escape sequence [\\q]\r\n",
		"",
	} {
		if launchFailed.MatchString(verdict) {
			t.Errorf("a program's own output counts as a launch failure: %q", verdict)
		}
	}
}
