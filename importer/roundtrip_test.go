package importer

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/mdeproxyc/mdeproxyc/compile"
	"github.com/mdeproxyc/mdeproxyc/emitters"
	"github.com/mdeproxyc/mdeproxyc/emitters/intune"
	"github.com/mdeproxyc/mdeproxyc/emitters/linux"
	"github.com/mdeproxyc/mdeproxyc/emitters/macos"
	"github.com/mdeproxyc/mdeproxyc/emitters/pol"
	"github.com/mdeproxyc/mdeproxyc/emitters/regfile"
	"github.com/mdeproxyc/mdeproxyc/model"
	"github.com/mdeproxyc/mdeproxyc/regplan"
)

// goldenBundle is the example fleet's committed bundle.
const goldenBundle = "../testdata/golden/contoso"

// The files of a profile's folder an import reads, and how the test
// renders the imported profile's version of each.
var roundTripFiles = []struct {
	path   string
	render func(p *model.Profile) []byte
}{
	{regfile.ApplyPath, func(p *model.Profile) []byte { return regfile.Apply(p.Name, regplan.For(p)) }},
	{pol.Path, func(p *model.Profile) []byte { return pol.Encode(regplan.For(p)) }},
	{intune.ConfigurationPath, func(p *model.Profile) []byte {
		b, _ := json.Marshal(intune.BuildConfiguration(emitters.NewProfile(p)))
		return b
	}},
	{linux.ManagedPath, func(p *model.Profile) []byte { b, _ := linux.Managed(p); return b }},
	{macos.PlistPath, macos.Plist},
	{macos.MobileconfigPath, macos.Mobileconfig},
}

// compileCUE compiles an imported fleet file and returns its one profile.
func compileCUE(t *testing.T, src []byte) *model.Profile {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "fleet.cue"), src, 0o644); err != nil {
		t.Fatal(err)
	}
	ps, errs := compile.Dir(dir, compile.Options{})
	if len(errs) > 0 || len(ps) != 1 {
		t.Fatalf("the imported fleet does not build: %v\n%s", errs, src)
	}
	return ps[0]
}

// sameFile compares an artifact with the golden one: byte for byte, except
// the Intune body, compared as JSON values (the test marshals it compactly).
func sameFile(t *testing.T, path string, got, want []byte) {
	t.Helper()
	if path == intune.ConfigurationPath {
		var g, w intune.Configuration
		if err := json.Unmarshal(got, &g); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(want, &w); err != nil {
			t.Fatal(err)
		}
		if d := cmp.Diff(w, g); d != "" {
			t.Errorf("%s differs (-golden +imported):\n%s", path, d)
		}
		return
	}
	if d := cmp.Diff(string(want), string(got)); d != "" {
		t.Errorf("%s differs (-golden +imported):\n%s", path, d)
	}
}

// TestRoundTripGolden is the round-trip property over the golden bundle:
// importing each profile's .reg, Registry.pol, Intune custom configuration,
// mdatp JSON and wdav plist and configuration profile, and building the
// result, gives the same files (registry values, JSON and plist values);
// every Windows file alone gives the same registry values too.
func TestRoundTripGolden(t *testing.T) {
	entries, err := os.ReadDir(goldenBundle)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range entries {
		if !e.IsDir() || e.Name() == "proxy" {
			continue
		}
		name := e.Name()
		t.Run(name, func(t *testing.T) {
			var inputs []Input
			have := map[string][]byte{}
			for _, f := range roundTripFiles {
				path := filepath.Join(goldenBundle, name, filepath.FromSlash(f.path))
				data, err := os.ReadFile(path)
				if os.IsNotExist(err) {
					continue
				}
				if err != nil {
					t.Fatal(err)
				}
				inputs = append(inputs, Input{Name: path, Data: data})
				have[f.path] = data
			}
			res, err := Import(inputs, Options{Profile: name})
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Warnings) > 0 {
				t.Errorf("warnings importing a bundle mdeproxyc wrote: %q", res.Warnings)
			}
			p := compileCUE(t, res.CUE)
			for _, f := range roundTripFiles {
				if want, ok := have[f.path]; ok {
					sameFile(t, f.path, f.render(p), want)
				}
			}
			// Each Windows file alone carries the registry values.
			for _, f := range roundTripFiles[:2] {
				want, ok := have[f.path]
				if !ok {
					continue
				}
				res, err := Import([]Input{{Name: f.path, Data: want}}, Options{Profile: name})
				if err != nil {
					t.Fatal(err)
				}
				sameFile(t, f.path, f.render(compileCUE(t, res.CUE)), want)
			}
		})
		n++
	}
	if n < 5 {
		t.Fatalf("only %d profiles in %s", n, goldenBundle)
	}
}
