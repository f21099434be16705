package compile

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/mdeproxyc/mdeproxyc/model"
)

const exampleFleet = "../examples/contoso"

func compileOK(t *testing.T, dir string) map[string]*model.Profile {
	t.Helper()
	ps, diags := Dir(dir, Options{})
	if len(diags) > 0 {
		t.Fatalf("compile %s:\n%s", dir, diags.Error())
	}
	m := map[string]*model.Profile{}
	for _, p := range ps {
		m[p.Name] = p
	}
	return m
}

// writeFleet writes files (name → content) into a new temporary fleet folder.
func writeFleet(t testing.TB, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestExampleFleetResolves(t *testing.T) {
	ps := compileOK(t, exampleFleet)
	checks := []struct {
		profile string
		got     func(p *model.Profile) any
		want    any
	}{
		{"hq", func(p *model.Profile) any { return p.EDR.Proxy }, "proxy.contoso.com:8080"},
		{"hq", func(p *model.Profile) any { return p.Antivirus.ProxyServer }, "http://proxy.contoso.com:8080"},
		{"hq", func(p *model.Profile) any { return p.Antivirus.Bypass }, []string{"<local>", "*.contoso.com", "intranet", "10.*"}},
		{"hq", func(p *model.Profile) any { return p.Platforms }, []model.Platform{model.Windows, model.Linux, model.MacOS}},
		{"hq", func(p *model.Profile) any { return p.Intune.DisplayName }, "MDE proxy — hq"},
		{"hq", func(p *model.Profile) any { return p.Intune.Description }, "Headquarters, Seattle"},
		{"hq", func(p *model.Profile) any { return p.MacOS.Identifier }, "mdeproxyc.profile.hq"},
		{"berlin", func(p *model.Profile) any { return p.Linux.Proxy }, "http://10.20.0.5:3128"},
		{"berlin", func(p *model.Profile) any { return p.WinHTTP }, model.WinHTTP{Enabled: true, Proxy: "10.20.0.6:3128", Bypass: []string{"<local>", "*.contoso.de"}}},
		// A profile's list replaces the default's; its own bypass does not leak into Antivirus.
		{"berlin", func(p *model.Profile) any { return p.Antivirus.Bypass }, []string{"<local>", "*.contoso.com", "intranet", "10.*"}},
		{"dc-offline", func(p *model.Profile) any { return p.EDR.PreferStaticProxy }, true},
		{"dc-offline", func(p *model.Profile) any { return p.Antivirus.DisableRevocationChecks }, true},
		{"dc-offline", func(p *model.Profile) any { return p.LintIgnore[0].Rule }, "MDE006"},
		{"wpad-campus", func(p *model.Profile) any { return p.Mode }, model.ModeAuto},
		{"wpad-campus", func(p *model.Profile) any {
			return p.EDR.Proxy + p.Antivirus.ProxyServer + p.Linux.Proxy + p.MacOS.Proxy
		}, ""},
		{"linux-build", func(p *model.Profile) any { return p.Platforms }, []model.Platform{model.Linux}},
		{"linux-build", func(p *model.Profile) any { return p.Linux.Proxy }, "http://10.9.0.2:3128"},
		{"mac-studio", func(p *model.Profile) any { return p.MacOS }, model.MacOSAgent{Proxy: "https://secure-proxy.contoso.com:8443", Identifier: "com.contoso.mde.proxy.studio"}},
		{"tokyo-lab", func(p *model.Profile) any { return p.Antivirus.ProxyServer }, "http://[2001:db8::1]:8080"},
		{"tokyo-lab", func(p *model.Profile) any { return p.Antivirus.PacURL }, "https://pac.contoso.com/tokyo/proxy.pac"},
		{"legacy-branch", func(p *model.Profile) any { return p.EDR }, model.EDR{Enabled: true, Proxy: "edr-proxy.contoso.com:8080", PreferStaticProxy: true}},
		{"legacy-branch", func(p *model.Profile) any { return p.MMA }, model.MMA{Enabled: true, Proxy: "la-gateway.contoso.com:8080"}},
		{"legacy-branch", func(p *model.Profile) any { return p.Antivirus.Bypass }, []string{"<local>", "updates.contoso.com"}},
		{"kiosk-sensor-only", func(p *model.Profile) any { return p.Antivirus.Enabled }, false},
		{"pos-av-only", func(p *model.Profile) any { return p.EDR.Enabled }, false},
	}
	for _, c := range checks {
		p := ps[c.profile]
		if p == nil {
			t.Fatalf("profile %s missing", c.profile)
		}
		if d := cmp.Diff(c.want, c.got(p)); d != "" {
			t.Errorf("%s: (-want +got)\n%s", c.profile, d)
		}
	}
	// Origins say where each value was written, and whether it was inherited.
	o := ps["hq"].Origins["windows.antivirus.proxy"]
	if !o.FromDefaults || o.Via != "proxy" || !strings.HasSuffix(o.Pos.File, "defaults.cue") || o.Pos.Line != 11 {
		t.Errorf("hq antivirus proxy origin = %+v, want defaults.cue:11 via proxy", o)
	}
	o = ps["berlin"].Origins["proxy"]
	if o.FromDefaults || !strings.HasSuffix(o.Pos.File, "sites.cue") || o.Pos.Line != 10 || o.Pos.Col != 16 {
		t.Errorf("berlin proxy origin = %+v, want sites.cue:10:16", o)
	}
}

// TestExampleUsesEveryField: the example fleet writes every setting of the
// intent language somewhere, so goldens and real-consumer tests cover them all.
func TestExampleUsesEveryField(t *testing.T) {
	written := map[string]bool{}
	for _, p := range compileOK(t, exampleFleet) {
		for path, o := range p.Origins {
			if o.Via == "" {
				written[string(path)] = true
			}
		}
	}
	for _, f := range fieldTable {
		if f.kind != kindGroup && !written[f.path] {
			t.Errorf("the example fleet never writes %s", f.path)
		}
	}
}

// TestSplitMatchesWhole proves the per-profile evaluation gives exactly what
// evaluating the whole package gives.
func TestSplitMatchesWhole(t *testing.T) {
	split := compileOK(t, exampleFleet)
	ps, diags := Dir(exampleFleet, Options{whole: true})
	if len(diags) > 0 {
		t.Fatal(diags.Error())
	}
	whole := map[string]*model.Profile{}
	for _, p := range ps {
		whole[p.Name] = p
	}
	if d := cmp.Diff(whole, split); d != "" {
		t.Errorf("split and whole evaluation differ (-whole +split):\n%s", d)
	}
}

// TestOrdinaryCUE checks that users can write ordinary CUE: hidden helpers,
// let clauses, comprehensions, references between profiles, the standard
// library, and one profile spread over two files.
func TestOrdinaryCUE(t *testing.T) {
	dir := writeFleet(t, map[string]string{
		"a.cue": `package fleet
import "strings"
_sites: [{name: "gen-a", host: "A.EXAMPLE.COM"}, {name: "gen-b", host: "b.example.com"}]
let P = "let.example.com:8080"
defaults: proxy: "p.example.com:8080"
profiles: {
	hidden: proxy: strings.ToLower("X.EXAMPLE.COM") + ":1"
	"via-let": proxy: P
	copy: proxy: profiles.hidden.proxy
	spread: proxy: "s.example.com:2"
	for s in _sites {(s.name): proxy: strings.ToLower(s.host) + ":3128"}
}
`,
		"b.cue": `package fleet
profiles: spread: bypass: ["<local>"]
`,
	})
	ps := compileOK(t, dir)
	want := map[string]string{
		"hidden": "x.example.com:1", "via-let": "let.example.com:8080", "copy": "x.example.com:1",
		"spread": "s.example.com:2", "gen-a": "a.example.com:3128", "gen-b": "b.example.com:3128",
	}
	for name, proxy := range want {
		if ps[name] == nil || ps[name].EDR.Proxy != proxy {
			t.Errorf("%s: got %+v, want EDR proxy %s", name, ps[name], proxy)
		}
	}
	if got := ps["spread"].Antivirus.Bypass; !cmp.Equal(got, []string{"<local>"}) {
		t.Errorf("spread bypass = %v", got)
	}
}

// TestSplitWithHelpers covers the fast path with a hidden helper and an import
// used only inside profiles.
func TestSplitWithHelpers(t *testing.T) {
	dir := writeFleet(t, map[string]string{"f.cue": `package fleet
import "strings"
_host: "h.example.com"
defaults: bypass: ["<local>"]
profiles: {
	a: proxy: _host + ":1"
	b: proxy: strings.ToLower("B.EXAMPLE.COM:2")
	c: {proxy: "c.example.com:3", linux: proxy: "http://" + defaults.bypass[0] }
}
`})
	src, diags := loadDir(dir)
	if len(diags) > 0 || src.fast == nil {
		t.Fatalf("expected the split path: diags=%v", diags)
	}
	_, diags = Dir(dir, Options{})
	if len(diags) != 1 || diags[0].Path != "profiles.c.linux.proxy" || diags[0].Pos.Line != 8 {
		t.Fatalf("want one error at profiles.c.linux.proxy line 8, got:\n%v", diags.Error())
	}
	dir = writeFleet(t, map[string]string{"f.cue": `package fleet
import "strings"
_host: "h.example.com"
profiles: {
	a: proxy: _host + ":1"
	b: proxy: strings.ToLower("B.EXAMPLE.COM:2")
}
`})
	ps := compileOK(t, dir)
	if ps["a"].EDR.Proxy != "h.example.com:1" || ps["b"].EDR.Proxy != "b.example.com:2" {
		t.Errorf("got a=%q b=%q", ps["a"].EDR.Proxy, ps["b"].EDR.Proxy)
	}
}

func TestProfileFilter(t *testing.T) {
	ps, diags := Dir(exampleFleet, Options{Profiles: []string{"berlin", "hq"}})
	if len(diags) > 0 || len(ps) != 2 || ps[0].Name != "berlin" || ps[1].Name != "hq" {
		t.Fatalf("got %d profiles, diags %v", len(ps), diags)
	}
	_, diags = Dir(exampleFleet, Options{Profiles: []string{"berlni"}})
	if len(diags) != 1 || !strings.Contains(diags[0].Msg, `no profile named "berlni"`) {
		t.Fatalf("got %v", diags)
	}
}

// TestDuplicateMacIdentifier: two profiles sharing a PayloadIdentifier would
// replace each other on a Mac.
func TestDuplicateMacIdentifier(t *testing.T) {
	dir := writeFleet(t, map[string]string{"f.cue": `package fleet
defaults: {proxy: "p.example.com:1", macos: identifier: "com.example.same"}
profiles: {a: {}, b: {}, c: macos: identifier: "com.example.c"}
`})
	_, diags := Dir(dir, Options{})
	if len(diags) != 2 {
		t.Fatalf("want 2 errors, got:\n%s", diags.Error())
	}
	for _, d := range diags {
		if d.Pos.Line != 2 || !strings.Contains(d.Msg, `"com.example.same" is also used by`) {
			t.Errorf("unexpected %s", d)
		}
	}
}
