// Package endpoints is the catalogue of network destinations Microsoft
// Defender for Endpoint needs, by connectivity mode, cloud, region, platform
// and component, as Microsoft Learn lists them (docs/endpoints.md). The data is
// embedded (catalogue.json); every entry names its source page and the page's
// date. The package is pure: it imports only the model.
package endpoints

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/mdeproxyc/mdeproxyc/model"
)

//go:embed catalogue.json
var catalogueJSON []byte

// Source is a Microsoft Learn page or downloadable list the catalogue quotes.
type Source struct {
	Title string `json:"title"`
	URL   string `json:"url"`
	// Date is the page's own date (its ms.date), YYYY-MM-DD.
	Date string `json:"date"`
}

// Entry is one destination of the catalogue.
type Entry struct {
	// Host is a DNS name, or "*." and a domain for every name below it.
	Host string `json:"host"`
	// Path is the path the source names under the host, for probes and
	// readers; proxies allow the whole host.
	Path    string `json:"path,omitempty"`
	Port    int    `json:"port"`
	Service string `json:"service"`
	// Modes are the connectivity modes that need the destination.
	Modes []model.Connectivity `json:"modes"`
	// Cloud is "commercial" or "usgov".
	Cloud string `json:"cloud"`
	// Regions limits the entry to these data locations; empty means every
	// region of its cloud.
	Regions   []model.Region   `json:"regions,omitempty"`
	Platforms []model.Platform `json:"platforms"`
	// Components are the Windows components that reach the destination
	// (edr, antivirus, winhttp, mma); each goes through its own proxy, so a
	// proxy lists only its users' destinations. Linux and macOS entries name
	// none: their agent has one proxy.
	Components []string `json:"components,omitempty"`
	// Source is a key of Catalogue.Sources.
	Source string `json:"source"`
	// Probe is set for a host a connectivity check can request as it is: a
	// wildcard is not a host, and a check probes only names a source gives.
	Probe bool `json:"probe,omitempty"`
}

// Wildcard reports whether the entry stands for every name below a domain.
func (e Entry) Wildcard() bool { return strings.HasPrefix(e.Host, "*.") }

// Domain is the entry's host without the leading "*.".
func (e Entry) Domain() string { return strings.TrimPrefix(e.Host, "*.") }

// Matches reports whether the host name h is one the entry stands for.
func (e Entry) Matches(h string) bool {
	h = strings.ToLower(strings.TrimSuffix(h, "."))
	if e.Wildcard() {
		return strings.HasSuffix(h, "."+e.Domain())
	}
	return h == e.Host
}

// URL is the address a connectivity check requests for the entry.
func (e Entry) URL() string {
	scheme := "https"
	if e.Port == 80 {
		scheme = "http"
	}
	p := e.Path
	if p == "" {
		p = "/"
	}
	return scheme + "://" + e.Host + p
}

// Catalogue is the whole embedded catalogue.
type Catalogue struct {
	// Retrieved is the date the entries were read off their sources.
	Retrieved string            `json:"retrieved"`
	Sources   map[string]Source `json:"sources"`
	Entries   []Entry           `json:"entries"`

	// byNeed memoizes For: a fleet of 100,000 profiles has a handful of
	// distinct (region, connectivity, platforms, MMA) combinations.
	byNeed sync.Map
}

// Load parses the embedded catalogue. It panics on a malformed file: the file
// is part of the program, and a test checks its shape.
func Load() *Catalogue {
	c, err := parse(catalogueJSON)
	if err != nil {
		panic("endpoints: the embedded catalogue: " + err.Error())
	}
	return c
}

var loaded = Load()

// Default is the embedded catalogue, parsed once.
func Default() *Catalogue { return loaded }

// Replace makes c what Default returns until restore is called. It is for
// tests of code that reads the catalogue, with a catalogue that lacks what the
// embedded one has (a gap a rule must report); it is not safe to call while
// other goroutines read the catalogue.
func Replace(c *Catalogue) (restore func()) {
	old := loaded
	loaded = c
	return func() { loaded = old }
}

