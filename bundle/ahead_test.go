package bundle

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/mdeproxyc/mdeproxyc/bundle/manifest"
	"github.com/mdeproxyc/mdeproxyc/model"
)

// TestReadAheadIsUsedOnlyForTheManifestItRead: what ReadAhead read is what
// Update uses while out still holds that very manifest file, and is dropped
// (Update reads the manifest again) once the file is another one or was
// written since.
func TestReadAheadIsUsedOnlyForTheManifestItRead(t *testing.T) {
	f := newAB(t)
	if _, err := Update(context.Background(), f.out, f.profiles, f.list, Options{}); err != nil {
		t.Fatal(err)
	}
	if a := ReadAhead(f.out, Options{Full: true}); a != nil {
		t.Error("ReadAhead read a manifest for a full build, which reads none")
	}
	a := ReadAhead(f.out, Options{})
	if a == nil {
		t.Fatal("ReadAhead found no manifest to read")
	}
	if got := a.previous(f.out); got == nil || got != a.pv {
		t.Fatalf("previous() = %p, want what was read (%p)", got, a.pv)
	}
	if got := a.previous(f.want); got != nil {
		t.Error("previous() of another folder returned what was read of out")
	}

	// The same bytes written again, later: the same file, another time.
	name := filepath.Join(f.out, manifest.Path)
	data, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(name, data, 0o644); err != nil {
		t.Fatal(err)
	}
	later := a.pv.file.ModTime().Add(time.Second)
	if err := os.Chtimes(name, later, later); err != nil {
		t.Fatal(err)
	}
	if got := a.previous(f.out); got != nil {
		t.Error("previous() returned what was read before the manifest was written again")
	}

	// Another build's bundle swapped in: another manifest file.
	a = ReadAhead(f.out, Options{})
	edited := []*model.Profile{f.profiles[0], {Name: "b", Description: "second, edited"}}
	if _, err := Update(context.Background(), f.out, edited, f.list, Options{}); err != nil {
		t.Fatal(err)
	}
	if got := a.previous(f.out); got != nil {
		t.Error("previous() returned the manifest of the bundle another build replaced")
	}
}

// TestPartialBuildWithAStaleReadAhead: a build -p a whose read-ahead
// manifest was replaced (another build edited profile b in between) keeps b
// as the bundle now holds it. Built on what was read ahead, it would find
// b's files unlike their (stale) entries and refuse to keep b.
func TestPartialBuildWithAStaleReadAhead(t *testing.T) {
	f := newAB(t)
	if _, err := Update(context.Background(), f.out, f.profiles, f.list, Options{}); err != nil {
		t.Fatal(err)
	}
	a := ReadAhead(f.out, Options{})
	edited := []*model.Profile{f.profiles[0], {Name: "b", Description: "second, edited"}}
	if _, err := Update(context.Background(), f.out, edited, f.list, Options{}); err != nil {
		t.Fatal(err)
	}
	r, err := Update(context.Background(), f.out, f.profiles[:1], f.list, Options{Partial: true, Ahead: a})
	if err != nil {
		t.Fatalf("build -p a: %v", err)
	}
	if r.Kept != 1 {
		t.Errorf("kept %d profiles, want 1 (b)", r.Kept)
	}
	if _, err := Update(context.Background(), f.want, edited, f.list, Options{Full: true}); err != nil {
		t.Fatal(err)
	}
	if d := diffTrees(t, f.want, f.out); d != "" {
		t.Errorf("the bundle is not a full build of a and the edited b: %s", d)
	}
}
