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
// the command behind drift.Decoder.
func TestBundleImportsNoEmitter(t *testing.T) {
	for d := range deps(t, "bundle") {
		if strings.HasPrefix(d, module+"emitters/") {
			t.Errorf("bundle depends on %s", d)
		}
	}
}

// layers places every package of the project in a layer: a package may
// import only project packages of lower layers. That keeps the dependency
// directions one way (no cycle can form, not even through a package added
// later) and makes each package's place in the data flow explicit
// (docs/ARCHITECTURE.md). A name ending in "/*" places every package below
// that folder. A new package must be added here.
var layers = map[string]int{
	// Leaves: plain types, embedded files, helpers with no project imports.
	"model": 0, "schema": 0, "internal/version": 0, "internal/par": 0,
	"internal/jsonstr": 0, "internal/textfile": 0, "internal/golden": 0, "internal/validators": 0,
	"internal/fakegraph": 0, "internal/intunegraph": 0, "internal/fleetgen": 0, "internal/archtest": 0,
	// Diagnostics, the shared renders' inputs, the manifest format.
	"diag": 1, "regplan": 1, "endpoints": 1, "bundle/manifest": 1, "internal/cmdlets": 1,
	// The compiler, vet's rules, the shared PowerShell scripts, the output folder.
	"compile": 2, "lint": 2, "psscripts": 2, "bundle/outdir": 2, "signing": 2,
	// What an emitter is.
	"emitters": 3, "internal/testfleet": 3,
	// The emitters (none imports another: they share a layer), explain, the READMEs.
	"emitters/*": 4, "explain": 4, "bundle/readme": 4, "internal/emittertest": 4, "bundle/internal/bundletest": 4,
	// The list of emitters, the pipeline, publishing.
	"emitters/all": 5, "bundle": 5, "publish": 5,
	// What compares builds: --check, diff.
	"bundle/drift": 6, "semdiff": 6, "importer": 6,
	// The command and the tools.
	"cmd/mdeproxyc": 7, "tools/*": 7,
}

// layerOf is the layer of pkg, and whether the table has it.
func layerOf(pkg string) (int, bool) {
	if l, ok := layers[pkg]; ok {
		return l, true
	}
	if i := strings.LastIndex(pkg, "/"); i >= 0 {
		if l, ok := layers[pkg[:i]+"/*"]; ok {
			return l, true
		}
	}
	return 0, false
}

// projectPackages lists every folder of the project that holds a Go package
// (a non-test .go file), by its path from the root.
func projectPackages(t *testing.T) []string {
	t.Helper()
	var pkgs []string
	seen := map[string]bool{}
	err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() && p != root && (strings.HasPrefix(name, ".") || name == "testdata" || name == "node_modules") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
			return nil
		}
		rel, err := filepath.Rel(root, filepath.Dir(p))
		if err != nil {
			return err
		}
		if rel = filepath.ToSlash(rel); !seen[rel] {
			seen[rel] = true
			pkgs = append(pkgs, rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return pkgs
}

// TestImportLayers: every package is in the layer table, and imports only
// project packages of lower layers.
func TestImportLayers(t *testing.T) {
	pkgs := projectPackages(t)
	if len(pkgs) < 30 {
		t.Fatalf("found only %d packages", len(pkgs))
	}
	for _, pkg := range pkgs {
		l, ok := layerOf(pkg)
		if !ok {
			t.Errorf("%s is not in the layer table (internal/archtest layers): place it there, below every package that imports it", pkg)
			continue
		}
		for _, im := range imports(t, pkg) {
			dep, project := strings.CutPrefix(im, module)
			if !project {
				continue
			}
			if dl, ok := layerOf(dep); ok && dl >= l {
				t.Errorf("%s (layer %d) imports %s (layer %d): a package imports only lower layers", pkg, l, dep, dl)
			}
		}
	}
}

// emitterImporters may import an emitter package: the list of emitters, and
// the command, which wires format decoders into --check.
var emitterImporters = map[string]bool{
	"emitters/all":  true,
	"cmd/mdeproxyc": true,
	// import reads the artifacts back with the emitters' own decoders and
	// value tables, so that it keeps no second list of what they write.
	"importer": true,
}

// TestOnlyTheListImportsEmitters: no package but the list of emitters and
// the command imports an emitter (what two emitters share is rendered in a
// shared package).
func TestOnlyTheListImportsEmitters(t *testing.T) {
	for _, pkg := range projectPackages(t) {
		if strings.HasPrefix(pkg, "emitters/") || emitterImporters[pkg] {
			continue
		}
		for _, im := range imports(t, pkg) {
			if dep, ok := strings.CutPrefix(im, module); ok && strings.HasPrefix(dep, "emitters/") {
				t.Errorf("%s imports the emitter %s", pkg, dep)
			}
		}
	}
}

// TestOnlyCompileImportsCUE: CUE is read in one place; everything after
// compile is plain Go.
func TestOnlyCompileImportsCUE(t *testing.T) {
	for _, pkg := range projectPackages(t) {
		if pkg == "compile" {
			continue
		}
		for _, im := range imports(t, pkg) {
			if strings.HasPrefix(im, "cuelang.org/") {
				t.Errorf("%s imports %s", pkg, im)
			}
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
