package compile

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestFleetRootStopsAtTheRepository: a .cue file of the same package in a
// folder above the fleet makes the fleet folder "part of the fleet at …", but
// not across a Git repository's root: a scratch file in the home or temporary
// folder is no part of a fleet kept in a repository.
func TestFleetRootStopsAtTheRepository(t *testing.T) {
	fleet := `package fleet
defaults: proxy: "proxy.example.com:8080"
profiles: hq: {}
`
	for _, repo := range []bool{false, true} {
		top := t.TempDir()
		dir := filepath.Join(top, "repo", "fleet")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		must(t, os.WriteFile(filepath.Join(top, "scratch.cue"), []byte("package fleet\n"), 0o644))
		must(t, os.WriteFile(filepath.Join(dir, "fleet.cue"), []byte(fleet), 0o644))
		if repo {
			must(t, os.Mkdir(filepath.Join(top, "repo", ".git"), 0o755))
		}
		ps, diags := Dir(dir, Options{})
		part := strings.Contains(diags.Error(), "part of the fleet at")
		switch {
		case repo && (part || len(ps) != 1):
			t.Errorf("inside a repository, a file above its root: %d profiles, %v", len(ps), diags)
		case !repo && !part:
			t.Errorf("no repository: the parent's file is not reported: %v", diags)
		}
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// TestFleetRootStopsAtAModuleOrAnotherPackage: a CUE module's root, and a
// folder holding .cue files of another package, end the climb, so a file of
// the fleet's package above them is not the top of a larger fleet.
func TestFleetRootStopsAtAModuleOrAnotherPackage(t *testing.T) {
	for name, mark := range map[string]func(mid string){
		"module root": func(mid string) { must(t, os.Mkdir(filepath.Join(mid, "cue.mod"), 0o755)) },
		"another package": func(mid string) {
			must(t, os.WriteFile(filepath.Join(mid, "other.cue"), []byte("package other\n"), 0o644))
		},
	} {
		top := t.TempDir()
		dir := filepath.Join(top, "mid", "fleet")
		must(t, os.MkdirAll(dir, 0o755))
		must(t, os.WriteFile(filepath.Join(top, "scratch.cue"), []byte("package fleet\n"), 0o644))
		mark(filepath.Join(top, "mid"))
		must(t, os.WriteFile(filepath.Join(dir, "fleet.cue"), []byte("package fleet\nprofiles: hq: proxy: \"proxy.example.com:8080\"\n"), 0o644))
		if ps, diags := Dir(dir, Options{}); len(diags) > 0 || len(ps) != 1 {
			t.Errorf("%s between the fleet and a file of its package: %d profiles, %v", name, len(ps), diags)
		}
	}
}
