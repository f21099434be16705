package endpoints

import (
	"encoding/json"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/mdeproxyc/mdeproxyc/model"
)

// TestCatalogueShape: every entry is a valid host with a port, a service, a
// mode, a platform and a dated source; check rejects what a hand edit breaks.
func TestCatalogueShape(t *testing.T) {
	c := Default()
	if len(c.Entries) < 20 {
		t.Fatalf("catalogue has %d entries", len(c.Entries))
	}
	for _, e := range c.Entries {
		if c.Sources[e.Source].Date == "" {
			t.Errorf("%s: source %q has no date", e.Host, e.Source)
		}
	}
	bad := []struct{ name, edit string }{
		{"unknown source", `"source": "nowhere"`},
		{"bad port", `"port": 8080`},
		{"bad mode", `"modes": ["fast"]`},
		{"unknown field", `"hots": "x.example.com"`},
		{"bad host", `"host": "Not A Host"`},
		{"gov region in commercial", `"regions": ["GCC"]`},
		{"no source", `"source": ""`},
		{"unknown component", `"components": ["sensor"]`},
		{"Windows entry without components", `"components": []`},
	}
	for _, b := range bad {
		var raw map[string]any
		if err := json.Unmarshal(catalogueJSON, &raw); err != nil {
			t.Fatal(err)
		}
		var edit map[string]any
		if err := json.Unmarshal([]byte("{"+b.edit+"}"), &edit); err != nil {
			t.Fatal(err)
		}
		first := raw["entries"].([]any)[0].(map[string]any)
		for k, v := range edit {
			first[k] = v
		}
		data, _ := json.Marshal(raw)
		if _, err := parse(data); err == nil {
			t.Errorf("%s: the catalogue check accepted it", b.name)
		}
	}
}

// TestDocsListEverySource: docs/endpoints.md names every source page and its
// date, so a reader can check an entry without reading the JSON.
func TestDocsListEverySource(t *testing.T) {
	doc, err := os.ReadFile("../docs/endpoints.md")
	if err != nil {
		t.Fatal(err)
	}
	for k, s := range Default().Sources {
		if !strings.Contains(string(doc), s.URL) || !strings.Contains(string(doc), s.Date) {
			t.Errorf("docs/endpoints.md does not name source %s (%s, %s)", k, s.URL, s.Date)
		}
	}
}

func TestFor(t *testing.T) {
	c := Default()
	hosts := func(es []Entry) []string {
		var out []string
		for _, e := range es {
			out = append(out, e.Host)
		}
		return out
	}
	p := &model.Profile{Connectivity: model.Streamlined, Region: model.RegionEU, Platforms: []model.Platform{model.Linux}}
	got := hosts(c.For(p))
	for _, want := range []string{"*.endpoint.security.microsoft.com", "packages.microsoft.com", "config.edge.skype.com"} {
		if !slices.Contains(got, want) {
			t.Errorf("streamlined EU Linux lacks %s: %v", want, got)
		}
	}
	for _, not := range []string{"mdav.us.endpoint.security.microsoft.com", "ctldl.windowsupdate.com", "*.ods.opinsights.azure.com"} {
		if slices.Contains(got, not) {
			t.Errorf("streamlined EU Linux has %s", not)
		}
	}
	p = &model.Profile{Connectivity: model.Standard, Region: model.RegionUK, Platforms: []model.Platform{model.Windows}, MMA: model.MMA{Enabled: true}}
	got = hosts(c.For(p))
	for _, want := range []string{"uk-v20.events.data.microsoft.com", "winatp-gw-uks.microsoft.com", "*.ods.opinsights.azure.com", "*.wdcp.microsoft.com"} {
		if !slices.Contains(got, want) {
			t.Errorf("standard UK Windows+MMA lacks %s", want)
		}
	}
	if slices.Contains(got, "eu-v20.events.data.microsoft.com") || slices.Contains(got, "*.endpoint.security.microsoft.us") {
		t.Errorf("standard UK has another region's or cloud's destinations: %v", got)
	}
	// No region: every commercial region's destinations.
	p.Region = ""
	got = hosts(c.For(p))
	for _, want := range []string{"uk-v20.events.data.microsoft.com", "us-v20.events.data.microsoft.com", "au-v20.events.data.microsoft.com"} {
		if !slices.Contains(got, want) {
			t.Errorf("no region lacks %s", want)
		}
	}
	p = &model.Profile{Connectivity: model.Streamlined, Region: model.RegionDoD, Platforms: []model.Platform{model.Windows}}
	got = hosts(c.For(p))
	if !slices.Contains(got, "*.endpoint.security.microsoft.us") || slices.Contains(got, "*.endpoint.security.microsoft.com") || slices.Contains(got, "unitedstates4.ss.wd.microsoft.us") {
		t.Errorf("DoD: %v", got)
	}
}

