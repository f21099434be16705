package semdiff

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/mdeproxyc/mdeproxyc/emitters/all"
	"github.com/mdeproxyc/mdeproxyc/endpoints"
	"github.com/mdeproxyc/mdeproxyc/internal/testfleet"
	"github.com/mdeproxyc/mdeproxyc/model"
)

// TestProxyChanges: moving a profile's data location from the US to the EU
// and giving its Antivirus a proxy of its own lists, per proxy, the
// destinations added and removed — the EU hosts added and the US ones removed
// on the shared proxy, the Antivirus destinations added on the new proxy,
// while what Linux devices still need stays on the shared one — in the text
// and Markdown output.
func TestProxyChanges(t *testing.T) {
	old := testfleet.Source(t, `package fleet
profiles: site: {platforms: ["windows", "linux"], proxy: "shared.example.com:8080", region: "US", connectivity: "standard"}
`)
	cur := testfleet.Source(t, `package fleet
profiles: site: {platforms: ["windows", "linux"], proxy: "shared.example.com:8080", region: "EU", connectivity: "standard", windows: antivirus: proxy: "http://av.example.com:8080"}
`)
	changes, err := Compare(old, cur, all.Emitters())
	if err != nil {
		t.Fatal(err)
	}
	fleet := changes[len(changes)-1]
	if fleet.Profile != "" {
		t.Fatalf("no fleet entry: %+v", changes)
	}
	by := map[string]ProxyChange{}
	for _, x := range fleet.Proxies {
		by[x.Proxy] = x
	}
	shared, av := by["shared.example.com:8080"], by["av.example.com:8080"]
	for _, c := range []struct {
		list []string
		want string
		has  bool
	}{
		{shared.Added, "automatedirstrprdweu.blob.core.windows.net:443", true},
		{shared.Removed, "automatedirstrprdcus.blob.core.windows.net:443", true},
		// Linux devices still reach these through the shared proxy.
		{shared.Removed, "*.wdcp.microsoft.com:443", false},
		{shared.Removed, "winatp-gw-cus.microsoft.com:443", false},
		{shared.Removed, "packages.microsoft.com:443", false},
		{av.Added, "*.wdcp.microsoft.com:443", true},
		{av.Added, "winatp-gw-weu.microsoft.com:443", false},
		{av.Removed, "*.wdcp.microsoft.com:443", false},
	} {
		if slices.Contains(c.list, c.want) != c.has {
			t.Errorf("%s in %v: want %v", c.want, c.list, c.has)
		}
	}
	// Nothing both versions list is added or removed, and nothing else is
	// left out.
	before, after := hostPorts(t, old), hostPorts(t, cur)
	for proxy, x := range by {
		for _, d := range x.Added {
			if slices.Contains(before[proxy], d) || !slices.Contains(after[proxy], d) {
				t.Errorf("%s: %s listed as added", proxy, d)
			}
		}
		for _, d := range x.Removed {
			if slices.Contains(after[proxy], d) || !slices.Contains(before[proxy], d) {
				t.Errorf("%s: %s listed as removed", proxy, d)
			}
		}
		if len(x.Added)+len(x.Removed) == 0 {
			t.Errorf("%s: listed with no change", proxy)
		}
	}
	var text bytes.Buffer
	if err := Write(&text, "text", changes); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"  proxy av.example.com:8080: allow the added before devices move", "    + *.wdcp.microsoft.com:443\n", "    - automatedirstrprdcus.blob.core.windows.net:443\n"} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("text output lacks %q:\n%s", want, text.String())
		}
	}
	var md bytes.Buffer
	Write(&md, "markdown", changes)
	if !strings.Contains(md.String(), "| `av.example.com:8080` | `*.endpoint.security.microsoft.com:443`<br>") || !strings.Contains(md.String(), "<br>`*.wdcp.microsoft.com:443`<br>") {
		t.Errorf("markdown output:\n%s", md.String())
	}
}

// hostPorts lists each proxy's destinations as host:port, from the proxy
// side's own plan.
func hostPorts(t *testing.T, ps []*model.Profile) map[string][]string {
	t.Helper()
	xs, err := endpoints.FleetProxies(ps)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]string{}
	for _, x := range xs {
		for _, e := range x.Destinations() {
			out[x.HostPort] = append(out[x.HostPort], fmt.Sprintf("%s:%d", e.Host, e.Port))
		}
	}
	return out
}
