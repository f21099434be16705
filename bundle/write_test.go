package bundle

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mdeproxyc/mdeproxyc/bundle/internal/bundletest"
	"github.com/mdeproxyc/mdeproxyc/bundle/manifest"
	"github.com/mdeproxyc/mdeproxyc/bundle/outdir"
	"github.com/mdeproxyc/mdeproxyc/emitters"
	"github.com/mdeproxyc/mdeproxyc/model"
)

// TestWriteLeftover: when the previous bundle cannot be removed after the
// swap (a read-only folder in it), Write returns the manifest (the new bundle
// is in place) and a outdir.LeftoverError naming the folder left.
func TestWriteLeftover(t *testing.T) {
	out := filepath.Join(t.TempDir(), "dist")
	one := []*model.Profile{{Name: "one"}}
	if _, err := Write(out, one, nil); err != nil {
		t.Fatal(err)
	}
	removeAll = func(string) error { return errors.New("permission denied") }
	defer func() { removeAll = outdir.RemoveTree }()
	m, err := Write(out, []*model.Profile{{Name: "two"}}, nil)
	var left *outdir.LeftoverError
	if m == nil || !errors.As(err, &left) || !strings.HasPrefix(filepath.Base(left.Dir), outdir.TempPrefix) {
		t.Fatalf("got %v, %v", m, err)
	}
	if _, err := os.Stat(filepath.Join(left.Dir, manifest.Path)); err != nil {
		t.Errorf("the folder named is not the previous bundle: %v", err)
	}
	if !outdir.IsBundle(out) {
		t.Error("the new bundle is not in place")
	}
}

// TestCancel: a build whose context is cancelled writes nothing more, does
// not take out's place, and removes its temporary folder; out is untouched.
func TestCancel(t *testing.T) {
	parent := t.TempDir()
	out := filepath.Join(parent, "dist")
	list := []emitters.Emitter{bundletest.TwoFiles{}}
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
	if m, _ := filepath.Glob(filepath.Join(parent, outdir.TempPrefix+"*")); len(m) > 0 {
		t.Errorf("temporary folders left: %v", m)
	}
	tmp, err := outdir.NewTemp(parent)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tmp.Commit(ctx, out); !errors.Is(err, context.Canceled) {
		t.Errorf("commit after cancel: %v", err)
	}
	if err := (folder{outdir.NewFolder(ctx, tmp.Path)}).Put(File{Path: "x"}); !errors.Is(err, context.Canceled) {
		t.Errorf("Put after cancel: %v", err)
	}
	tmp.Release()
	if _, err := os.Stat(tmp.Path); !os.IsNotExist(err) {
		t.Errorf("the temporary folder is still there: %v", err)
	}
}