func TestDomainsDropCoveredNames(t *testing.T) {
	es := []Entry{{Host: "*.windowsupdate.com"}, {Host: "ctldl.windowsupdate.com"}, {Host: "*.download.windowsupdate.com"}, {Host: "go.microsoft.com"}, {Host: "go.microsoft.com"}}
	got := Domains(es)
	want := []string{"*.windowsupdate.com", "go.microsoft.com"}
	if !slices.Equal(got, want) {
		t.Errorf("Domains = %v, want %v", got, want)
	}
}

// TestProxiesIgnoreCase: one proxy written with different capitals by two
// settings is one proxy (one proxy/ folder), not two that collide.
func TestProxiesIgnoreCase(t *testing.T) {
	p := &model.Profile{
		Mode:      model.ModeStatic,
		Platforms: []model.Platform{model.Windows},
		EDR:       model.EDR{Enabled: true, Proxy: "Proxy.Contoso.com:8080"},
		Antivirus: model.Antivirus{Enabled: true, ProxyServer: "http://proxy.contoso.com:8080"},
		WinHTTP:   model.WinHTTP{Enabled: true, Proxy: "[2001:DB8::1]:8080"},
		MMA:       model.MMA{Enabled: true, Proxy: "[2001:db8::1]:8080"},
	}
	got := Proxies(p)
	if want := []string{"[2001:db8::1]:8080", "proxy.contoso.com:8080"}; !slices.Equal(got, want) {
		t.Errorf("Proxies = %q, want %q", got, want)
	}
}

// TestStandardMode: standard connectivity has, from Microsoft's standard
// page, the regional command-and-control hosts for the unified agent's EDR
// sensor (not only for MMA devices), and for Linux and macOS every URL
// `mdatp connectivity test` requests, each probed at its path.
func TestStandardMode(t *testing.T) {
	c := Default()
	win := &model.Profile{Name: "w", Connectivity: model.Standard, Region: model.RegionEU, Platforms: []model.Platform{model.Windows}}
	win.EDR.Enabled = true
	es := c.For(win)
	i := slices.IndexFunc(es, func(e Entry) bool { return e.Host == "winatp-gw-weu.microsoft.com" })
	if i < 0 || !slices.Contains(es[i].Components, ComponentEDR) || slices.Contains(es[i].Components, ComponentMMA) {
		t.Errorf("standard EU Windows without MMA: winatp-gw-weu %+v", es)
	}
	if got := c.ForUses(win, []string{ComponentEDR}); !slices.ContainsFunc(got, func(e Entry) bool { return e.Host == "winatp-gw-neu.microsoft.com" }) {
		t.Errorf("the sensor's own list lacks winatp-gw-neu")
	}
	tests := []string{"https://cdn.x.cp.wd.microsoft.com/ping", "https://eu-cdn.x.cp.wd.microsoft.com/ping", "https://wu-cdn.x.cp.wd.microsoft.com/ping",
		"https://x.cp.wd.microsoft.com/api/report", "https://winatp-gw-cus.microsoft.com/test", "https://winatp-gw-eus.microsoft.com/test",
		"https://winatp-gw-weu.microsoft.com/test", "https://winatp-gw-neu.microsoft.com/test", "https://winatp-gw-ukw.microsoft.com/test",
		"https://winatp-gw-uks.microsoft.com/test", "https://eu-v20.events.data.microsoft.com/ping", "https://us-v20.events.data.microsoft.com/ping",
		"https://uk-v20.events.data.microsoft.com/ping", "https://v20.events.data.microsoft.com/ping"}
	for _, pl := range []model.Platform{model.Linux, model.MacOS} {
		for _, region := range []model.Region{model.RegionUS, model.RegionAU, ""} {
			p := &model.Profile{Name: "x", Connectivity: model.Standard, Region: region, Platforms: []model.Platform{pl}}
			var urls []string
			for _, e := range Probes(c.For(p)) {
				urls = append(urls, e.URL())
			}
			for _, u := range tests {
				if !slices.Contains(urls, u) {
					t.Errorf("%s %q standard: mdatp connectivity test requests %s, not probed (probes %v)", pl, region, u, urls)
				}
			}
		}
	}
}