func parse(data []byte) (*Catalogue, error) {
	var c Catalogue
	dec := json.NewDecoder(strings.NewReader(string(data)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return nil, err
	}
	return &c, c.check()
}

// check is the catalogue's shape: what a hand-edited entry can get wrong.
func (c *Catalogue) check() error {
	for i, e := range c.Entries {
		where := fmt.Sprintf("entry %d (%s)", i, e.Host)
		switch {
		case !validHost(e.Host):
			return fmt.Errorf("%s: host must be a lowercase DNS name or *.domain", where)
		case e.Port != 80 && e.Port != 443:
			return fmt.Errorf("%s: port %d; allowed: 80, 443", where, e.Port)
		case e.Service == "":
			return fmt.Errorf("%s: no service", where)
		case len(e.Modes) == 0 || len(e.Platforms) == 0:
			return fmt.Errorf("%s: no modes or no platforms", where)
		case e.Cloud != CloudCommercial && e.Cloud != CloudUSGov:
			return fmt.Errorf("%s: cloud %q; allowed: %s, %s", where, e.Cloud, CloudCommercial, CloudUSGov)
		case slices.Contains(e.Platforms, model.Windows) && len(e.Components) == 0:
			return fmt.Errorf("%s: a Windows destination needs components (allowed: %v)", where, WindowsComponents)
		case !slices.Contains(e.Platforms, model.Windows) && len(e.Components) > 0:
			return fmt.Errorf("%s: components name Windows components; the entry has no Windows platform", where)
		case e.Probe && e.Wildcard():
			return fmt.Errorf("%s: a wildcard cannot be probed", where)
		case e.Path != "" && !strings.HasPrefix(e.Path, "/"):
			return fmt.Errorf("%s: path must start with /", where)
		}
		if _, ok := c.Sources[e.Source]; !ok {
			return fmt.Errorf("%s: source %q is not in sources", where, e.Source)
		}
		for _, m := range e.Modes {
			if !slices.Contains(model.AllConnectivity, m) {
				return fmt.Errorf("%s: mode %q; allowed: %v", where, m, model.AllConnectivity)
			}
		}
		for _, c := range e.Components {
			if !slices.Contains(WindowsComponents, c) {
				return fmt.Errorf("%s: component %q; allowed: %v", where, c, WindowsComponents)
			}
		}
		for _, r := range e.Regions {
			if CloudOf(r) != e.Cloud {
				return fmt.Errorf("%s: region %q is not a region of cloud %s", where, r, e.Cloud)
			}
		}
		for _, p := range e.Platforms {
			if !slices.Contains(model.AllPlatforms, p) {
				return fmt.Errorf("%s: platform %q", where, p)
			}
		}
	}
	for k, s := range c.Sources {
		if s.Title == "" || !strings.HasPrefix(s.URL, "https://") || !validDate(s.Date) {
			return fmt.Errorf("source %s: needs a title, an https URL and a YYYY-MM-DD date", k)
		}
	}
	if !validDate(c.Retrieved) {
		return fmt.Errorf("retrieved: %q is not a YYYY-MM-DD date", c.Retrieved)
	}
	return nil
}

func validDate(s string) bool {
	if len(s) != 10 || s[4] != '-' || s[7] != '-' {
		return false
	}
	for i, r := range s {
		if i != 4 && i != 7 && (r < '0' || r > '9') {
			return false
		}
	}
	return true
}

func validHost(h string) bool {
	h = strings.TrimPrefix(h, "*.")
	labels := strings.Split(h, ".")
	if len(labels) < 2 {
		return false
	}
	for _, l := range labels {
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
		for _, r := range l {
			if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-') {
				return false
			}
		}
	}
	return true
}

// The clouds of the catalogue.
const (
	CloudCommercial = "commercial"
	CloudUSGov      = "usgov"
)

// The users of a destination. The Windows ones name the setting whose proxy
// the component's traffic takes (docs/proxy-side.md); Linux and macOS stand
// for the platform's agent.
const (
	ComponentEDR       = "edr"       // the EDR sensor: windows.edr.proxy, else WinHTTP
	ComponentAntivirus = "antivirus" // Defender Antivirus: windows.antivirus.proxy or its PAC, else WinHTTP
	ComponentWinHTTP   = "winhttp"   // Windows itself (Windows Update, CRLs): the WinHTTP proxy
	ComponentMMA       = "mma"       // the Log Analytics agent: windows.mma.proxy
	ComponentLinux     = "linux"     // the Linux agent: linux.proxy
	ComponentMacOS     = "macos"     // the macOS agent: macos.proxy
)

