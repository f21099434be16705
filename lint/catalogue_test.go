package lint

import (
	"slices"
	"strings"
	"testing"

	"github.com/mdeproxyc/mdeproxyc/endpoints"
	"github.com/mdeproxyc/mdeproxyc/internal/testfleet"
	"github.com/mdeproxyc/mdeproxyc/model"
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

// TestUnsourcedPlatforms: MDE023 names a platform for which the catalogue
// has no Microsoft-sourced destination in the profile's mode and region
// (US Government standard mode without its page's entries: nothing for Linux,
// no EDR host for Windows), and stays silent where the pages give hosts; with
// the embedded catalogue it is silent for every cloud, mode and platform. MDE024 flags the https://
// Antivirus proxy a PAC file would name as plain HTTP.
func TestUnsourcedPlatforms(t *testing.T) {
	// The embedded catalogue has US Government standard-mode entries; the
	// rule is for a catalogue that lacks them, as it did before they were
	// sourced: drop them.
	full := endpoints.Default()
	gap := &endpoints.Catalogue{Retrieved: full.Retrieved, Sources: full.Sources}
	for _, e := range full.Entries {
		if !(e.Cloud == endpoints.CloudUSGov && slices.Contains(e.Modes, model.Standard) && (e.Source == "standard-gov" || !slices.Contains(e.Platforms, model.Windows))) {
			gap.Entries = append(gap.Entries, e)
		}
	}
	defer endpoints.Replace(gap)()
	ps := testfleet.Source(t, `package fleet
defaults: proxy: "p.contoso.com:8080"
profiles: {
	govlinux: {platforms: ["linux"], region: "GCC", connectivity: "standard"}
	govwin: {platforms: ["windows"], region: "GCC", connectivity: "standard"}
	govstreamlined: {platforms: ["windows", "linux"], region: "GCC"}
	eustandard: {platforms: ["windows", "linux", "macos"], region: "EU", connectivity: "standard"}
	pachttps: {platforms: ["windows"], pac: "http://pac.contoso.com/p.pac", windows: antivirus: proxy: "https://av.contoso.com:8443"}
	pachttp: {platforms: ["windows"], pac: "http://pac.contoso.com/p.pac", windows: antivirus: proxy: "http://av.contoso.com:8080"}
}
`)
	got := map[string]string{}
	for _, d := range Run(ps) {
		if d.Rule == "MDE023" || d.Rule == "MDE024" {
			got[d.Rule+" "+d.Path] = d.Pos.String() + " " + d.Msg
		}
	}
	want := map[string]string{
		"MDE023 profiles.govlinux.connectivity":          "for linux in standard connectivity, region GCC",
		"MDE023 profiles.govwin.connectivity":            "for windows in standard connectivity, region GCC",
		"MDE024 profiles.pachttps.windows.antivirus.pac": "https://av.contoso.com:8443 as a plain-HTTP proxy",
	}
	for k, frag := range want {
		if !strings.Contains(got[k], frag) || !strings.Contains(got[k], "fleet.cue:") {
			t.Errorf("%s: got %q, want it to mention %q at a position", k, got[k], frag)
		}
	}
	if len(got) != len(want) {
		t.Errorf("findings %v, want only %v", got, want)
	}
	restore := endpoints.Replace(full)
	defer restore()
	for _, region := range []string{"US", "EU", "UK", "AU", "GCC", "GCC-High", "DoD"} {
		for _, conn := range []string{"streamlined", "standard"} {
			src := `package fleet
profiles: all: {platforms: ["windows", "linux", "macos"], proxy: "p.contoso.com:8080", region: "` + region + `", connectivity: "` + conn + `"}
`
			for _, d := range Run(testfleet.Source(t, src)) {
				if d.Rule == "MDE023" {
					t.Errorf("%s %s: %s", region, conn, d.Msg)
				}
			}
		}
	}
}
