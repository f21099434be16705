package archtest

import (
	"go/token"
	"go/types"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"golang.org/x/tools/go/packages"
)

// renderers are the packages whose output reaches a bundle's files: the
// emitters, the registry plan, the script renderer and the README renderer.
// The incremental build carries a profile's files over when its digest is
// unchanged, and the digest leaves provenance out (positions move when another
// profile is edited): whatever these packages read must be a value the digest
// covers.
var renderers = []string{"emitters/...", "regplan", "psscripts", "bundle/readme"}

// provenance lists the model's members that say where a value was written
// rather than what it is: the type of an origin, the fields that hold
// positions and origins, and the helper that reads them (Locate, which the
// bundle applies to an emitter's SettingError).
var provenance = map[string][]string{
	"Origin":     nil, // the type itself
	"Profile":    {"Origins", "Pos", "Defined", "Locate"},
	"Setting":    {"Origin", "Written"},
	"LintIgnore": {"Pos"},
}

// TestRenderersReadNoProvenance: no package that renders an artifact uses a
// provenance member of the model. Whether a value was written, where that
// decides an artifact, is a field of its own (Antivirus.RevocationChecksWritten).
func TestRenderersReadNoProvenance(t *testing.T) {
	found := provenanceUses(t, nil, renderers...)
	for _, f := range found {
		t.Errorf("%s: a renderer uses the model's provenance %s: make what the artifact needs a field of the resolved profile (the digest covers it), and leave Origins and positions to diagnostics, explain, vet and diff", f.pos, f.member)
	}
}

// TestProvenanceCheckNotices proves the check above can fail: a file added to
// an emitter (through go/packages' overlay, not on disk) that reads provenance
// the ways an emitter could — a promoted field through emitters.Profile, a
// table row's Written, a composite literal, the Origin type — is reported once
// per use.
func TestProvenanceCheckNotices(t *testing.T) {
	dir, err := filepath.Abs(filepath.Join(root, "emitters", "winhttp"))
	if err != nil {
		t.Fatal(err)
	}
	mutant := filepath.Join(dir, "zz_provenance_mutant.go")
	src := `package winhttp

import (
	"github.com/mdeproxyc/mdeproxyc/emitters"
	"github.com/mdeproxyc/mdeproxyc/model"
)

func mutant(p *emitters.Profile) bool {
	_, written := p.Origins[model.PathAVDisableRevocation]
	var o model.Origin
	q := model.Profile{Pos: o.Pos}
	return written || p.Get(model.PathProxy).Written || q.Name == ""
}
`
	found := provenanceUses(t, map[string][]byte{mutant: []byte(src)}, "emitters/winhttp")
	var got []string
	for _, f := range found {
		if filepath.Base(f.pos.Filename) == filepath.Base(mutant) {
			got = append(got, f.member)
		}
	}
	slices.Sort(got)
	want := []string{"Origin", "Profile.Origins", "Profile.Pos", "Setting.Written"}
	if !slices.Equal(got, want) {
		t.Errorf("in the mutant the check found %v, want %v (all: %v)", got, want, found)
	}
}

type use struct {
	pos    token.Position
	member string
}

// provenanceUses loads the packages (relative to the module root; "..." as
// go list reads it) with types, and returns every use of a provenance member
// of the model in their non-test files.
func provenanceUses(t *testing.T, overlay map[string][]byte, patterns ...string) []use {
	t.Helper()
	dir, err := filepath.Abs(root)
	if err != nil {
		t.Fatal(err)
	}
	var pats []string
	for _, p := range patterns {
		pats = append(pats, "./"+p)
	}
	cfg := &packages.Config{
		Mode:    packages.NeedName | packages.NeedFiles | packages.NeedSyntax | packages.NeedTypes | packages.NeedTypesInfo | packages.NeedImports,
		Dir:     dir,
		Overlay: overlay,
	}
	pkgs, err := packages.Load(cfg, pats...)
	if err != nil {
		t.Fatal(err)
	}
	if len(pkgs) < len(patterns) {
		t.Fatalf("loaded %d packages for %v", len(pkgs), patterns)
	}
	var out []use
	for _, pkg := range pkgs {
		for _, e := range pkg.Errors {
			t.Fatalf("%s: %v", pkg.PkgPath, e)
		}
		// Read the files here too, so that Go's test cache sees them: an
		// edit to any renderer re-runs this test.
		for _, f := range pkg.GoFiles {
			if _, over := overlay[f]; !over {
				if _, err := os.ReadFile(f); err != nil {
					t.Fatal(err)
				}
			}
		}
		forbidden := provenanceObjects(t, pkg.Types)
		if forbidden == nil {
			continue // the package reaches no model
		}
		for id, obj := range pkg.TypesInfo.Uses {
			if m, ok := forbidden[obj]; ok {
				out = append(out, use{pkg.Fset.Position(id.Pos()), m})
			}
		}
	}
	slices.SortFunc(out, func(a, b use) int { return strings.Compare(a.pos.String(), b.pos.String()) })
	return out
}

// provenanceObjects finds the model package among pkg's imports, direct or
// not, and returns its provenance members, named Type.Member, keyed by the
// objects pkg's type information refers to.
func provenanceObjects(t *testing.T, pkg *types.Package) map[types.Object]string {
	var model *types.Package
	seen := map[*types.Package]bool{}
	var walk func(p *types.Package)
	walk = func(p *types.Package) {
		if seen[p] || model != nil {
			return
		}
		seen[p] = true
		if p.Path() == module+"model" {
			model = p
			return
		}
		for _, im := range p.Imports() {
			walk(im)
		}
	}
	walk(pkg)
	if model == nil {
		return nil
	}
	out := map[types.Object]string{}
	for typ, members := range provenance {
		tn, ok := model.Scope().Lookup(typ).(*types.TypeName)
		if !ok {
			t.Fatalf("model has no type %s: update the provenance list", typ)
		}
		if members == nil {
			out[tn] = typ
			continue
		}
		for _, m := range members {
			obj, _, _ := types.LookupFieldOrMethod(tn.Type(), true, model, m)
			if obj == nil {
				t.Fatalf("model.%s has no member %s: update the provenance list", typ, m)
			}
			out[obj] = typ + "." + m
		}
	}
	return out
}
