package compile

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// fleetGen turns fuzz bytes into a multi-file fleet: a random mix of plain
// profiles, defaults, hidden helpers, embeddings, comprehensions, references,
// pattern constraints, lets, conflicts and invalid values.
type fleetGen struct {
	data []byte
	i    int
}

func (g *fleetGen) n(k int) int {
	if g.i >= len(g.data) {
		return 0
	}
	b := g.data[g.i]
	g.i++
	return int(b) % k
}

func (g *fleetGen) pick(opts ...string) string { return opts[g.n(len(opts))] }

func (g *fleetGen) name() string { return g.pick("a", "b", `"dc-1"`, "c") }

func (g *fleetGen) settings() string {
	var parts []string
	for k := g.n(3) + 1; k > 0; k-- {
		if g.n(6) == 0 {
			// A mistake: the field table, CUE or the resolver must reject it.
			parts = append(parts, g.pick(
				`proxy: "p.x.com:0"`,
				`mode: "Auto"`,
				`porxy: "p.x.com:1"`,
				`proxy: defaults.nothing`,
				`offline: "yes"`,
			))
			continue
		}
		parts = append(parts, g.pick(
			`proxy: "p1.x.com:8080"`,
			`proxy: _h`,
			`proxy: defaults.proxy`,
			`offline: true`,
			`bypass: ["<local>", "*.x.com"]`,
			`mode: "auto"`,
			`platforms: ["linux"]`,
			`platforms: ["windows", "macos"]`,
			`description: "d"`,
			`windows: antivirus: disableRevocationChecks: true`,
			`windows: winhttp: {enabled: true, proxy: "w.x.com:1"}`,
			`linux: proxy: "http://l.x.com:1"`,
			`#S`,
		))
	}
	return "{" + strings.Join(parts, ", ") + "}"
}

func (g *fleetGen) decl() string {
	switch g.n(20) {
	case 0, 1, 2, 3, 14, 15, 16, 17, 18, 19:
		return fmt.Sprintf("profiles: %s: %s", g.name(), g.settings())
	case 4:
		return fmt.Sprintf("profiles: {%s: %s, %s: %s}", g.name(), g.settings(), g.name(), g.settings())
	case 5:
		return "defaults: " + g.settings()
	case 6:
		return fmt.Sprintf("_h: %q", g.pick("h.x.com:1", "h.x.com:99999"))
	case 7:
		return fmt.Sprintf("{profiles: %s: %s}", g.name(), g.settings())
	case 8:
		return fmt.Sprintf("for n in [%q, %q] {profiles: (n): %s}", g.pick("a", "e"), g.pick("f", "dc-2"), g.settings())
	case 9:
		return fmt.Sprintf("if %s {profiles: %s: %s}", g.pick("true", "false"), g.name(), g.settings())
	case 10:
		return fmt.Sprintf("profiles: %s: proxy: profiles.%s.proxy", g.name(), g.pick("a", "b", "zz"))
	case 11:
		return fmt.Sprintf("profiles: [%s]: %s", g.pick("string", `=~"^dc-"`, `!~"^a"`), g.settings())
	case 12:
		return fmt.Sprintf("let L%d = %q\nprofiles: %s: proxy: L%d", g.i, "l.x.com:2", g.name(), g.i)
	default:
		return fmt.Sprintf("#S: %s", g.pick(`{offline: true}`, `{proxy?: string}`, `{...}`))
	}
}

// files returns 1–3 files of a few declarations each; the helpers every
// setting may refer to are declared once, in the first file.
func (g *fleetGen) files() map[string]string {
	out := map[string]string{}
	n := g.n(3) + 1
	paths := []string{"a.cue", "z.cue", "emea/m.cue"}
	for f := 0; f < n; f++ {
		var b strings.Builder
		b.WriteString("package fleet\n")
		if f == 0 {
			b.WriteString("_h: _ | *\"h.x.com:1\"\n#S: _ | *{...}\ndefaults: proxy: _ | *\"d.x.com:1\"\n")
		}
		for k := g.n(4) + 1; k > 0; k-- {
			b.WriteString(g.decl())
			b.WriteString("\n")
		}
		out[paths[f]] = b.String()
	}
	return out
}

