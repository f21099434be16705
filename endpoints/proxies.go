package endpoints

import (
	"fmt"
	"slices"
	"strings"

	"github.com/mdeproxyc/mdeproxyc/model"
)

// ProxyBundleFolder is the bundle's folder for the proxy side; "proxy" is
// therefore a reserved profile name.
const ProxyBundleFolder = "proxy"

// ProxyUser is one profile behind a proxy and the components of it that use
// the proxy.
type ProxyUser struct {
	Profile    *model.Profile
	Components []string
}

// Proxy is one proxy of the fleet and what goes through it.
type Proxy struct {
	// HostPort is the proxy's host:port; "" for a site without an explicit
	// proxy (Dir then names the profile).
	HostPort string
	// Dir is the proxy's folder in the bundle.
	Dir string
	// Users are the profiles behind the proxy, in fleet order.
	Users []ProxyUser
}

// Destinations works out the destinations the proxy must let through: those
// of the components that use it, each host and port once. They are worked
// out anew on each call, not kept on the proxy: every proxy's at once came
// to 150 MB at 100,000 profiles, held through the whole proxy side, where
// each is needed only while its folder is rendered.
func (x *Proxy) Destinations() []Entry {
	cat := Default()
	// Deduplicated as it grows: a proxy shared by 100,000 profiles would
	// otherwise hold every profile's copy of the same few dozen entries.
	var d destinations
	for _, u := range x.Users {
		for _, e := range cat.ForUses(u.Profile, u.Components) {
			d.add(e)
		}
	}
	return d.entries
}

// Components are the components that use the proxy, in AllComponents order.
func (x *Proxy) Components() []string {
	var out []string
	for _, c := range AllComponents {
		for _, u := range x.Users {
			if slices.Contains(u.Components, c) && !slices.Contains(out, c) {
				out = append(out, c)
			}
		}
	}
	return out
}

// Profiles are the names of the profiles behind the proxy.
func (x *Proxy) Profiles() []string {
	out := make([]string, len(x.Users))
	for i, u := range x.Users {
		out[i] = u.Profile.Name
	}
	return out
}

// Gateway reports whether the proxy is a Log Analytics gateway: only the Log
// Analytics agent uses it (windows.mma.proxy), which is the setting the
// gateway's documentation has agents point at it. A gateway tunnels only
// to hosts on its allowed list, on port 443 (docs/proxy-side.md).
func (x *Proxy) Gateway() bool {
	cs := x.Components()
	return x.HostPort != "" && len(cs) == 1 && cs[0] == ComponentMMA
}

// FleetProxies works out the fleet's proxies: one per host:port the devices use
// (Uses), then one per profile in mode "auto", each with the profiles
// and components behind it (Destinations works out what it must let
// through).
func FleetProxies(ps []*model.Profile) ([]*Proxy, error) {
	by := map[string]*Proxy{}
	var out []*Proxy
	for _, p := range ps {
		for _, u := range Uses(p) {
			x := by[u.HostPort]
			if x == nil {
				x = &Proxy{HostPort: u.HostPort, Dir: ProxyBundleFolder + "/" + ProxyFolder(u.HostPort)}
				by[u.HostPort] = x
				out = append(out, x)
			}
			x.Users = append(x.Users, ProxyUser{p, u.Components})
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
		// Every component of its platforms, in AllComponents order.
		var cs []string
		if p.Targets(model.Windows) {
			cs = append(cs, ComponentEDR, ComponentAntivirus, ComponentWinHTTP)
			if p.MMA.Enabled {
				cs = append(cs, ComponentMMA)
			}
		}
		if p.Targets(model.Linux) {
			cs = append(cs, ComponentLinux)
		}
		if p.Targets(model.MacOS) {
			cs = append(cs, ComponentMacOS)
		}
		out = append(out, &Proxy{Dir: ProxyBundleFolder + "/" + NoProxyFolder + "/" + p.Name, Users: []ProxyUser{{p, cs}}})
	}
	return out, nil
}
