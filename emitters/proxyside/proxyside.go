// Package proxyside writes the proxy's side of a fleet: for each proxy the
// fleet's devices use, the destinations of the components that use that
// proxy (and only those), in the forms proxy products read — a plain list, a
// CSV with ports, components and sources, a leading-dot list, an exact-host
// list, a Palo Alto external dynamic list, a Squid snippet that every Squid
// build parses and a separate SslBump snippet for OpenSSL builds, or, for a
// Log Analytics gateway, its Add-OMSGatewayAllowedHost lines — with a README
// for the proxy team; the same for sites without an explicit proxy (WPAD,
// transparent proxy); a PAC file for profiles whose Defender Antivirus uses
// one; and proxy/README.md, the index with the order of work. The
// destinations come from the endpoint catalogue (docs/endpoints.md); which
// component uses which proxy is endpoints.Uses (docs/proxy-side.md).
package proxyside

import (
	"fmt"
	"slices"
	"strings"

	"github.com/mdeproxyc/mdeproxyc/emitters"
	"github.com/mdeproxyc/mdeproxyc/endpoints"
	"github.com/mdeproxyc/mdeproxyc/model"
)

// Folder is the bundle's folder for the proxy side; "proxy" is therefore a
// reserved profile name.
const Folder = "proxy"

// NoProxyFolder is endpoints.NoProxyFolder: the folder of the sites without
// an explicit proxy.
const NoProxyFolder = endpoints.NoProxyFolder

// Emitter is the proxy-side fleet emitter.
type Emitter struct{}

// Name implements emitters.FleetEmitter.
func (Emitter) Name() string { return "proxy" }

// Summary implements emitters.Emitter.
func (Emitter) Summary() string {
	return "proxy/README.md, proxy/<host_port>/ allowlists, Squid or Log Analytics gateway files and README, proxy/<profile>.pac: what each proxy must let through"
}

// Emit implements emitters.Emitter: the proxy side has no per-profile files;
// the bundle runs EmitFleet once for the whole fleet.
func (Emitter) Emit(*emitters.Profile) ([]emitters.File, error) { return nil, nil }

// user is one profile behind a proxy and the components of it that use the
// proxy.
type user struct {
	profile    *model.Profile
	components []string
}

// Proxy is one proxy of the fleet and what goes through it.
type Proxy struct {
	// HostPort is the proxy's host:port; "" for a site without an explicit
	// proxy (Dir then names the profile).
	HostPort string
	// Dir is the proxy's folder in the bundle.
	Dir   string
	users []user
	// Entries are the destinations the proxy must let through: those of
	// the components that use it, each host and port once.
	Entries []endpoints.Entry
}

// Components are the components that use the proxy, in AllComponents order.
func (x *Proxy) Components() []string {
	var out []string
	for _, c := range endpoints.AllComponents {
		for _, u := range x.users {
			if slices.Contains(u.components, c) && !slices.Contains(out, c) {
				out = append(out, c)
			}
		}
	}
	return out
}

// Profiles are the names of the profiles behind the proxy.
func (x *Proxy) Profiles() []string {
	out := make([]string, len(x.users))
	for i, u := range x.users {
		out[i] = u.profile.Name
	}
	return out
}

// Gateway reports whether the proxy is a Log Analytics gateway: only the Log
// Analytics agent uses it (windows.mma.proxy), which is the setting the
// gateway's documentation has agents point at it. A gateway tunnels only
// to hosts on its allowed list, on port 443 (docs/proxy-side.md).
func (x *Proxy) Gateway() bool {
	cs := x.Components()
	return x.HostPort != "" && len(cs) == 1 && cs[0] == endpoints.ComponentMMA
}