// WindowsComponents are the components a Windows entry may name.
var WindowsComponents = []string{ComponentEDR, ComponentAntivirus, ComponentWinHTTP, ComponentMMA}

// AllComponents are every user a proxy can have, in the order READMEs list them.
var AllComponents = []string{ComponentEDR, ComponentAntivirus, ComponentWinHTTP, ComponentMMA, ComponentLinux, ComponentMacOS}

// UsedBy reports whether one of the components uses reaches the entry.
func (e Entry) UsedBy(uses []string) bool {
	for _, u := range uses {
		switch u {
		case ComponentLinux:
			if slices.Contains(e.Platforms, model.Linux) {
				return true
			}
		case ComponentMacOS:
			if slices.Contains(e.Platforms, model.MacOS) {
				return true
			}
		default:
			if slices.Contains(e.Components, u) {
				return true
			}
		}
	}
	return false
}

// mmaOnly reports whether the entry is for the Log Analytics agent alone.
func (e Entry) mmaOnly() bool {
	return len(e.Components) == 1 && e.Components[0] == ComponentMMA && len(e.Platforms) == 1
}

// CloudOf is the cloud a data location belongs to; the empty region (not
// set) is the commercial cloud.
func CloudOf(r model.Region) string {
	switch r {
	case model.RegionGCC, model.RegionGCCHigh, model.RegionDoD:
		return CloudUSGov
	}
	return CloudCommercial
}

// For returns the destinations a profile's devices need: its connectivity
// mode, its region (every commercial region when none is set), its platforms,
// and the Log Analytics agent's destinations where it is enabled. Each host
// and port appears once, at its first entry, in catalogue order, with the
// platforms and components of every entry for it.
//
// The result is shared between profiles with the same needs: do not modify it.
func (c *Catalogue) For(p *model.Profile) []Entry { return c.ForUses(p, AllComponents) }

// ForUses is For restricted to the destinations the given components reach:
// what one proxy must let through when only these components use it.
func (c *Catalogue) ForUses(p *model.Profile, uses []string) []Entry {
	key := fmt.Sprint(p.Region, "|", p.Connectivity, "|", p.Platforms, "|", p.Targets(model.Windows) && p.MMA.Enabled, "|", uses)
	if es, ok := c.byNeed.Load(key); ok {
		return es.([]Entry)
	}
	es := c.entriesFor(p, uses)
	c.byNeed.Store(key, es)
	return es
}

// entriesFor is ForUses without the memo.
func (c *Catalogue) entriesFor(p *model.Profile, uses []string) []Entry {
	cloud := CloudOf(p.Region)
	var out destinations
	for _, e := range c.Entries {
		if e.Cloud != cloud || !slices.Contains(e.Modes, p.Connectivity) {
			continue
		}
		if p.Region != "" && len(e.Regions) > 0 && !slices.Contains(e.Regions, p.Region) {
			continue
		}
		if !slices.ContainsFunc(e.Platforms, p.Targets) {
			continue
		}
		if e.mmaOnly() && !(p.Targets(model.Windows) && p.MMA.Enabled) {
			continue
		}
		// Platforms the profile does not target do not count as users.
		var pls []model.Platform
		for _, pl := range e.Platforms {
			if p.Targets(pl) {
				pls = append(pls, pl)
			}
		}
		e.Platforms = pls
		if !slices.Contains(pls, model.Windows) {
			e.Components = nil
		} else if !(p.Targets(model.Windows) && p.MMA.Enabled) && !e.mmaOnly() {
			e.Components = slices.DeleteFunc(slices.Clone(e.Components), func(c string) bool { return c == ComponentMMA })
		}
		if !e.UsedBy(uses) {
			continue
		}
		out.add(e)
	}
	return out.entries
}

// destinations collects entries, each host and port once, at its first
// entry, with the platforms and components of every entry for it.
type destinations struct {
	at      map[string]int
	entries []Entry
}

// add adds e, or, where another entry has its destination, e's users to
// that entry: one line, every user. e's slices are not modified.
func (d *destinations) add(e Entry) {
	key := fmt.Sprintf("%s:%d", e.Host, e.Port)
	if i, ok := d.at[key]; ok {
		d.entries[i].Platforms = union(d.entries[i].Platforms, e.Platforms)
		d.entries[i].Components = union(d.entries[i].Components, e.Components)
		return
	}
	if d.at == nil {
		d.at = map[string]int{}
	}
	d.at[key] = len(d.entries)
	e.Platforms, e.Components = slices.Clone(e.Platforms), slices.Clone(e.Components)
	d.entries = append(d.entries, e)
}

