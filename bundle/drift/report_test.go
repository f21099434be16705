package drift

import "testing"

// TestFileChange: added and removed files are told apart whatever the diff's
// first header line is, text or binary.
func TestFileChange(t *testing.T) {
	for d, want := range map[string]string{
		"diff a/x /dev/null\n--- a/x\n+++ /dev/null\n@@ -1 +0,0 @@\n-hi\n":                   "removed",
		"diff /dev/null b/x\n--- /dev/null\n+++ b/x\n@@ -0,0 +1 @@\n+hi\n":                   "added",
		"--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n+b\n":                                            "changed",
		"Binary files a/x and /dev/null differ\n":                                            "removed",
		"Binary files /dev/null and b/x differ\n":                                            "added",
		"--- a/p/zero\n+++ /dev/null\na symbolic link, not shown; a build would remove it\n": "removed",
	} {
		if got := fileChange([]byte(d)); got != want {
			t.Errorf("%q: %s, want %s", d, got, want)
		}
	}
}
