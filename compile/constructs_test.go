package compile

import (
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/mdeproxyc/mdeproxyc/model"
)

// plainFleet is the fleet every construct below must reproduce exactly.
const plainFleet = `package fleet
defaults: proxy: "proxy.contoso.com:8080"
profiles: {
	hq: proxy: "hq.contoso.com:8080"
	berlin: proxy: "10.20.0.5:3128"
	"dc-one": offline: true
}
`

// withoutPositions drops what only says where a value was written, so that two
// spellings of one fleet compare equal.
func withoutPositions(ps []*model.Profile) []*model.Profile {
	for _, p := range ps {
		p.Pos = model.Pos{}
		p.Origins = nil
		p.Defined = nil
	}
	return ps
}

func writeTree(t testing.TB, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// TestConstructsBuildThePlainFleet: every way of writing profiles that CUE
// accepts yields the same profiles as the plainly written fleet, in both the
// fast and the whole evaluation (issue 11).
func TestConstructsBuildThePlainFleet(t *testing.T) {
	want, diags := Dir(writeTree(t, map[string]string{"f.cue": plainFleet}), Options{})
	if len(diags) > 0 {
		t.Fatal(diags.Error())
	}
	withoutPositions(want)
	head := "package fleet\ndefaults: proxy: \"proxy.contoso.com:8080\"\n"
	cases := map[string]map[string]string{
		"raw string label": {"f.cue": head + `profiles: hq: proxy: "hq.contoso.com:8080"
#"profiles"#: berlin: proxy: "10.20.0.5:3128"
profiles: "dc-one": offline: true
`},
		"parenthesised label": {"f.cue": head + `profiles: {hq: proxy: "hq.contoso.com:8080", "dc-one": offline: true}
("profiles"): berlin: proxy: "10.20.0.5:3128"
`},
		"interpolated label": {"f.cue": head + `_p: "profiles"
profiles: {hq: proxy: "hq.contoso.com:8080", "dc-one": offline: true}
"\(_p)": berlin: proxy: "10.20.0.5:3128"
`},
		"file-level embedding": {"f.cue": head + `profiles: {hq: {}, "dc-one": offline: true}
{profiles: berlin: proxy: "10.20.0.5:3128"}
{profiles: hq: proxy: "hq.contoso.com:8080"}
`},
		"file-level for": {"f.cue": head + `profiles: {"dc-one": offline: true}
for n, p in {hq: "hq.contoso.com:8080", berlin: "10.20.0.5:3128"} {profiles: (n): proxy: p}
`},
		"file-level if": {"f.cue": head + `profiles: {hq: {}, berlin: proxy: "10.20.0.5:3128", "dc-one": offline: true}
if true {profiles: hq: proxy: "hq.contoso.com:8080"}
`},
		"reference between profiles": {"f.cue": head + `profiles: {
	hq: proxy: "hq.contoso.com:8080"
	berlin: proxy: "10.20.0.5:3128"
	"dc-one": {offline: true, proxy: profiles.hq.proxy & defaults.proxy | defaults.proxy}
}
`},
		"sibling reference": {"f.cue": head + `profiles: {
	hq: proxy: "hq.contoso.com:8080"
	berlin: proxy: "10.20.0.5:3128"
	"dc-one": {offline: true, platforms: [for x in hq.platforms | ["windows", "linux", "macos"] {x}]}
}
`},
		"len(profiles)": {"f.cue": head + `profiles: {hq: proxy: "hq.contoso.com:8080", berlin: proxy: "10.20.0.5:3128"}
profiles: "dc-one": offline: len(profiles) == 3
`},
		"alias of defaults": {"f.cue": `package fleet
D=defaults: proxy: "proxy.contoso.com:8080"
profiles: {hq: proxy: "hq.contoso.com:8080", berlin: proxy: "10.20.0.5:3128", "dc-one": {offline: true, proxy: D.proxy}}
`},
		"let": {"f.cue": head + `let B = "10.20.0.5:3128"
profiles: {hq: proxy: "hq.contoso.com:8080", berlin: proxy: B, "dc-one": offline: true}
`},
		"pattern constraint": {"f.cue": head + `profiles: [=~"^dc-"]: offline: true
profiles: {hq: proxy: "hq.contoso.com:8080", berlin: proxy: "10.20.0.5:3128", "dc-one": {}}
`},
		"subfolders by region": {
			"f.cue":           head + `profiles: hq: proxy: "hq.contoso.com:8080"` + "\n",
			"emea/berlin.cue": "package fleet\nprofiles: berlin: proxy: \"10.20.0.5:3128\"\n",
			"dc/x/one.cue":    "package fleet\nprofiles: \"dc-one\": offline: true\n",
		},
		"skipped files": {
			"f.cue":            plainFleet,
			"_draft.cue":       "package fleet\nprofiles: draft: {}\n",
			".hidden.cue":      "package fleet\nprofiles: hidden: {}\n",
			"x_test.cue":       "package fleet\nprofiles: test: {}\n",
			"x_tool.cue":       "package fleet\nimport \"tool/exec\"\ncommand: x: exec.Run & {cmd: \"true\"}\n",
			"never.cue":        "@if(never)\npackage fleet\nprofiles: never: {}\n",
			"ignored.cue":      "@ignore()\npackage fleet\nprofiles: ignored: {}\n",
			"cue.mod/x.cue":    "package fleet\nprofiles: mod: {}\n",
			"_sub/a.cue":       "package fleet\nprofiles: sub: {}\n",
			"testdata/a.cue":   "package fleet\nprofiles: td: {}\n",
			"nested/cue.mod/m": "",
			"nested/a.cue":     "package other\nprofiles: nested: {}\n",
		},
	}
	for name, files := range cases {
		t.Run(name, func(t *testing.T) {
			dir := writeTree(t, files)
			for _, whole := range []bool{false, true} {
				got, diags := Dir(dir, Options{whole: whole})
				if len(diags) > 0 {
					t.Fatalf("whole=%v:\n%s", whole, diags.Error())
				}
				if d := cmp.Diff(want, withoutPositions(got)); d != "" {
					t.Errorf("whole=%v: differs from the plain fleet (-plain +got):\n%s", whole, d)
				}
			}
		})
	}
}

// TestFastPathEligibility pins which spellings take the per-profile path.
func TestFastPathEligibility(t *testing.T) {
	fast := map[string]string{
		"plain":   plainFleet,
		"helpers": "package fleet\nimport \"strings\"\n_h: \"h\"\n#S: {proxy?: string}\ndefaults: proxy: _h + \".x.com:1\"\nprofiles: a: #S & {proxy: strings.ToLower(\"A.X.COM:1\")}\nprofiles: \"b-c\": {}\n",
	}
	whole := map[string]string{
		"pattern":    "package fleet\nprofiles: [string]: offline: true\nprofiles: a: {}\n",
		"embedding":  "package fleet\n{profiles: a: {}}\n",
		"let":        "package fleet\nlet X = 1\nprofiles: a: {}\n",
		"quoted top": "package fleet\n\"profiles\": a: {}\n",
		"optional":   "package fleet\nprofiles: a?: {}\n",
		"sibling":    "package fleet\nprofiles: {a: proxy: \"a.x.com:1\", b: proxy: a.proxy}\n",
		"mention":    "package fleet\n_n: len(profiles)\nprofiles: a: {}\n",
		"alias":      "package fleet\nD=defaults: {}\nprofiles: a: {}\n",
		"other top":  "package fleet\nextra: 1\nprofiles: a: {}\n",
		"escape":     "package fleet\nprofiles: \"a\\u0062\": {}\n",
	}
	for name, src := range fast {
		s, diags := loadDir(writeTree(t, map[string]string{"f.cue": src}))
		if len(diags) > 0 || s.fast == nil {
			t.Errorf("%s: want the fast path (diags %v)", name, diags)
		}
	}
	for name, src := range whole {
		s, diags := loadDir(writeTree(t, map[string]string{"f.cue": src}))
		if len(diags) > 0 || s.fast != nil {
			t.Errorf("%s: want the whole evaluation (diags %v)", name, diags)
		}
	}
}

// TestPolicyConstraintFails: a fleet-wide constraint holds against the profile
// that breaks it, and the error names the constraint's position too.
func TestPolicyConstraintFails(t *testing.T) {
	dir := writeTree(t, map[string]string{
		"sites.cue":  "package fleet\ndefaults: proxy: \"p.x.com:1\"\nprofiles: \"dc-a\": windows: antivirus: disableRevocationChecks: true\n",
		"policy.cue": "package fleet\n\n// No site may turn off revocation checks.\n{profiles: [string]: windows: antivirus: disableRevocationChecks: false}\n",
	})
	_, diags := Dir(dir, Options{})
	if len(diags) != 1 {
		t.Fatalf("want one error, got:\n%s", diags.Error())
	}
	d := diags[0]
	if !strings.HasSuffix(d.Pos.File, "sites.cue") || d.Pos.Line != 3 ||
		!strings.Contains(d.Msg, "conflicting values") || !strings.Contains(d.Msg, "policy.cue:4:") {
		t.Errorf("got %s; want the conflict at sites.cue:3 (the later file) naming policy.cue:4", d)
	}
}

// TestDefinedPlaces: one profile written in two files resolves to one profile
// whose Defined lists both places in load order (vet's MDE030 reads it); a
// profile written once has its one place; neither stops the build.
func TestDefinedPlaces(t *testing.T) {
	dir := writeTree(t, map[string]string{
		"a.cue": "package fleet\ndefaults: proxy: \"p.x.com:1\"\nprofiles: hq: {}\nprofiles: solo: {}\n",
		"b.cue": "package fleet\nprofiles: hq: description: \"pasted\"\n",
	})
	ps, errs := Dir(dir, Options{})
	if len(errs) > 0 || len(ps) != 2 {
		t.Fatalf("errors %v, %d profiles", errs, len(ps))
	}
	var got []string
	for _, p := range ps {
		for _, d := range p.Defined {
			got = append(got, p.Name+"@"+filepath.Base(d.File)+":"+strconv.Itoa(d.Line)+":"+strconv.Itoa(d.Col))
		}
	}
	if want := []string{"hq@a.cue:3:11", "hq@b.cue:2:11", "solo@a.cue:4:11"}; !slices.Equal(got, want) {
		t.Fatalf("defined at %v, want %v", got, want)
	}
}

// TestPolicyExample: examples/policy writes fleet-wide rules as pattern
// constraints on profiles and keeps a site in a subfolder.
func TestPolicyExample(t *testing.T) {
	ps := compileOK(t, "../examples/policy")
	if p := ps["dc-east"]; p == nil || !p.Offline || len(p.Platforms) != 1 || p.Platforms[0] != model.Windows {
		t.Errorf("dc-east = %+v, want offline, windows only (from policy.cue)", p)
	}
	if o := ps["dc-west"].Origins["offline"]; !strings.HasSuffix(o.Pos.File, "policy.cue") {
		t.Errorf("dc-west offline comes from %v, want policy.cue", o.Pos)
	}
	if p := ps["lyon"]; p == nil || p.EDR.Proxy != "10.33.0.5:3128" || p.Offline {
		t.Errorf("lyon (emea/lyon.cue) = %+v", p)
	}
}
