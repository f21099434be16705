// Package archtest holds tests of the project's architecture rules: the
// dependency directions that keep every package to its one job.
package archtest

import (
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
)

const module = "github.com/mdeproxyc/mdeproxyc/"

// root is the repository root, relative to this package.
const root = "../.."

// imports lists the imports of a project package's non-test files. It reads
// the files itself (rather than asking `go list`) so that Go's test cache sees
// them: a new import anywhere re-runs these tests.
func imports(t *testing.T, pkg string) []string {
	t.Helper()
	dir := filepath.Join(root, filepath.FromSlash(pkg))
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatalf("%s: %v", pkg, err)
	}
	seen := map[string]bool{}
	for _, e := range entries {
		n := e.Name()
		if !strings.HasSuffix(n, ".go") || strings.HasSuffix(n, "_test.go") {
			continue
		}
		src, err := os.ReadFile(filepath.Join(dir, n))
		if err != nil {
			t.Fatal(err)
		}
		f, err := parser.ParseFile(token.NewFileSet(), n, src, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, im := range f.Imports {
			p, _ := strconv.Unquote(im.Path.Value)
			seen[p] = true
		}
	}
	var out []string
	for p := range seen {
		out = append(out, p)
	}
	sort.Strings(out)
	return out
}

// deps is the transitive closure of a project package's imports: every
// project package it reaches, and every outside import any of them makes.
func deps(t *testing.T, pkg string) map[string]bool {
	t.Helper()
	all := map[string]bool{}
	var visit func(p string)
	visit = func(p string) {
		for _, im := range imports(t, p) {
			if all[im] {
				continue
			}
			all[im] = true
			if strings.HasPrefix(im, module) {
				visit(strings.TrimPrefix(im, module))
			}
		}
	}
	visit(pkg)
	return all
}

// TestLintImportsNoCUE: vet's rules read the model; they must not drag in the
// compiler and the ~100 packages of CUE.
func TestLintImportsNoCUE(t *testing.T) {
	for d := range deps(t, "lint") {
		if strings.HasPrefix(d, "cuelang.org/") || d == module+"compile" {
			t.Errorf("lint depends on %s", d)
		}
	}
}

// TestNoEmitterImportsAnother: what two emitters ship is rendered once in a
// shared package (psscripts, regplan), never by one emitter calling another.
func TestNoEmitterImportsAnother(t *testing.T) {
	entries, err := os.ReadDir(filepath.Join(root, "emitters"))
	if err != nil {
		t.Fatal(err)
	}
	emitterPkgs := map[string]bool{}
	for _, e := range entries {
		if e.IsDir() && e.Name() != "all" {
			emitterPkgs["emitters/"+e.Name()] = true
		}
	}
	if len(emitterPkgs) < 7 {
		t.Fatalf("found only %d emitter packages", len(emitterPkgs))
	}
	for p := range emitterPkgs {
		for d := range deps(t, p) {
			if q := strings.TrimPrefix(d, module); q != p && emitterPkgs[q] {
				t.Errorf("%s imports the emitter %s", p, q)
			}
		}
	}
}

// TestModelAndDiagAreLeaves: the model and diagnostics are plain types that
// every layer shares; they import nothing of the project but the model, and
// no CUE.
func TestModelAndDiagAreLeaves(t *testing.T) {
	for _, pkg := range []string{"model", "diag"} {
		for d := range deps(t, pkg) {
			if (strings.HasPrefix(d, module) && d != module+"model") || strings.HasPrefix(d, "cuelang.org/") {
				t.Errorf("%s depends on %s", pkg, d)
			}
		}
	}
}

// TestBundleImportsNoEmitter: the pipeline runs whatever emitters it is given;
// decoding a format for a readable diff is the format's own code, wired in by
// the command behind bundle.Decoder.
func TestBundleImportsNoEmitter(t *testing.T) {
	for d := range deps(t, "bundle") {
		if strings.HasPrefix(d, module+"emitters/") {
			t.Errorf("bundle depends on %s", d)
		}
	}
}

// TestPublishImportsNoEmitter: publish gets the Intune bodies through the
// render function the command hands it (emitters/all.Render), as build
// does; it shares only internal/intunegraph with the intune emitter.
func TestPublishImportsNoEmitter(t *testing.T) {
	ds := deps(t, "publish")
	if !ds[module+"internal/intunegraph"] {
		t.Fatal("publish no longer imports internal/intunegraph: is this test looking at the right package?")
	}
	for d := range ds {
		if strings.HasPrefix(d, module+"emitters/") {
			t.Errorf("publish depends on %s", d)
		}
	}
}
