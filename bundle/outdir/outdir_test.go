package outdir

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestRemoveStale: a temporary folder no running build holds a lock on is
// removed, however new; one a running build holds is kept, however old.
func TestRemoveStale(t *testing.T) {
	parent := t.TempDir()
	dead := filepath.Join(parent, TempPrefix+"dead")
	live := filepath.Join(parent, TempPrefix+"live")
	other := filepath.Join(parent, "keep")
	for _, d := range []string{dead, live, other} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	unlock, err := lockLive(live)
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	RemoveStale(parent)
	if _, err := os.Stat(dead); !os.IsNotExist(err) {
		t.Error("an unlocked temporary folder was kept")
	}
	for _, d := range []string{live, other} {
		if _, err := os.Stat(d); err != nil {
			t.Errorf("%s was removed", d)
		}
	}
}

// fakeRenames fails the rename number failAt (1-based) and any later one in
// fails, and records the calls.
type fakeRenames struct {
	fail  map[int]bool
	calls []string
}

func (f *fakeRenames) rename(from, to string) error {
	f.calls = append(f.calls, filepath.Base(from)+">"+filepath.Base(to))
	if f.fail[len(f.calls)] {
		return errors.New("sharing violation")
	}
	return nil
}

// TestSwapFallback covers the two-rename swap Windows and macOS use, with a
// failure at each step: the result says truly where each bundle is.
func TestSwapFallback(t *testing.T) {
	for _, c := range []struct {
		name  string
		fail  map[int]bool
		calls string
		check func(error) bool
	}{
		{"ok", nil, "out>tmp.old tmp>out tmp.old>tmp", func(err error) bool { return err == nil }},
		// A file open in out on Windows: nothing moved, out untouched.
		{"out busy", map[int]bool{1: true}, "out>tmp.old", func(err error) bool {
			var m *MovedError
			var l *LeftoverError
			return err != nil && !errors.As(err, &m) && !errors.As(err, &l)
		}},
		// The new bundle cannot move in: the old one moves back.
		{"new busy", map[int]bool{2: true}, "out>tmp.old tmp>out tmp.old>out", func(err error) bool {
			var m *MovedError
			var l *LeftoverError
			return err != nil && !errors.As(err, &m) && !errors.As(err, &l)
		}},
		// ... and cannot move back: the error names where it is.
		{"stuck", map[int]bool{2: true, 3: true}, "out>tmp.old tmp>out tmp.old>out", func(err error) bool {
			var m *MovedError
			return errors.As(err, &m) && strings.HasSuffix(m.Dir, "tmp.old") && strings.Contains(err.Error(), "rename it back to")
		}},
		// The swap is done; only the old bundle's move to tmp failed.
		{"leftover", map[int]bool{3: true}, "out>tmp.old tmp>out tmp.old>tmp", func(err error) bool {
			var l *LeftoverError
			return errors.As(err, &l) && strings.HasSuffix(l.Dir, "tmp.old")
		}},
	} {
		f := &fakeRenames{fail: c.fail}
		err := swapFallback("/x/tmp", "/x/out", f.rename)
		if got := strings.Join(f.calls, " "); got != c.calls {
			t.Errorf("%s: renames %s, want %s", c.name, got, c.calls)
		}
		if !c.check(err) {
			t.Errorf("%s: wrong error %T %v", c.name, err, err)
		}
	}
}

// TestResolveOut: an empty --out, the current folder and a folder holding it
// are refused with a message naming the path and what to do; a symlink to a
// folder is resolved.
func TestResolveOut(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	for _, c := range []struct{ out, want string }{
		{"", "the output folder is empty"},
		{".", ". is the current folder or holds it; build replaces --out as a whole: point it at a subfolder (-o dist)"},
		{"..", ".. is the current folder or holds it"},
		{"/", "/ is the root of a file system"},
	} {
		if _, err := Resolve(c.out); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Resolve(%q) = %v, want %q", c.out, err, c.want)
		}
	}
	os.Mkdir("real", 0o755)
	os.Symlink("real", "link")
	if got, err := Resolve("link"); err != nil || got != "real" {
		t.Errorf("a symlink to a folder: %q, %v", got, err)
	}
	os.WriteFile("file", nil, 0o644)
	os.Symlink("file", "tofile")
	if _, err := Resolve("tofile"); err == nil || !strings.Contains(err.Error(), "which is not a folder") {
		t.Errorf("a symlink to a file: %v", err)
	}
}

// TestRemoveTree: the folder and everything in it go, in parallel; a symlink
// in it is removed, not followed.
func TestRemoveTree(t *testing.T) {
	root := t.TempDir()
	outside := filepath.Join(root, "outside.txt")
	if err := os.WriteFile(outside, []byte("keep"), 0o644); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(root, "old")
	for i := range 20 {
		p := filepath.Join(dir, "p"+string(rune('a'+i)), "windows", "intune")
		if err := os.MkdirAll(p, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(p, "f.json"), []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink(outside, filepath.Join(dir, "pa", "link")); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "manifest.json"), []byte("{}"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := RemoveTree(dir); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Lstat(dir); !os.IsNotExist(err) {
		t.Errorf("%s is still there: %v", dir, err)
	}
	if data, err := os.ReadFile(outside); err != nil || string(data) != "keep" {
		t.Errorf("the symlink's target was touched: %q, %v", data, err)
	}
}
