// Package testfleet gives tests the example fleet, compiled, so that every
// emitter is tested on the same realistic profiles.
package testfleet

import (
	"path/filepath"
	"runtime"
	"testing"

	"github.com/mdeproxyc/mdeproxyc/compile"
	"github.com/mdeproxyc/mdeproxyc/model"
)

// Dir is the example fleet's folder.
func Dir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "examples", "contoso")
}

// Profiles compiles the example fleet; profiles are sorted by name.
func Profiles(t testing.TB) []*model.Profile {
	t.Helper()
	ps, diags := compile.Dir(Dir(), compile.Options{})
	if len(diags) > 0 {
		t.Fatalf("example fleet: %s", diags.Error())
	}
	return ps
}

// Profile returns one example profile by name.
func Profile(t testing.TB, name string) *model.Profile {
	t.Helper()
	for _, p := range Profiles(t) {
		if p.Name == name {
			return p
		}
	}
	t.Fatalf("example fleet has no profile %s", name)
	return nil
}

// Source compiles a fleet given as CUE source (one file) and returns its
// profiles, failing the test on any diagnostic.
func Source(t testing.TB, src string) []*model.Profile {
	t.Helper()
	ps, err := SourceDiags(t, src)
	if err != nil {
		t.Fatalf("fleet does not compile: %v", err)
	}
	return ps
}

// SourceDiags compiles a fleet given as CUE source and returns what compile
// returns.
func SourceDiags(t testing.TB, src string) ([]*model.Profile, error) {
	t.Helper()
	dir := t.TempDir()
	if err := writeFile(filepath.Join(dir, "fleet.cue"), src); err != nil {
		t.Fatal(err)
	}
	ps, diags := compile.Dir(dir, compile.Options{})
	if len(diags) > 0 {
		return nil, diags
	}
	return ps, nil
}

// Targeting returns the example profiles that target a platform, failing the
// test when there are fewer than min of them.
func Targeting(t testing.TB, pl model.Platform, min int) []*model.Profile {
	t.Helper()
	var out []*model.Profile
	for _, p := range Profiles(t) {
		if p.Targets(pl) {
			out = append(out, p)
		}
	}
	if len(out) < min {
		t.Fatalf("only %d example profiles target %s", len(out), pl)
	}
	return out
}
