package golden

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// recorder is a testing.TB that keeps what a check reports, so the tests can
// assert that a difference is reported, and how.
type recorder struct {
	testing.TB
	errs []string
}

func (r *recorder) Errorf(format string, args ...any) {
	r.errs = append(r.errs, strings.TrimSpace(sprintf(format, args...)))
}
func (r *recorder) Helper() {}

func TestTreeReportsBoundedDiffs(t *testing.T) {
	t.Setenv(Env, "")
	root := t.TempDir()
	var long strings.Builder
	for i := range 500 {
		long.WriteString(strings.Repeat("x", i%7) + "\n")
	}
	os.WriteFile(filepath.Join(root, "a.txt"), []byte(long.String()), 0o644)
	os.WriteFile(filepath.Join(root, "gone.txt"), []byte("old\n"), 0o644)
	os.WriteFile(filepath.Join(root, "bin"), []byte{0xff, 0xfe, 'a', 0}, 0o644)
	r := &recorder{TB: t}
	Tree(r, root, map[string][]byte{
		"a.txt": []byte(strings.ReplaceAll(long.String(), "x", "y")),
		"bin":   {0xff, 0xfe, 'b', 0},
		"new":   []byte("n\n"),
	})
	if len(r.errs) != 4 {
		t.Fatalf("want 4 reports (a.txt, bin, new, gone.txt), got %d:\n%s", len(r.errs), strings.Join(r.errs, "\n---\n"))
	}
	if n := strings.Count(r.errs[0], "\n"); n > MaxDiffLines+2 || !strings.Contains(r.errs[0], "more diff lines") {
		t.Errorf("a.txt's diff is not bounded (%d lines):\n%s", n, r.errs[0])
	}
	if !strings.Contains(r.errs[1], "first difference at byte 2") {
		t.Errorf("bin: %s", r.errs[1])
	}
	if !strings.Contains(r.errs[3], "gone.txt is no longer produced") {
		t.Errorf("gone.txt: %s", r.errs[3])
	}
}

func TestTreeUpdates(t *testing.T) {
	t.Setenv(Env, "1")
	root := t.TempDir()
	os.WriteFile(filepath.Join(root, "gone.txt"), []byte("old\n"), 0o644)
	Tree(t, root, map[string][]byte{"sub/new.txt": []byte("n\r\n")})
	if b, err := os.ReadFile(filepath.Join(root, "sub", "new.txt")); err != nil || string(b) != "n\r\n" {
		t.Errorf("new.txt: %q %v", b, err)
	}
	if _, err := os.Stat(filepath.Join(root, "gone.txt")); !os.IsNotExist(err) {
		t.Errorf("gone.txt was kept: %v", err)
	}
	t.Setenv(Env, "")
	r := &recorder{TB: t}
	Tree(r, root, map[string][]byte{"sub/new.txt": []byte("n\r\n")})
	if len(r.errs) != 0 {
		t.Errorf("after an update the tree still differs: %v", r.errs)
	}
}

func sprintf(format string, args ...any) string { return fmt.Sprintf(format, args...) }

// TestManifestDiffIsNotToBeAccepted: a differing golden manifest says that a
// changed digest is a change of behaviour to explain, and does not offer the
// rewrite that every other golden file's message offers.
func TestManifestDiffIsNotToBeAccepted(t *testing.T) {
	t.Setenv(Env, "")
	root := t.TempDir()
	os.WriteFile(filepath.Join(root, "manifest.json"), []byte(`{"digest": "sha256:1"}`+"\n"), 0o644)
	os.WriteFile(filepath.Join(root, "other.txt"), []byte("a\n"), 0o644)
	r := &recorder{TB: t}
	Check(r, filepath.Join(root, "manifest.json"), []byte(`{"digest": "sha256:2"}`+"\n"))
	Check(r, filepath.Join(root, "other.txt"), []byte("b\n"))
	if len(r.errs) != 2 {
		t.Fatalf("want 2 reports, got %d: %v", len(r.errs), r.errs)
	}
	if m := r.errs[0]; !strings.Contains(m, "change of behaviour") || strings.Contains(m, "rewrites it") || !strings.Contains(m, "sha256:2") {
		t.Errorf("the manifest's report: %s", m)
	}
	if m := r.errs[1]; !strings.Contains(m, "rewrites it") {
		t.Errorf("another file's report: %s", m)
	}
}
