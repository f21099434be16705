package compile

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/mdeproxyc/mdeproxyc/model"
)

// FuzzCompile feeds arbitrary fleet files to the compiler: it must never panic,
// every failure must be a diagnostic, and whatever compiles must carry no value
// that could break out of quoting in an artifact.
func FuzzCompile(f *testing.F) {
	seeds := []string{
		"package fleet\ndefaults: proxy: \"p.example.com:8080\"\nprofiles: a: {}\n",
		"package fleet\nprofiles: a: {proxy: \"[2001:db8::1]:8080\", bypass: [\"<local>\", \"*.x.com\"]}\n",
		"package fleet\nprofiles: a: {mode: \"auto\", platforms: [\"linux\"]}\n",
		"package fleet\nprofiles: a: {proxy: \"h:1\", windows: antivirus: {proxy: \"https://h:2\", pac: \"http://p/x.pac\"}}\n",
		"package fleet\nprofiles: a: proxy: \"a;b:1\"\n",
		"package fleet\nprofiles: {for x in [\"a\", \"b\"] {(x): proxy: \"h:1\"}}\n",
		"package fleet\nprofiles: a: {description: \"x'\\\"y\", lint: ignore: [{rule: \"MDE001\", reason: \"r\"}]}\n",
		"package fleet\nprofiles: a: b: c: d\n",
		"package fleet\nprofiles: a: proxy: 1\n",
	}
	for _, s := range seeds {
		f.Add(s)
	}
	dir := f.TempDir()
	file := filepath.Join(dir, "fleet.cue")
	f.Fuzz(func(t *testing.T, src string) {
		if err := os.WriteFile(file, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		ps, diags := Dir(dir, Options{})
		if len(diags) == 0 && len(ps) == 0 {
			t.Fatal("no profiles and no diagnostics")
		}
		for _, d := range diags {
			if d.Msg == "" {
				t.Fatalf("diagnostic without a message: %+v", d)
			}
		}
		for _, p := range ps {
			checkNoTraps(t, p)
		}
	})
}

func checkNoTraps(t *testing.T, p *model.Profile) {
	t.Helper()
	values := []string{p.Name, p.EDR.Proxy, p.Antivirus.ProxyServer, p.Antivirus.PacURL, p.WinHTTP.Proxy,
		p.MMA.Proxy, p.Linux.Proxy, p.MacOS.Proxy, p.MacOS.Identifier}
	values = append(values, p.Antivirus.Bypass...)
	values = append(values, p.WinHTTP.Bypass...)
	for _, v := range values {
		if bad := quotingTrap(v); bad != "" {
			t.Fatalf("profile %s: value %q holds %s", p.Name, v, bad)
		}
	}
	for _, v := range []string{p.Description, p.Organization, p.Intune.DisplayName, p.Intune.Description} {
		if textGrammar.check(v).bad() {
			t.Fatalf("profile %s: text %q passed validation but is not one line of text", p.Name, v)
		}
	}
}
