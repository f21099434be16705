package regplan

import (
	"testing"

	"github.com/mdeproxyc/mdeproxyc/internal/testfleet"
)

// TestRevocationChecksInAutoMode: in mode "auto" SSLOptions follows a written
// disableRevocationChecks — false deletes it (revocation checks back on), true
// sets it — and a profile that writes nothing leaves it alone; writing it in
// defaults counts as writing it. In mode "static" it is always managed. Each
// profile carries its own expectation, and a profile without one fails.
func TestRevocationChecksInAutoMode(t *testing.T) {
	want := map[string]string{ // SSLOptions: "set 2", "delete" or "" (left alone)
		"auto-off":       "delete",
		"auto-on":        "set 2",
		"auto-unwritten": "",
		"auto-av-off":    "", // not managed: SSLOptions is left alone
		"static-plain":   "delete",
		"static-on":      "set 2",
	}
	ps := testfleet.Source(t, `package fleet
profiles: {
	"auto-off": {platforms: ["windows"], mode: "auto", windows: antivirus: disableRevocationChecks: false}
	"auto-on": {platforms: ["windows"], mode: "auto", windows: antivirus: disableRevocationChecks: true}
	"auto-unwritten": {platforms: ["windows"], mode: "auto"}
	"auto-av-off": {platforms: ["windows"], mode: "auto", windows: antivirus: {enabled: false, disableRevocationChecks: true}}
	"static-plain": {platforms: ["windows"], proxy: "p.example.com:8080"}
	"static-on": {platforms: ["windows"], proxy: "p.example.com:8080", windows: antivirus: disableRevocationChecks: true}
}
`)
	ps = append(ps, testfleet.Source(t, `package fleet
defaults: windows: antivirus: disableRevocationChecks: false
profiles: "auto-defaults": {platforms: ["windows"], mode: "auto"}
`)...)
	want["auto-defaults"] = "delete"
	if len(ps) != len(want) {
		t.Fatalf("%d profiles for %d expectations", len(ps), len(want))
	}
	for _, p := range ps {
		w, ok := want[p.Name]
		if !ok {
			t.Errorf("no expectation for profile %s", p.Name)
			continue
		}
		got := ""
		for _, o := range For(p).Ops {
			if o.Key != KeySpynet || o.Name != "SSLOptions" {
				continue
			}
			if got != "" {
				t.Errorf("%s: SSLOptions managed twice", p.Name)
			}
			switch {
			case o.Delete:
				got = "delete"
			case o.Type == DWord && o.DWord == 2:
				got = "set 2"
			default:
				got = "set " + o.Data()
			}
		}
		if got != w {
			t.Errorf("%s: SSLOptions %q, want %q", p.Name, got, w)
		}
	}
}
