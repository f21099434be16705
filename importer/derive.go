package importer

import (
	"slices"
	"strings"

	"github.com/mdeproxyc/mdeproxyc/model"
)

// intent is the profile an import derives: settings by intent path, in the
// order they are written.
type intent struct {
	name   string
	paths  []model.Path
	values map[model.Path]any // string, bool or []string
	// from says which observations a setting was read from.
	from map[model.Path][]origin
}

func (in *intent) set(p model.Path, v any, from ...obs) {
	if _, ok := in.values[p]; !ok {
		in.paths = append(in.paths, p)
	}
	in.values[p] = v
	in.from[p] = nil
	for _, o := range from {
		in.from[p] = append(in.from[p], o.From)
	}
}

// drop removes a setting the intent cannot hold.
func (in *intent) drop(p model.Path) {
	delete(in.values, p)
	in.paths = slices.DeleteFunc(in.paths, func(x model.Path) bool { return x == p })
}

// reg returns the observation of the registry value carrying a setting.
func (r *reader) reg(setting model.Path) (obs, bool) {
	e, ok := plan.bySetting[setting]
	if !ok {
		return obs{}, false
	}
	o, ok := r.obs[e.id()]
	return o, ok
}

// hostPort strips a proxy URL's scheme (and a trailing slash).
func hostPort(url string) string {
	for _, s := range []string{"http://", "https://"} {
		if len(url) > len(s) && strings.EqualFold(url[:len(s)], s) {
			return strings.TrimSuffix(url[len(s):], "/")
		}
	}
	return url
}

// derive chooses the intent that reproduces the observations: mode from
// whether any static proxy is set, one proxy for every component that can
// take it, and an override where a component's value differs. verify then
// checks every observation against what that intent builds.
func derive(r *reader, name string) *intent {
	in := &intent{name: name, values: map[model.Path]any{}, from: map[model.Path][]origin{}}
	get := func(key string) (obs, bool) { o, ok := r.obs[key]; return o, ok && o.Present }

	if o, ok := get(keyMacDescription); ok {
		in.set(model.PathDescription, o.Value, o)
	} else if o, ok := get(keyIntuneDesc); ok {
		d := o.Value
		if org, ok := get(keyMacOrg); ok {
			d = strings.TrimSuffix(d, " ("+org.Value+")")
		}
		in.set(model.PathDescription, d, o)
	}
	if o, ok := get(keyMacOrg); ok {
		in.set(model.PathOrganization, o.Value, o)
	}
	var platforms []string
	for _, pl := range model.AllPlatforms {
		if r.kinds[string(pl)] {
			platforms = append(platforms, string(pl))
		}
	}
	in.set(model.PathPlatforms, platforms)

	edrProxy, hasEDRProxy := r.reg(model.PathEDRProxy)
	deap, hasDEAP := r.reg(model.PathEDREnabled)
	prefer, hasPrefer := r.reg(model.PathEDRPreferStatic)
	avProxy, hasAVProxy := r.reg(model.PathAVProxy)
	avPAC, hasAVPAC := r.reg(model.PathAVPAC)
	avBypass, hasAVBypass := r.reg(model.PathAVBypass)
	ssl, hasSSL := r.reg(model.PathAVDisableRevocation)
	linux, hasLinux := r.obs[keyLinuxProxy]
	mac, hasMac := r.obs[keyMacProxy]
	winhttp, hasWinHTTP := r.obs[keyWinHTTPProxy]

	// The proxy every component derives its own from: the first one set.
	proxy, proxyFrom := "", obs{}
	for _, o := range []obs{edrProxy, avProxy, linux, mac, winhttp} {
		if o.Present && o.Value != "" {
			proxy, proxyFrom = hostPort(o.Value), o
			break
		}
	}
	static := proxy != "" || avPAC.Present || avBypass.Present
	if !static {
		in.set(model.PathMode, string(model.ModeAuto))
	} else if proxy != "" {
		in.set(model.PathProxy, proxy, proxyFrom)
	}

	// A component whose values no Windows input mentions at all is not
	// managed: mdeproxyc then leaves them alone, as whatever wrote the inputs
	// did (docs/windows.md, "Managed and not managed").
	windows := r.kinds[string(model.Windows)]

	// EDR sensor: DisableEnterpriseAuthProxy is set while the sensor is
	// managed, in either mode.
	if windows && !hasDEAP && !hasEDRProxy || hasDEAP && !deap.Present || !hasDEAP && hasEDRProxy && !edrProxy.Present && static {
		in.set(model.PathEDREnabled, false, deap, edrProxy)
	} else if edrProxy.Present && hostPort(edrProxy.Value) != proxy {
		in.set(model.PathEDRProxy, edrProxy.Value, edrProxy)
	}
	if hasPrefer && prefer.Present && prefer.Value == "1" {
		in.set(model.PathEDRPreferStatic, true, prefer)
	}

	// Antivirus: in static mode ProxyServer is always set while Antivirus is
	// managed, so its deletion cannot come from a managed component; the
	// nearest intent is "not managed", which leaves the values alone, and
	// the check against the build reports the deletions it does not repeat.
	if windows && !hasAVProxy && !hasAVPAC && !hasAVBypass || static && hasAVProxy && !avProxy.Present {
		in.set(model.PathAVEnabled, false, avProxy)
	} else if avProxy.Present && avProxy.Value != "http://"+proxy {
		in.set(model.PathAVProxy, avProxy.Value, avProxy)
	}
	if avPAC.Present {
		in.set(model.PathPAC, avPAC.Value, avPAC)
	}
	var bypass []string
	if avBypass.Present {
		bypass = avBypass.List
		if avBypass.Type != regMultiSZ {
			bypass = splitBypass(avBypass.Value)
		}
		in.set(model.PathBypass, bypass, avBypass)
	}
	if hasSSL && ssl.Present && ssl.Value == "2" {
		in.set(model.PathAVDisableRevocation, true, ssl)
	} else if hasSSL && !static {
		// Mode auto leaves SSLOptions alone unless the profile writes it.
		in.set(model.PathAVDisableRevocation, false, ssl)
	}

	// WinHTTP: a proxy from netsh is managed; direct access is what mode
	// auto's script restores, and what static mode leaves alone.
	if hasWinHTTP {
		switch {
		case winhttp.Present:
			in.set(model.PathWinHTTPEnabled, true, winhttp)
			if winhttp.Value != proxy {
				in.set(model.PathWinHTTPProxy, winhttp.Value, winhttp)
			}
			wb := splitBypass(r.obs[keyWinHTTPBypass].Value)
			if !slices.Equal(wb, bypass) {
				if wb == nil {
					wb = []string{}
				}
				in.set(model.PathWinHTTPBypass, wb, r.obs[keyWinHTTPBypass])
			}
		case !static:
			in.set(model.PathWinHTTPEnabled, true, winhttp)
		}
	}

	if hasLinux && linux.Present && linux.Value != "http://"+proxy {
		in.set(model.PathLinuxProxy, linux.Value, linux)
	}
	if hasMac && mac.Present && mac.Value != "http://"+proxy {
		in.set(model.PathMacOSProxy, mac.Value, mac)
	}
	if o, ok := get(keyMacIdentifier); ok {
		in.set(model.PathMacOSIdentifier, o.Value, o)
	}
	if o, ok := get(keyIntuneName); ok {
		in.set(model.PathIntuneDisplayName, o.Value, o)
	} else if o, ok := get(keyMacDisplayName); ok {
		in.set(model.PathIntuneDisplayName, o.Value, o)
	}
	return in
}