// FuzzFastPathMatchesWhole: for any fleet, the per-profile evaluation and the
// whole-package evaluation give identical resolved profiles, or the same errors.
func FuzzFastPathMatchesWhole(f *testing.F) {
	f.Add([]byte{0, 0, 0, 0, 0, 0, 0})
	f.Add([]byte{2, 3, 0, 1, 0, 2, 5, 1, 4, 0, 3, 2, 1, 0})
	f.Add([]byte{1, 2, 0, 0, 3, 7, 1, 1, 2, 0, 0, 11, 0, 5})
	f.Add([]byte{2, 1, 4, 0, 2, 1, 1, 0, 3, 3, 10, 1, 1, 0, 2, 2, 1})
	f.Add([]byte{0, 3, 5, 4, 0, 13, 1, 0, 1, 18, 0, 1, 2, 0})
	f.Add([]byte("a mixed fleet with several files and a handful of profiles and constraints"))
	root := f.TempDir()
	run := 0
	f.Fuzz(func(t *testing.T, data []byte) {
		g := &fleetGen{data: data}
		files := g.files()
		run++
		dir := filepath.Join(root, fmt.Sprint(run))
		for name, content := range files {
			p := filepath.Join(dir, filepath.FromSlash(name))
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		defer os.RemoveAll(dir)
		fastPs, fastErrs := Dir(dir, Options{})
		wholePs, wholeErrs := Dir(dir, Options{whole: true})
		if d := cmp.Diff(wholeErrs.Error(), fastErrs.Error()); d != "" {
			t.Fatalf("errors differ (-whole +fast):\n%s\nfleet:\n%s", d, dump(files))
		}
		if d := cmp.Diff(wholePs, fastPs); d != "" {
			t.Fatalf("profiles differ (-whole +fast):\n%s\nfleet:\n%s", d, dump(files))
		}
	})
}

func dump(files map[string]string) string {
	var b strings.Builder
	for name, c := range files {
		fmt.Fprintf(&b, "-- %s --\n%s", name, c)
	}
	return b.String()
}

// TestGeneratedFleetsTakeBothPaths keeps the generator honest: its seeds must
// produce fleets on the fast path and fleets off it, valid ones and broken ones.
func TestGeneratedFleetsTakeBothPaths(t *testing.T) {
	var fast, whole, ok, bad int
	for seed := 0; seed < 200; seed++ {
		data := make([]byte, 40)
		x := uint32(seed*2654435761 + 1)
		for i := range data {
			x ^= x << 13
			x ^= x >> 17
			x ^= x << 5
			data[i] = byte(x)
		}
		dir := writeTree(t, (&fleetGen{data: data}).files())
		src, diags := loadDir(dir)
		if len(diags) == 0 {
			if src.fast != nil {
				fast++
			} else {
				whole++
			}
		}
		if _, errs := Dir(dir, Options{}); len(errs) > 0 {
			bad++
		} else {
			ok++
		}
	}
	t.Logf("fast %d, whole %d, valid %d, invalid %d", fast, whole, ok, bad)
	if fast < 20 || whole < 20 || ok < 10 || bad < 10 {
		t.Errorf("generator too narrow: fast %d, whole %d, valid %d, invalid %d", fast, whole, ok, bad)
	}
}

// TestFastPathMatchesWholeOnFoundCases replays fleets the fuzzer once found to
// differ between the two paths.
func TestFastPathMatchesWholeOnFoundCases(t *testing.T) {
	for name, files := range map[string]map[string]string{
		// A profile declared twice whose value is not a struct: the fast path
		// unified the two declarations into a value with no source of its own.
		"repeated non-struct profile": {
			"a.cue": "package fleet\n_h: _ | *\"h.x.com:1\"\n#S: _ | *{...}\ndefaults: proxy: _ | *\"d.x.com:1\"\n" +
				"profiles: \"dc-1\": {#S, #S, #S}\nprofiles: \"dc-1\": {#S, #S, #S}\nprofiles: a: {proxy: \"p.x.com:0\"}\n",
			"z.cue":      "package fleet\nprofiles: a: {proxy: \"p.x.com:0\"}\n",
			"emea/m.cue": "package fleet\nprofiles: a: {proxy: \"p.x.com:0\"}\n",
		},
	} {
		t.Run(name, func(t *testing.T) {
			dir := writeTree(t, files)
			if src, _ := loadDir(dir); src == nil || src.fast == nil {
				t.Fatal("the fleet no longer takes the fast path; the case tests nothing")
			}
			fastPs, fastErrs := Dir(dir, Options{})
			wholePs, wholeErrs := Dir(dir, Options{whole: true})
			if d := cmp.Diff(wholeErrs.Error(), fastErrs.Error()); d != "" {
				t.Errorf("errors differ (-whole +fast):\n%s", d)
			}
			if d := cmp.Diff(wholePs, fastPs); d != "" {
				t.Errorf("profiles differ (-whole +fast):\n%s", d)
			}
			// The error is at the newest declaration's value, line 6 col 19.
			if want := filepath.Join(dir, "a.cue") + ":6:19:"; !strings.Contains(fastErrs.Error(), want) {
				t.Errorf("error not at %s:\n%s", want, fastErrs.Error())
			}
		})
	}
}