// Plan works out the fleet's proxies: one per host:port the devices use
// (endpoints.Uses), then one per profile in mode "auto", each with the
// destinations of the components behind it.
func Plan(ps []*model.Profile) ([]*Proxy, error) {
	cat := endpoints.Default()
	by := map[string]*Proxy{}
	var out []*Proxy
	for _, p := range ps {
		for _, u := range endpoints.Uses(p) {
			x := by[u.HostPort]
			if x == nil {
				x = &Proxy{HostPort: u.HostPort, Dir: Folder + "/" + endpoints.ProxyFolder(u.HostPort)}
				by[u.HostPort] = x
				out = append(out, x)
			}
			x.users = append(x.users, user{p, u.Components})
		}
	}
	slices.SortFunc(out, func(a, b *Proxy) int { return strings.Compare(a.HostPort, b.HostPort) })
	dirs := map[string]string{}
	for _, x := range out {
		if other, dup := dirs[x.Dir]; dup {
			return nil, fmt.Errorf("proxies %s and %s share the folder %s", other, x.HostPort, x.Dir)
		}
		dirs[x.Dir] = x.HostPort
	}
	for _, p := range ps {
		if p.Mode != model.ModeAuto {
			continue
		}
		var cs []string
		for _, c := range endpoints.AllComponents {
			if c == endpoints.ComponentLinux && p.Targets(model.Linux) || c == endpoints.ComponentMacOS && p.Targets(model.MacOS) ||
				p.Targets(model.Windows) && c != endpoints.ComponentLinux && c != endpoints.ComponentMacOS && (c != endpoints.ComponentMMA || p.MMA.Enabled) {
				cs = append(cs, c)
			}
		}
		out = append(out, &Proxy{Dir: Folder + "/" + NoProxyFolder + "/" + p.Name, users: []user{{p, cs}}})
	}
	for _, x := range out {
		// Deduplicated as it grows: a proxy shared by 100,000 profiles would
		// otherwise hold every profile's copy of the same few dozen entries.
		at := map[string]int{}
		for _, u := range x.users {
			for _, e := range cat.ForUses(u.profile, u.components) {
				k := fmt.Sprintf("%s:%d", e.Host, e.Port)
				if i, ok := at[k]; ok {
					x.Entries[i].AddUsers(e)
					continue
				}
				at[k] = len(x.Entries)
				e.Platforms, e.Components = slices.Clone(e.Platforms), slices.Clone(e.Components)
				x.Entries = append(x.Entries, e)
			}
		}
	}
	return out, nil
}

// EmitFleet implements emitters.FleetEmitter.
func (Emitter) EmitFleet(ps []*model.Profile) ([]emitters.File, error) {
	xs, err := Plan(ps)
	if err != nil {
		return nil, err
	}
	var files []emitters.File
	for _, x := range xs {
		files = append(files, proxyFiles(x)...)
	}
	cat := endpoints.Default()
	var pacs []*model.Profile
	for _, p := range ps {
		if proxy, ok := endpoints.PACProxy(p); ok {
			pacs = append(pacs, p)
			files = append(files, emitters.File{Path: Folder + "/" + p.Name + ".pac", Data: PAC(p, proxy, cat.For(p)),
				Summary: "a PAC file for Defender Antivirus: Defender's destinations to the proxy, the bypass list DIRECT"})
		}
	}
	files = append(files, emitters.File{Path: Folder + "/README.md", Data: index(xs, pacs),
		Summary: "the proxy side's index: every proxy, PAC file and site without an explicit proxy, and the order of work"})
	return files, nil
}

// proxyFiles are one proxy folder's files.
func proxyFiles(x *Proxy) []emitters.File {
	domains := endpoints.Domains(x.Entries)
	fs := []emitters.File{
		{Path: x.Dir + "/allowlist.txt", Data: lines(domains),
			Summary: "the destinations this proxy must allow, one a line (*.domain: every name below it)"},
		{Path: x.Dir + "/allowlist.csv", Data: CSV(x.Entries),
			Summary: "the destinations with ports, components and Microsoft sources, machine-readable"},
		{Path: x.Dir + "/allowlist-leading-dot.txt", Data: lines(LeadingDot(domains)),
			Summary: "the destinations with a leading dot for every name below a domain (Zscaler's form)"},
		{Path: x.Dir + "/allowlist-hosts.txt", Data: lines(ExactHosts(x.Entries)),
			Summary: "the exact host names only, for products without wildcards (the README names the domains they miss)"},
		{Path: x.Dir + "/paloalto-edl.txt", Data: lines(PaloAltoEDL(domains)),
			Summary: "a Palo Alto Networks external dynamic list of type URL List"},
	}
	if x.Gateway() {
		fs = append(fs, emitters.File{Path: x.Dir + "/Add-OMSGatewayAllowedHost.txt", Data: OMSGateway(x),
			Summary: "the Log Analytics gateway's allowed hosts (Add-OMSGatewayAllowedHost), to run on the gateway"})
	} else {
		fs = append(fs,
			emitters.File{Path: x.Dir + "/squid.conf", Data: Squid(x),
				Summary: "a Squid snippet every build parses: the devices' networks reach Defender's destinations without authentication"},
			emitters.File{Path: x.Dir + "/squid-sslbump.conf", Data: SquidSSLBump(x),
				Summary: "a Squid snippet for OpenSSL builds that bump TLS: splice Defender's destinations, never bump them"})
	}
	fs = append(fs, emitters.File{Path: x.Dir + "/README.md", Data: readme(x),
		Summary: "what the proxy team must allow, not inspect and not authenticate, and which file fits which product"})
	return fs
}

func lines(ls []string) []byte {
	if len(ls) == 0 {
		return nil
	}
	return []byte(strings.Join(ls, "\n") + "\n")
}

func names(ps []string) string { return strings.Join(ps, ", ") }
