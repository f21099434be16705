package lint

import (
	"strings"
	"testing"

	"github.com/mdeproxyc/mdeproxyc/internal/testfleet"
)

// TestBypassAgainstCatalogue: MDE012 checks bypass entries against the
// endpoint catalogue of the profile's mode and region, and MDE022 flags a PAC
// profile whose Antivirus bypass sends a required destination DIRECT, each at
// the entry's position; names outside the catalogue pass.
func TestBypassAgainstCatalogue(t *testing.T) {
	ps := testfleet.Source(t, `package fleet
defaults: proxy: "p.contoso.com:8080"
profiles: {
	streamlined: {platforms: ["windows"], bypass: ["*.security.microsoft.com"]}
	pac: {
		platforms: ["windows"]
		pac:       "http://pac.contoso.com/p.pac"
		windows: antivirus: bypass: ["*.opinsights.azure.com", "*.skype.com", "packages.microsoft.com", "ctldl.windowsupdate.com"]
	}
	gov: {platforms: ["windows"], region: "DoD", bypass: ["*.microsoft.us"]}
	fine: {platforms: ["windows"], pac: "http://pac.contoso.com/p.pac", bypass: ["*.contoso.com", "<local>"]}
}
`)
	got := map[string]string{}
	for _, d := range Run(ps) {
		if d.Rule == "MDE012" || d.Rule == "MDE022" {
			got[d.Rule+" "+d.Path] = d.Pos.String() + " " + d.Msg
		}
	}
	want := map[string]string{
		`MDE012 profiles.streamlined.windows.antivirus.bypass`: `matches *.endpoint.security.microsoft.com`,
		`MDE012 profiles.gov.windows.antivirus.bypass`:         `matches *.endpoint.security.microsoft.us`,
		`MDE012 profiles.pac.windows.antivirus.bypass`:         `ctldl.windowsupdate.com`,
		`MDE022 profiles.pac.windows.antivirus.bypass`:         `sends ctldl.windowsupdate.com DIRECT`,
	}
	for k, frag := range want {
		if !strings.Contains(got[k], frag) {
			t.Errorf("%s: got %q, want it to mention %q", k, got[k], frag)
		}
		if !strings.Contains(got[k], "fleet.cue:") {
			t.Errorf("%s: no position: %q", k, got[k])
		}
	}
	for k := range got {
		if strings.Contains(k, ".fine.") {
			t.Errorf("profile fine flagged: %s: %s", k, got[k])
		}
	}
}
