package endpoints

import (
	"slices"
	"strings"

	"github.com/mdeproxyc/mdeproxyc/model"
)

// ProxyUse is one proxy a profile's devices use and the components that send
// their traffic through it.
type ProxyUse struct {
	// HostPort is the proxy as host:port, lower case, no scheme.
	HostPort string
	// Components are the users, in AllComponents order.
	Components []string
}

// hostPort is a proxy setting's value as host:port, or "" when the setting
// does not reach a device.
func hostPort(p *model.Profile, path model.Path) string {
	s := p.Get(path)
	if !s.InForce() {
		return ""
	}
	return bare(s.Text)
}

// bare is a proxy URL as host:port: no scheme, no trailing slash, lower case.
func bare(proxy string) string {
	if _, rest, ok := strings.Cut(proxy, "://"); ok {
		proxy = rest
	}
	return strings.ToLower(strings.TrimSuffix(proxy, "/"))
}

// PACProxy is the proxy a profile's PAC file (proxy/<profile>.pac) sends
// Defender's destinations to: the Antivirus proxy (the PAC file is
// Antivirus' ProxyPacUrl), else the sensor's. ok is false for a profile that
// gets no PAC file: no Windows, no Antivirus, no PAC URL, or no static proxy
// to name.
func PACProxy(p *model.Profile) (hp string, ok bool) {
	if !p.Targets(model.Windows) || !p.Antivirus.Enabled || p.Antivirus.PacURL == "" || p.Mode != model.ModeStatic {
		return "", false
	}
	hp = bare(p.Antivirus.ProxyServer)
	if hp == "" {
		hp = strings.ToLower(p.EDR.Proxy)
	}
	return hp, hp != ""
}

// Uses lists the proxies a profile's devices use and, for each, the
// components whose traffic takes it (docs/proxy-side.md, "Which component
// uses which proxy"):
//
//   - the EDR sensor: windows.edr.proxy (TelemetryProxyServer), else the
//     WinHTTP proxy, which the sensor reads when it has no static proxy;
//   - Defender Antivirus: windows.antivirus.proxy, else the proxy its PAC
//     file names, else the WinHTTP proxy;
//   - Windows itself (Windows Update, certificate revocation): WinHTTP, and
//     the sensor's proxy too where PreferStaticProxyForHttpRequest is set;
//   - the Log Analytics agent: windows.mma.proxy;
//   - Linux and macOS: linux.proxy and macos.proxy.
//
// A profile in mode "auto" has none. The list is sorted by proxy.
func Uses(p *model.Profile) []ProxyUse {
	by := map[string][]string{}
	add := func(hp, c string) {
		if hp != "" && !slices.Contains(by[hp], c) {
			by[hp] = append(by[hp], c)
		}
	}
	if p.Targets(model.Windows) {
		winhttp := hostPort(p, model.PathWinHTTPProxy)
		edr := hostPort(p, model.PathEDRProxy)
		if edr == "" {
			edr = winhttp
		}
		add(edr, ComponentEDR)
		// PreferStaticProxyForHttpRequest (offline) sends the sensor's
		// certificate revocation and Windows Update requests through its
		// static proxy (docs/proxy-side.md).
		if p.EDR.Enabled && p.EDR.PreferStaticProxy {
			add(hostPort(p, model.PathEDRProxy), ComponentWinHTTP)
		}
		av := hostPort(p, model.PathAVProxy)
		if av == "" {
			if pac, ok := PACProxy(p); ok {
				av = pac
			} else {
				av = winhttp
			}
		}
		add(av, ComponentAntivirus)
		add(winhttp, ComponentWinHTTP)
		add(hostPort(p, model.PathMMAProxy), ComponentMMA)
	}
	if p.Targets(model.Linux) {
		add(hostPort(p, model.PathLinuxProxy), ComponentLinux)
	}
	if p.Targets(model.MacOS) {
		add(hostPort(p, model.PathMacOSProxy), ComponentMacOS)
	}
	out := make([]ProxyUse, 0, len(by))
	for hp, cs := range by {
		slices.SortFunc(cs, func(a, b string) int {
			return slices.Index(AllComponents, a) - slices.Index(AllComponents, b)
		})
		out = append(out, ProxyUse{HostPort: hp, Components: cs})
	}
	slices.SortFunc(out, func(a, b ProxyUse) int { return strings.Compare(a.HostPort, b.HostPort) })
	return out
}

// componentNames are the READMEs' words for the components.
var componentNames = map[string]string{
	ComponentEDR:       "EDR sensor",
	ComponentAntivirus: "Defender Antivirus",
	ComponentWinHTTP:   "Windows (WinHTTP: Windows Update, certificate revocation)",
	ComponentMMA:       "Log Analytics agent (MMA)",
	ComponentLinux:     "Defender on Linux",
	ComponentMacOS:     "Defender on macOS",
}

// ComponentList names components in words, for READMEs.
func ComponentList(cs []string) string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = componentNames[c]
	}
	return strings.Join(out, "; ")
}

// NoProxyFolder is the folder of the bundle's proxy/ tree that holds, per
// profile in mode "auto", what a discovered (WPAD, PAC) or transparent proxy
// must let through: such a site has no proxy address to name a folder after.
const NoProxyFolder = "no-explicit-proxy"
