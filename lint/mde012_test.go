package lint

import (
	"testing"

	"github.com/mdeproxyc/mdeproxyc/internal/testfleet"
)

// TestMDE012Star: a bypass entry "*" gets MDE012's own message — it matches
// every host, not one endpoint — at the list's opening bracket, ahead of the
// endpoint entries after it, for each bypass list it is in.
func TestMDE012Star(t *testing.T) {
	ps := testfleet.Source(t, `package fleet
defaults: proxy: "p.contoso.com:8080"
profiles: {
	star: {platforms: ["windows"], bypass: ["<local>", "*", "*.microsoft.com"]}
	winhttp: {platforms: ["windows"], windows: winhttp: {enabled: true, bypass: ["*"]}}
}
`)
	got := map[string]string{}
	for _, d := range Run(ps) {
		if d.Rule == "MDE012" {
			got[d.Path] = d.Pos.String() + ": " + d.Msg
		}
	}
	const msg = `bypass entry "*" matches every host: the proxy is never used`
	want := map[string]string{
		"profiles.star.windows.antivirus.bypass":  "fleet.cue:4:41: " + msg,
		"profiles.winhttp.windows.winhttp.bypass": "fleet.cue:5:78: " + msg,
	}
	for path, w := range want {
		g := got[path]
		if len(g) < len(w) || g[len(g)-len(w):] != w {
			t.Errorf("%s: got %q, want it to end with %q", path, g, w)
		}
	}
	if len(got) != len(want) {
		t.Errorf("MDE012 findings %q, want one for each of %d lists", got, len(want))
	}
}
