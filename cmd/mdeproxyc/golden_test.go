package main

import (
	"bytes"
	"runtime"
	"strings"
	"testing"

	"github.com/mdeproxyc/mdeproxyc/bundle"
	"github.com/mdeproxyc/mdeproxyc/compile"
	"github.com/mdeproxyc/mdeproxyc/emitters/all"
	"github.com/mdeproxyc/mdeproxyc/emitters/pol"
	"github.com/mdeproxyc/mdeproxyc/internal/golden"
	"github.com/mdeproxyc/mdeproxyc/internal/validators"
	"github.com/mdeproxyc/mdeproxyc/model"
)

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
// golden copy in testdata (CRLF and UTF-16 included).
func TestGoldenBundle(t *testing.T) {
	files := map[string][]byte{}
	for _, f := range buildExample(t) {
		files[f.Path] = f.Data
	}
	golden.Tree(t, goldenDir, files)
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
	files := map[string][]byte{}
	for _, f := range buildExample(t) {
		if text := decoded(f); text != nil {
			files[f.Path+".txt"] = text
		}
	}
	golden.Tree(t, decodedDir, files)
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
