package compile

import (
	"fmt"
	"github.com/mdeproxyc/mdeproxyc/diag"
	"strings"
	"testing"
)

// TestProfileNames: names Windows cannot create, or that collide with the
// bundle's own files or with another name once Windows drops a trailing dot,
// are one error each, at the label, saying why.
func TestProfileNames(t *testing.T) {
	bad := map[string]string{
		"manifest.json": "name of a file at the bundle's root",
		"readme.md":     "name of a file at the bundle's root",
		"proxy":         "reserved for it",
		"con":           `"con" is a Windows device name`,
		"nul":           `"nul" is a Windows device name`,
		"aux":           `"aux" is a Windows device name`,
		"prn":           `"prn" is a Windows device name`,
		"com0":          `"com0" is a Windows device name`,
		"com1":          `"com1" is a Windows device name`,
		"lpt9":          `"lpt9" is a Windows device name`,
		"nul.txt":       `"nul" is a Windows device name`,
		"com1.tar.gz":   `"com1" is a Windows device name`,
		"x.":            `ends in '.', which Windows drops (it would share a folder with "x")`,
		"x..":           `ends in '.'`,
	}
	for name, why := range bad {
		msg := checkProfileName(name)
		if !strings.Contains(msg, fmt.Sprintf("invalid profile name %q: ", name)) || !strings.Contains(msg, why) || !strings.Contains(msg, "allowed: ") {
			t.Errorf("%s: %q", name, msg)
		}
	}
	for _, good := range []string{"x", "console", "com10", "lpt", "nullable", "aux-site", "x.y", "manifest", "proxy1", "con-x"} {
		if msg := checkProfileName(good); msg != "" {
			t.Errorf("%s: %s", good, msg)
		}
	}

	dir := writeFleet(t, map[string]string{"f.cue": "package fleet\ndefaults: proxy: \"p.example.com:1\"\nprofiles: {\n\tx: {}\n\t\"x.\": {}\n\tcon: {}\n}\n"})
	_, diags := Dir(dir, Options{})
	if len(diags) != 2 || diags[0].Pos.Line != 5 || diags[0].Pos.Col != 2 || diags[1].Pos.Line != 6 || diags[0].Path != `profiles."x."` {
		t.Fatalf("got:\n%s", diags.Error())
	}
}

// TestLimits: a PAC URL over 2,048 characters, a macOS identifier over 255,
// U+FFFE/U+FFFF in text, a blank or shared Intune display name are errors
// naming the setting.
func TestLimits(t *testing.T) {
	long := "http://pac.example.com/" + strings.Repeat("a", 2048-len("http://pac.example.com/"))
	id := strings.Repeat("a", 127) + "." + strings.Repeat("b", 127)
	dir := writeFleet(t, map[string]string{"f.cue": fmt.Sprintf(`package fleet
defaults: proxy: "p.example.com:1"
profiles: {
	okpac: pac: %q
	longpac: pac: %q
	okid: macos: identifier: %q
	longid: macos: identifier: %q
	fffe: description: "a\uFFFEb"
	ffff: organization: "a\uFFFFb"
	blank: intune: displayName: "  "
	one: intune: displayName: "Shared"
	two: intune: displayName: "shared"
	linuxonly: {platforms: ["linux"], intune: displayName: "Shared"}
	g1: windows: gpo: name: "Branch GPO"
	g2: windows: gpo: name: "branch gpo"
	c1: windows: configmgr: applicationName: "MDE proxy"
	c2: windows: configmgr: applicationName: "MDE Proxy"
}
`, long, long+"x", id, id+"c")})
	_, diags := Dir(dir, Options{})
	want := []string{
		`profiles.longpac.pac: invalid value`, `2049 characters is too long (at most 2048)`,
		`profiles.longid.macos.identifier: invalid value`, `256 characters is too long (at most 255)`,
		`profiles.fffe.description: invalid value`, `contains the noncharacter U+FFFE`,
		`profiles.ffff.organization: invalid value`, `contains the noncharacter U+FFFF`,
		`profiles.blank.intune.displayName: invalid value "  ": a blank display name`,
		`profiles.one.intune.displayName: Intune display name "Shared" is also used by two`,
		`profiles.two.intune.displayName: Intune display name "shared" is also used by one`,
		`profiles.g1.windows.gpo.name: Group Policy object name "Branch GPO" is also used by g2`,
		`profiles.c2.windows.configmgr.applicationName: ConfigMgr application name "MDE Proxy" is also used by c1`,
	}
	all := diags.Error()
	for _, w := range want {
		if !strings.Contains(all, w) {
			t.Errorf("missing %q in:\n%s", w, all)
		}
	}
	for _, ok := range []string{"okpac", "okid", "linuxonly"} {
		if strings.Contains(all, "profiles."+ok+".") {
			t.Errorf("%s reported:\n%s", ok, all)
		}
	}
	// Each shared name is reported at every profile that has it.
	if len(diags) != 11 {
		t.Errorf("want 11 errors, got %d:\n%s", len(diags), all)
	}
}

// TestInnerIdentifier: one profile's inner payload identifier
// (<identifier>.wdav) equal to another's identifier is MDE015 on both.
func TestInnerIdentifier(t *testing.T) {
	dir := writeFleet(t, map[string]string{"f.cue": `package fleet
defaults: proxy: "p.example.com:1"
profiles: {
	a: macos: identifier: "com.example.x"
	b: macos: identifier: "com.example.x.wdav"
	c: {platforms: ["windows"], macos: identifier: "com.example.x"}
}
`})
	_, diags := Dir(dir, Options{})
	if len(diags) != 2 || diags[0].Rule != diag.RuleDuplicateIdentifier ||
		!strings.Contains(diags[0].Msg, `macOS identifier "com.example.x" gives the inner payload identifier "com.example.x.wdav", which is also used by b`) ||
		!strings.Contains(diags[1].Msg, `macOS identifier "com.example.x.wdav" is also used by a`) {
		t.Fatalf("got:\n%s", diags.Error())
	}
}
