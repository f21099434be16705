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
	"strings"

	"github.com/mdeproxyc/mdeproxyc/emitters"
	"github.com/mdeproxyc/mdeproxyc/endpoints"
	"github.com/mdeproxyc/mdeproxyc/model"
)

// Folder is the bundle's folder for the proxy side; "proxy" is therefore a
// reserved profile name.
const Folder = endpoints.ProxyBundleFolder

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

// EmitFleet implements emitters.FleetEmitter.
func (Emitter) EmitFleet(ps []*model.Profile) (emitters.FleetFiles, error) {
	xs, err := endpoints.FleetProxies(ps)
	if err != nil {
		return emitters.FleetFiles{}, err
	}
	// One proxy's files, and one profile's PAC file, depend on nothing
	// else: each is a part, which the build renders and writes on every
	// core (a one-profile rebuild renders them all, after every profile).
	var pacs []*model.Profile
	for _, p := range ps {
		if _, ok := endpoints.PACProxy(p); ok {
			pacs = append(pacs, p)
		}
	}
	cat := endpoints.Default()
	return emitters.FleetFiles{
		Parts: len(xs) + len(pacs) + 1,
		Part: func(i int) []emitters.File {
			switch {
			case i < len(xs):
				return proxyFiles(Resolve(xs[i]))
			case i < len(xs)+len(pacs):
				p := pacs[i-len(xs)]
				proxy, _ := endpoints.PACProxy(p)
				return []emitters.File{{Path: Folder + "/" + p.Name + ".pac", Data: PAC(p, proxy, cat.For(p)),
					Summary: "a PAC file for Defender Antivirus: Defender's destinations to the proxy, the bypass list DIRECT"}}
			default:
				return []emitters.File{{Path: Folder + "/README.md", Data: index(xs, pacs),
					Summary: "the proxy side's index: every proxy, PAC file and site without an explicit proxy, and the order of work"}}
			}
		},
	}, nil
}

// Proxy is one proxy of the fleet with its destinations worked out, as its
// files are rendered: each proxy's are worked out for its own part, and let
// go with it.
type Proxy struct {
	*endpoints.Proxy
	// Entries are the proxy's Destinations, worked out once for all its
	// files.
	Entries []endpoints.Entry
}

// Resolve works out x's destinations.
func Resolve(x *endpoints.Proxy) Proxy { return Proxy{x, x.Destinations()} }

// proxyFiles are one proxy folder's files.
func proxyFiles(x Proxy) []emitters.File {
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
