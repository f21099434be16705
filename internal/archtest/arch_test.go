// Package archtest holds tests of the project's architecture rules: the
// dependency directions that keep every package to its one job.
package archtest

import (
	"os/exec"
	"strings"
	"testing"
)

const module = "github.com/mdeproxyc/mdeproxyc/"

// deps lists the packages pkg depends on, transitively, as `go list` says.
func deps(t *testing.T, pkg string) []string {
	t.Helper()
	out, err := exec.Command("go", "list", "-deps", module+pkg).Output()
	if err != nil {
		t.Fatalf("go list -deps %s: %v", pkg, err)
	}
	return strings.Fields(string(out))
}

// TestLintImportsNoCUE: vet's rules read the model; they must not drag in the
// compiler and the ~100 packages of CUE.
func TestLintImportsNoCUE(t *testing.T) {
	for _, d := range deps(t, "lint") {
		if strings.HasPrefix(d, "cuelang.org/") || d == module+"compile" {
			t.Errorf("lint depends on %s", d)
		}
	}
}

// TestNoEmitterImportsAnother: what two emitters ship is rendered once in a
// shared package (psscripts, regplan), never by one emitter calling another.
func TestNoEmitterImportsAnother(t *testing.T) {
	out, err := exec.Command("go", "list", module+"emitters/...").Output()
	if err != nil {
		t.Fatal(err)
	}
	emitterPkgs := map[string]bool{}
	for _, p := range strings.Fields(string(out)) {
		if p != module+"emitters" && p != module+"emitters/all" {
			emitterPkgs[p] = true
		}
	}
	if len(emitterPkgs) < 7 {
		t.Fatalf("found only %d emitter packages", len(emitterPkgs))
	}
	for p := range emitterPkgs {
		for _, d := range deps(t, strings.TrimPrefix(p, module)) {
			if d != p && emitterPkgs[d] {
				t.Errorf("%s imports the emitter %s", p, d)
			}
		}
	}
}

// TestModelAndDiagAreLeaves: the model and diagnostics are plain types that
// every layer shares; they import nothing of the project but each other, and
// no CUE.
func TestModelAndDiagAreLeaves(t *testing.T) {
	for _, pkg := range []string{"model", "diag"} {
		for _, d := range deps(t, pkg) {
			if (strings.HasPrefix(d, module) && d != module+"model" && d != module+pkg) || strings.HasPrefix(d, "cuelang.org/") {
				t.Errorf("%s depends on %s", pkg, d)
			}
		}
	}
}
