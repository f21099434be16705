package semdiff

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/mdeproxyc/mdeproxyc/bundle"
	"github.com/mdeproxyc/mdeproxyc/emitters/all"
	"github.com/mdeproxyc/mdeproxyc/internal/testfleet"
	"github.com/mdeproxyc/mdeproxyc/model"
)

// pair is one profile in an old and a new version, and what diff must say.
type pair struct {
	old, new string
	// changed is whether diff reports the profile; settings, the paths of
	// the settings it lists, in order.
	changed  bool
	settings []string
}

// TestChangedExactlyWhenFilesChange: diff reports a profile exactly when its
// files change, and lists setting changes only where the profile manages the
// component on a platform it targets. Each case carries its own profile and
// expectation; the verdict is also checked against a render of both sides.
func TestChangedExactlyWhenFilesChange(t *testing.T) {
	cases := map[string]pair{
		// Antivirus is off: its proxy reaches no file.
		"av-off": {`{platforms: ["windows"], proxy: "p.example.com:1", windows: antivirus: {enabled: false, proxy: "http://a.example.com:1"}}`,
			`{platforms: ["windows"], proxy: "p.example.com:1", windows: antivirus: {enabled: false, proxy: "http://b.example.com:1"}}`, false, nil},
		// Linux is not targeted: the proxy derived for it reaches no file,
		// and the row is not listed where the rest changes.
		"windows-only": {`{platforms: ["windows"], proxy: "p.example.com:1", linux: proxy: "http://a.example.com:1"}`,
			`{platforms: ["windows"], proxy: "q.example.com:1", linux: proxy: "http://b.example.com:1"}`, true,
			[]string{"windows.edr.proxy", "windows.antivirus.proxy"}},
		// Today's case: in mode auto, writing the default false out deletes
		// SSLOptions; the only row is the setting whose presence changed.
		"revocation": {`{platforms: ["windows"], mode: "auto"}`,
			`{platforms: ["windows"], mode: "auto", windows: antivirus: disableRevocationChecks: false}`, true,
			[]string{"windows.antivirus.disableRevocationChecks"}},
		// In mode static the same edit changes no file.
		"revocation-static": {`{platforms: ["windows"], proxy: "p.example.com:1"}`,
			`{platforms: ["windows"], proxy: "p.example.com:1", windows: antivirus: disableRevocationChecks: false}`, false, nil},
		// Disabling WinHTTP: the switch, and its proxy no longer in force.
		"winhttp-off": {`{platforms: ["windows"], proxy: "p.example.com:1", windows: winhttp: enabled: true}`,
			`{platforms: ["windows"], proxy: "p.example.com:1", windows: winhttp: enabled: false}`, true,
			[]string{"windows.winhttp.enabled", "windows.winhttp.proxy"}},
		// Intune assignments reach no bundle file (publish reads them).
		"assignments": {`{platforms: ["windows"], proxy: "p.example.com:1", intune: assignments: include: ["allDevices"]}`,
			`{platforms: ["windows"], proxy: "p.example.com:1"}`, false, nil},
		// Moving a value from the profile to where defaults has it already.
		"moved": {`{proxy: "d.example.com:8080", description: "m"}`, `{description: "m"}`, false, nil},
	}
	var oldSrc, newSrc strings.Builder
	for _, s := range []*strings.Builder{&oldSrc, &newSrc} {
		s.WriteString("package fleet\ndefaults: proxy: \"d.example.com:8080\"\nprofiles: {\n")
	}
	var names []string
	for name := range cases {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		fmt.Fprintf(&oldSrc, "\t%q: %s\n", name, cases[name].old)
		fmt.Fprintf(&newSrc, "\t%q: %s\n", name, cases[name].new)
	}
	oldSrc.WriteString("}\n")
	newSrc.WriteString("}\n")
	old, cur := testfleet.Source(t, oldSrc.String()), testfleet.Source(t, newSrc.String())
	if len(old) != len(cases) || len(cur) != len(cases) {
		t.Fatalf("%d and %d profiles for %d cases", len(old), len(cur), len(cases))
	}
	changes, err := Compare(old, cur, all.Emitters())
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]Profile{}
	for _, c := range changes {
		if c.Profile == "" {
			continue // fleet files
		}
		if _, ok := cases[c.Profile]; !ok {
			t.Errorf("change of %s, which has no case", c.Profile)
		}
		got[c.Profile] = c
	}
	for i, name := range names {
		c := cases[name]
		g, reported := got[name]
		if reported != c.changed {
			t.Errorf("%s: reported %v, want %v (%+v)", name, reported, c.changed, g)
			continue
		}
		if filesDiffer(t, old[i], cur[i]) != c.changed {
			t.Errorf("%s: the case's expectation disagrees with its files", name)
		}
		if !reported {
			continue
		}
		var paths []string
		for _, s := range g.Settings {
			paths = append(paths, s.Path)
		}
		if !slices.Equal(paths, c.settings) {
			t.Errorf("%s: settings %v, want %v", name, paths, c.settings)
		}
		if g.Change != Changed || len(g.Files) == 0 {
			t.Errorf("%s: %s with %d files", name, g.Change, len(g.Files))
		}
	}
	if r := got["revocation"]; len(r.Settings) == 1 && (r.Settings[0].NewAt == "" || r.Settings[0].OldAt != "") {
		t.Errorf("revocation: the row does not say where the value is now written: %+v", r.Settings[0])
	}
}

// filesDiffer renders one profile's two versions in full and compares them.
func filesDiffer(t *testing.T, a, b *model.Profile) bool {
	render := func(p *model.Profile) map[string][]byte {
		var mem bundle.Memory
		if _, err := bundle.Build([]*model.Profile{p}, all.Emitters(), &mem); err != nil {
			t.Fatal(err)
		}
		files := map[string][]byte{}
		for _, f := range mem.Files() {
			if f.Profile != "" {
				files[f.Path] = f.Data
			}
		}
		return files
	}
	fa, fb := render(a), render(b)
	if len(fa) != len(fb) {
		return true
	}
	for k, v := range fa {
		if w, ok := fb[k]; !ok || !bytes.Equal(v, w) {
			return true
		}
	}
	return false
}
