package main

import (
	"bytes"
	"flag"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/mdeproxyc/mdeproxyc/bundle"
	"github.com/mdeproxyc/mdeproxyc/compile"
	"github.com/mdeproxyc/mdeproxyc/emitters/all"
	"github.com/mdeproxyc/mdeproxyc/emitters/pol"
	"github.com/mdeproxyc/mdeproxyc/internal/validators"
	"github.com/mdeproxyc/mdeproxyc/model"
)

var updateGolden = flag.Bool("update", false, "rewrite golden files and scripts")

const (
	goldenDir  = "../../testdata/golden/contoso"
	decodedDir = "../../testdata/golden/decoded/contoso"
)

func compileExample(t *testing.T) []*model.Profile {
	t.Helper()
	ps, diags := compile.Dir("../../examples/contoso", compile.Options{})
	if len(diags) > 0 {
		t.Fatal(diags.Error())
	}
	return ps
}

func buildExample(t *testing.T) []bundle.File {
	t.Helper()
	var mem bundle.Memory
	if _, err := bundle.Build(compileExample(t), all.Emitters(), &mem); err != nil {
		t.Fatal(err)
	}
	return mem.Files()
}

// TestGoldenBundle compares every byte of the example fleet's bundle with the
// golden copy in testdata (CRLF and UTF-16 included); -update rewrites it.
func TestGoldenBundle(t *testing.T) {
	if *updateGolden {
		if _, err := bundle.Write(goldenDir, compileExample(t), all.Emitters()); err != nil {
			t.Fatal(err)
		}
		return
	}
	files := buildExample(t)
	want := map[string]bool{}
	for _, f := range files {
		want[f.Path] = true
		got, err := os.ReadFile(filepath.Join(goldenDir, filepath.FromSlash(f.Path)))
		if err != nil {
			t.Errorf("%s: %v (run go test ./cmd/mdeproxyc -run 'Golden|Decoded' -update)", f.Path, err)
			continue
		}
		if !bytes.Equal(got, f.Data) {
			d, _ := bundle.Check(goldenDir, compileExample(t), all.Emitters())
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

// decoded renders binary and UTF-16 goldens as text, so that a golden diff in
// review shows which entry changed; nil for files that are text already.
func decoded(f bundle.File) []byte {
	switch {
	case strings.HasSuffix(f.Path, ".pol"):
		text, err := pol.Text(f.Data)
		if err != nil {
			return []byte("undecodable: " + err.Error() + "\n")
		}
		return []byte(text)
	case strings.HasSuffix(f.Path, ".reg"):
		text, err := validators.RegText(f.Data)
		if err != nil {
			return []byte("undecodable: " + err.Error() + "\n")
		}
		return []byte(strings.ReplaceAll(text, "\r\n", "\n"))
	}
	return nil
}

// TestDecodedGoldens keeps testdata/golden/decoded in step with the goldens.
func TestDecodedGoldens(t *testing.T) {
	files := buildExample(t)
	if *updateGolden {
		os.RemoveAll(decodedDir)
	}
	want := map[string]bool{}
	for _, f := range files {
		text := decoded(f)
		if text == nil {
			continue
		}
		path := filepath.Join(decodedDir, filepath.FromSlash(f.Path)+".txt")
		want[path] = true
		if *updateGolden {
			os.MkdirAll(filepath.Dir(path), 0o755)
			if err := os.WriteFile(path, text, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		got, err := os.ReadFile(path)
		if err != nil || !bytes.Equal(got, text) {
			t.Errorf("%s is stale (run go test ./cmd/mdeproxyc -run 'Golden|Decoded' -update)", path)
		}
	}
	filepath.WalkDir(decodedDir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && !want[p] {
			t.Errorf("%s is no longer produced", p)
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
	if len(a) != len(b) {
		t.Fatalf("%d files vs %d", len(a), len(b))
	}
	for i := range a {
		if a[i].Path != b[i].Path || !bytes.Equal(a[i].Data, b[i].Data) {
			t.Errorf("run 2 differs at %s", a[i].Path)
		}
	}
}
