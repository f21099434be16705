package readme

import (
	"strings"
	"testing"

	"github.com/mdeproxyc/mdeproxyc/emitters"
	"github.com/mdeproxyc/mdeproxyc/emitters/all"
	"github.com/mdeproxyc/mdeproxyc/internal/testfleet"
)

// profileReadme renders a profile's README as the bundle does: with its
// files and every emitter's deployment notes.
func profileReadme(t *testing.T, name string) (string, map[string]bool) {
	t.Helper()
	p := emitters.NewProfile(testfleet.Profile(t, name))
	var files []emitters.File
	var deploy []string
	for _, e := range all.Emitters() {
		fs, err := e.Emit(p)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, fs...)
		if d, ok := e.(emitters.Deployer); ok && len(fs) > 0 {
			deploy = append(deploy, d.Deploy(p))
		}
	}
	have := map[string]bool{}
	for _, f := range files {
		have[f.Path] = true
	}
	return string(Render(p.Profile, files, deploy).Data), have
}

// TestReadmeProxySide: a PAC profile's README says what proxy/<profile>.pac
// is and how it relates to the site's own PAC file; every profile points at
// its proxy folders with their users, or at its no-explicit-proxy folder; a
// macOS-only profile names no Linux file and names the product-update gap.
func TestReadmeProxySide(t *testing.T) {
	s, _ := profileReadme(t, "tokyo-lab")
	for _, want := range []string{"`../proxy/tokyo-lab.pac` is a PAC file for Defender Antivirus", "https://pac.contoso.com/tokyo/proxy.pac",
		"site already serves its own PAC file", "ahead of its DIRECT rules", "`../proxy/2001-db8--1_8080/` for `[2001:db8::1]:8080`, used by: EDR sensor"} {
		if !strings.Contains(s, want) {
			t.Errorf("tokyo-lab README lacks %q", want)
		}
	}
	s, _ = profileReadme(t, "wpad-campus")
	if !strings.Contains(s, "`../proxy/no-explicit-proxy/wpad-campus/`") {
		t.Errorf("wpad-campus README does not point at its no-explicit-proxy folder")
	}
	s, have := profileReadme(t, "mac-studio")
	for _, linuxOnly := range []string{"set-proxy.sh", "linux/"} {
		if strings.Contains(s, linuxOnly) {
			t.Errorf("the macOS-only README mentions %q", linuxOnly)
		}
	}
	if have["linux/set-proxy.sh"] || !strings.Contains(s, "macOS product updates: no Microsoft page names their host") {
		t.Errorf("mac-studio README: product-update gap not named, or Linux files present")
	}
	if s, _ := profileReadme(t, "hq"); strings.Contains(s, ".pac`") {
		t.Errorf("hq has no PAC file but its README names one")
	}
}