// union appends to a the elements of b it lacks, in b's order.
func union[T comparable](a, b []T) []T {
	for _, x := range b {
		if !slices.Contains(a, x) {
			a = append(a, x)
		}
	}
	return a
}

// OnPlatform keeps the entries a device of one platform needs.
func OnPlatform(es []Entry, pl model.Platform) []Entry {
	var out []Entry
	for _, e := range es {
		if slices.Contains(e.Platforms, pl) {
			out = append(out, e)
		}
	}
	return out
}

// Domains returns the hosts of es as a proxy allows them: sorted, each once,
// and without a name a wildcard of the list already covers ("*.example.com"
// covers "a.example.com" and "*.a.example.com").
func Domains(es []Entry) []string {
	var out []string
	for _, e := range es {
		covered := false
		for _, w := range es {
			if w.Wildcard() && strings.HasSuffix(e.Domain(), "."+w.Domain()) {
				covered = true
				break
			}
		}
		if !covered && !slices.Contains(out, e.Host) {
			out = append(out, e.Host)
		}
	}
	slices.Sort(out)
	return out
}

// Probes keeps the entries a connectivity check requests, one per URL.
func Probes(es []Entry) []Entry {
	var out []Entry
	seen := map[string]bool{}
	for _, e := range es {
		if e.Probe && !seen[e.URL()] {
			seen[e.URL()] = true
			out = append(out, e)
		}
	}
	return out
}

// Proxies lists the static proxies a profile's devices use, as host:port,
// sorted, each once: every proxy setting in force, scheme and trailing slash
// removed. A profile in mode "auto" has none.
func Proxies(p *model.Profile) []string {
	var out []string
	for _, s := range p.Table() {
		if !s.IsProxy() || !s.InForce() {
			continue
		}
		hp := s.Text
		if _, rest, ok := strings.Cut(hp, "://"); ok {
			hp = rest
		}
		// Host names and IPv6 hex digits are case-insensitive: one proxy,
		// however each setting capitalises it.
		hp = strings.ToLower(strings.TrimSuffix(hp, "/"))
		if !slices.Contains(out, hp) {
			out = append(out, hp)
		}
	}
	slices.Sort(out)
	return out
}

// ProxyFolder is the folder of the bundle's proxy/ tree for one proxy: its
// host:port made safe as a folder name on every system ("proxy.contoso.com_8080",
// "2001-db8--1_8080" for [2001:db8::1]:8080).
func ProxyFolder(hostPort string) string {
	i := strings.LastIndexByte(hostPort, ':')
	host, port := hostPort[:i], hostPort[i+1:]
	host = strings.NewReplacer("[", "", "]", "", ":", "-").Replace(host)
	return strings.ToLower(host) + "_" + port
}

// Group is one kind of destination (a service of the catalogue) and the
// entries of it a connectivity check can request.
type Group struct {
	Service string
	Entries []Entry
	Probes  []Entry
}

// Groups splits es by service, in catalogue order: a connectivity check
// probes at least one host of each group that has a probe, and names the
// others as not probed.
func Groups(es []Entry) []Group {
	var out []Group
	at := map[string]int{}
	for _, e := range es {
		i, ok := at[e.Service]
		if !ok {
			i = len(out)
			at[e.Service] = i
			out = append(out, Group{Service: e.Service})
		}
		out[i].Entries = append(out[i].Entries, e)
		if e.Probe {
			out[i].Probes = append(out[i].Probes, e)
		}
	}
	return out
}

// NotProbed describes the groups of es a check cannot request: no Microsoft
// page names a host of them that can be requested as it is.
func NotProbed(es []Entry) []string {
	var out []string
	for _, g := range Groups(es) {
		if len(g.Probes) > 0 {
			continue
		}
		hosts := make([]string, len(g.Entries))
		for i, e := range g.Entries {
			hosts[i] = e.Host
		}
		out = append(out, g.Service+": "+strings.Join(hosts, ", ")+" (no Microsoft page names a host to request; the proxy must still allow it)")
	}
	return out
}
