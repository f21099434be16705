package main

import (
	"bytes"
	"flag"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/mdeproxyc/mdeproxyc/bundle"
	"github.com/mdeproxyc/mdeproxyc/compile"
	"github.com/mdeproxyc/mdeproxyc/emitters/all"
)

var updateGolden = flag.Bool("update", false, "rewrite golden files and scripts")

const goldenDir = "../../testdata/golden/contoso"

func buildExample(t *testing.T) *bundle.Bundle {
	t.Helper()
	ps, diags := compile.Dir("../../examples/contoso", compile.Options{})
	if len(diags) > 0 {
		t.Fatal(diags.Error())
	}
	b, err := bundle.Assemble(ps, all.Emitters())
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestGoldenBundle compares every byte of the example fleet's bundle with the
// golden copy in testdata (CRLF and UTF-16 included); -update rewrites it.
func TestGoldenBundle(t *testing.T) {
	b := buildExample(t)
	if *updateGolden {
		if err := os.RemoveAll(goldenDir); err != nil {
			t.Fatal(err)
		}
		if err := b.Write(goldenDir); err != nil {
			t.Fatal(err)
		}
		return
	}
	want := map[string]bool{}
	for _, f := range b.Files {
		want[f.Path] = true
		got, err := os.ReadFile(filepath.Join(goldenDir, filepath.FromSlash(f.Path)))
		if err != nil {
			t.Errorf("%s: %v (run go test ./cmd/mdeproxyc -run Golden -update)", f.Path, err)
			continue
		}
		if !bytes.Equal(got, f.Data) {
			d, _ := b.Check(goldenDir)
			t.Errorf("%s differs from the golden file; diff:\n%s", f.Path, d)
		}
	}
	filepath.WalkDir(goldenDir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(goldenDir, p)
			if !want[filepath.ToSlash(rel)] {
				t.Errorf("golden file %s is no longer produced", rel)
			}
		}
		return nil
	})
}

// TestDeterministic builds twice, once on one core, and compares every byte:
// no map order, scheduling or clock may leak into output.
func TestDeterministic(t *testing.T) {
	a := buildExample(t)
	prev := runtime.GOMAXPROCS(1)
	b := buildExample(t)
	runtime.GOMAXPROCS(prev)
	if len(a.Files) != len(b.Files) {
		t.Fatalf("%d files vs %d", len(a.Files), len(b.Files))
	}
	for i := range a.Files {
		if a.Files[i].Path != b.Files[i].Path || !bytes.Equal(a.Files[i].Data, b.Files[i].Data) {
			t.Errorf("run 2 differs at %s", a.Files[i].Path)
		}
	}
}
