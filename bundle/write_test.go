package bundle

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mdeproxyc/mdeproxyc/bundle/manifest"
	"github.com/mdeproxyc/mdeproxyc/emitters"
	"github.com/mdeproxyc/mdeproxyc/model"
)

// TestRemoveStale: a temporary folder no running build holds a lock on is
// removed, however new; one a running build holds is kept, however old.
func TestRemoveStale(t *testing.T) {
	parent := t.TempDir()
	dead := filepath.Join(parent, tempPrefix+"dead")
	live := filepath.Join(parent, tempPrefix+"live")
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
	removeStale(parent)
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

// TestWriteLeftover: when the previous bundle cannot be removed after the
// swap (a read-only folder in it), Write returns the manifest (the new bundle
// is in place) and a LeftoverError naming the folder left.
func TestWriteLeftover(t *testing.T) {
	out := filepath.Join(t.TempDir(), "dist")
	one := []*model.Profile{{Name: "one"}}
	if _, err := Write(out, one, nil); err != nil {
		t.Fatal(err)
	}
	removeAll = func(string) error { return errors.New("permission denied") }
	defer func() { removeAll = removeTree }()
	m, err := Write(out, []*model.Profile{{Name: "two"}}, nil)
	var left *LeftoverError
	if m == nil || !errors.As(err, &left) || !strings.HasPrefix(filepath.Base(left.Dir), tempPrefix) {
		t.Fatalf("got %v, %v", m, err)
	}
	if _, err := os.Stat(filepath.Join(left.Dir, manifest.Path)); err != nil {
		t.Errorf("the folder named is not the previous bundle: %v", err)
	}
	if !IsBundle(out) {
		t.Error("the new bundle is not in place")
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
		if _, err := resolveOut(c.out); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("resolveOut(%q) = %v, want %q", c.out, err, c.want)
		}
	}
	os.Mkdir("real", 0o755)
	os.Symlink("real", "link")
	if got, err := resolveOut("link"); err != nil || got != "real" {
		t.Errorf("a symlink to a folder: %q, %v", got, err)
	}
	os.WriteFile("file", nil, 0o644)
	os.Symlink("file", "tofile")
	if _, err := resolveOut("tofile"); err == nil || !strings.Contains(err.Error(), "which is not a folder") {
		t.Errorf("a symlink to a file: %v", err)
	}
}

// TestCancel: a build whose context is cancelled writes nothing more, does
// not take out's place, and removes its temporary folder; out is untouched.
func TestCancel(t *testing.T) {
	parent := t.TempDir()
	out := filepath.Join(parent, "dist")
	list := []emitters.Emitter{twoFiles{}}
	if _, err := Update(context.Background(), out, []*model.Profile{{Name: "a", Description: "first"}}, list, Options{}); err != nil {
		t.Fatal(err)
	}
	before, err := os.ReadFile(filepath.Join(out, manifest.Path))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Update(ctx, out, []*model.Profile{{Name: "a", Description: "second"}}, list, Options{}); !errors.Is(err, context.Canceled) {
		t.Errorf("Update after cancel: %v", err)
	}
	if after, err := os.ReadFile(filepath.Join(out, manifest.Path)); err != nil || !bytes.Equal(after, before) {
		t.Errorf("the bundle changed: %v", err)
	}
	if m, _ := filepath.Glob(filepath.Join(parent, tempPrefix+"*")); len(m) > 0 {
		t.Errorf("temporary folders left: %v", m)
	}
	tmp, err := newTemp(parent)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tmp.commit(ctx, out); !errors.Is(err, context.Canceled) {
		t.Errorf("commit after cancel: %v", err)
	}
	if err := (&folder{ctx: ctx, root: tmp.path}).Put(File{Path: "x"}); !errors.Is(err, context.Canceled) {
		t.Errorf("Put after cancel: %v", err)
	}
	tmp.release()
	if _, err := os.Stat(tmp.path); !os.IsNotExist(err) {
		t.Errorf("the temporary folder is still there: %v", err)
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
	if err := removeTree(dir); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Lstat(dir); !os.IsNotExist(err) {
		t.Errorf("%s is still there: %v", dir, err)
	}
	if data, err := os.ReadFile(outside); err != nil || string(data) != "keep" {
		t.Errorf("the symlink's target was touched: %q, %v", data, err)
	}
}
