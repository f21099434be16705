// Package lint holds vet's rules: Microsoft's documented traps as checks over
// resolved profiles, each with a stable ID, a severity, a one-line title and an
// explanation with the reason and the fix. Findings carry the position of the
// value that triggers them.
package lint

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/mdeproxyc/mdeproxyc/diag"
	"github.com/mdeproxyc/mdeproxyc/endpoints"
	"github.com/mdeproxyc/mdeproxyc/model"
)

// Rule is one vet check.
type Rule struct {
	ID       string
	Severity diag.Severity
	// Title is the one line shown in listings.
	Title string
	// Explain says why the rule exists and how to fix what it finds.
	Explain string
	// Compile is set for checks compile makes itself (they are part of the
	// grammar: lint.ignore cannot silence them).
	Compile bool
	profile func(p *profile) []finding
	fleet   func(ps []*profile) []fleetFinding
}

// finding is a rule's verdict on one profile: the setting whose value
// triggered it (its position is the finding's) and the message.
type finding struct {
	setting model.Path
	msg     string
	// pos, when set, is where the finding is reported; else where the
	// setting (or the profile) is written.
	pos model.Pos
}

// fleetFinding is a fleet rule's verdict on one of the profiles.
type fleetFinding struct {
	profile *profile
	finding
}

func found(setting model.Path, format string, args ...any) []finding {
	return []finding{{setting: setting, msg: fmt.Sprintf(format, args...)}}
}

// RuleIntent is the rule every error carries that no other rule names: a
// value the grammar rejects, a fleet CUE cannot evaluate.
const RuleIntent = "MDE000"

// Rules lists every rule in ID order.
var Rules = []*Rule{
	{
		ID: RuleIntent, Severity: diag.Error, Compile: true, Title: "the intent is invalid",
		Explain: "A value breaks the intent language's grammar, or CUE cannot evaluate the fleet (a conflict, a cycle, a syntax error). " +
			"The message names the file, line and column, the setting's path, what was wrong and what is allowed.",
	},
	{
		ID: "MDE001", Severity: diag.Warning, Title: "proxy is an IPv6 address literal",
		Explain: "Defender for Endpoint does not support IPv6-only devices: a device that reaches its proxy only over IPv6 may not report. " +
			"Keep an IPv4 or DNS-name proxy available, or silence the rule for dual-stack sites with a reason.",
		profile: func(p *profile) []finding {
			for _, s := range p.proxies {
				if a, ok := proxyAddr(s.Text); ok && a.Is6() {
					return found(s.Path, "proxy %s is an IPv6 address: IPv6-only devices are not supported", s.Text)
				}
			}
			return nil
		},
	},
	{
		ID: diag.RuleScheme, Severity: diag.Error, Compile: true, Title: "a proxy with the wrong scheme for its component",
		Explain: "TelemetryProxyServer (the EDR sensor, WinHTTP, MMA: proxy, windows.edr.proxy, windows.winhttp.proxy) takes host:port with no scheme; " +
			"the sensor ignores a value with http://. Defender Antivirus' ProxyServer, Linux and macOS take a URL and need the scheme. " +
			"Write proxy as host:port; mdeproxyc derives http://host:port where a URL is needed.",
	},
	{
		ID: "MDE003", Severity: diag.Info, Title: "TelemetryProxyServer is not sent through Intune",
		Explain: "Microsoft's current guidance: do not deploy TelemetryProxyServer through MDM; the sensor reads it from the Group Policy registry location. " +
			"mdeproxyc's custom configuration profile therefore carries only the Antivirus policies and DisableEnterpriseAuthProxy. " +
			"Deploy windows/intune/platform-script.json (or remediation.json, or a GPO) as well, or the sensor gets no proxy.",
		profile: func(p *profile) []finding {
			// Only names the user wrote count, not a description copied from the profile's.
			custom := p.Origins[model.PathIntuneDisplayName].Pos.IsValid()
			o, desc := p.Origins[model.PathIntuneDescription]
			desc = desc && o.Via == ""
			if (custom || desc) && p.Targets(model.Windows) && p.Intune.Enabled && p.EDR.Enabled && p.EDR.Proxy != "" {
				s := model.PathIntuneDisplayName
				if !custom {
					s = model.PathIntuneDescription
				}
				return found(s, "the Intune custom profile does not carry TelemetryProxyServer (%s): also assign platform-script.json or remediation.json", p.EDR.Proxy)
			}
			return nil
		},
	},
	{
		ID: "MDE004", Severity: diag.Error, Title: "PAC intent on a profile without Windows",
		Explain: "Only Defender Antivirus on Windows reads a PAC file. mdatp on Linux supports a static or transparent proxy only (no PAC, no WPAD), " +
			"and macOS takes a static proxy or the system's settings. A profile that targets no Windows devices but sets pac relies on something " +
			"its devices will ignore. Set linux.proxy / macos.proxy (or proxy) instead.",
		profile: func(p *profile) []finding {
			if p.Targets(model.Windows) {
				return nil
			}
			if _, ok := p.Origins[model.PathPAC]; ok && (p.Targets(model.Linux) || p.Targets(model.MacOS)) {
				return found(model.PathPAC, "pac is set but the profile targets no Windows devices: Linux and macOS agents ignore PAC files")
			}
			return nil
		},
	},
	{
		ID: diag.RuleAuthenticatedProxy, Severity: diag.Error, Compile: true, Title: "an authenticated proxy URL",
		Explain: "Defender for Endpoint does not support authenticated proxies: the Linux and macOS agents have no credential support and the EDR sensor " +
			"runs as SYSTEM. The proxy must allow anonymous traffic to Defender's endpoints. Remove user:password@ from the URL.",
	},
	{
		ID: "MDE006", Severity: diag.Warning, Title: "certificate revocation checks are turned off",
		Explain: "windows.antivirus.disableRevocationChecks sets SSLOptions=2: Defender Antivirus stops checking whether the certificates of its cloud " +
			"endpoints were revoked. Use it only where CRL/OCSP endpoints are truly unreachable, and silence the rule with the reason.",
		profile: func(p *profile) []finding {
			if p.Targets(model.Windows) && p.Antivirus.Enabled && p.Antivirus.DisableRevocationChecks {
				return found(model.PathAVDisableRevocation, "certificate revocation checks are off (SSLOptions=2): this weakens TLS security")
			}
			return nil
		},
	},
	{
		ID: "MDE007", Severity: diag.Info, Title: "the machine-wide WinHTTP proxy is managed",
		Explain: "netsh winhttp set proxy changes the default proxy of every program on the device that uses WinHTTP, not only Defender. " +
			"It suits devices in a stable network; roaming laptops then fail off-site. Prefer the EDR and Antivirus settings for laptops.",
		profile: func(p *profile) []finding {
			if p.Targets(model.Windows) && p.WinHTTP.Enabled {
				return found(model.PathWinHTTPEnabled, "the WinHTTP proxy applies to every program on the device that uses WinHTTP; unsuitable for roaming laptops")
			}
			return nil
		},
	},
	{
		ID: "MDE008", Severity: diag.Warning, Title: "only one of the EDR sensor and Antivirus is configured",
		Explain: "The EDR sensor (TelemetryProxyServer) and Defender Antivirus (ProxyServer) are configured separately. A component with enabled: false is " +
			"not managed: no artifact of the profile writes or deletes any of its values, so it keeps whatever another channel (a GPO, an image) gives it, " +
			"or no proxy at all, and then silently stops reporting or updating. Enable both, or make sure the other channel configures the one left out.",
		profile: func(p *profile) []finding {
			if !p.Targets(model.Windows) || p.Mode != model.ModeStatic || p.EDR.Enabled == p.Antivirus.Enabled {
				return nil
			}
			if p.EDR.Enabled {
				return found(model.PathAVEnabled, "Antivirus is not managed by this profile (enabled: false): its proxy is left to another channel, or none")
			}
			return found(model.PathEDREnabled, "the EDR sensor is not managed by this profile (enabled: false): its proxy is left to another channel, or none")
		},
	},
	{
		ID: "MDE009", Severity: diag.Info, Title: "PreferStaticProxyForHttpRequest needs a recent sensor",
		Explain: "PreferStaticProxyForHttpRequest (offline, or windows.edr.preferStaticProxy) is honoured by MsSense 10.8210.* or 10.8049.* and later. " +
			"Older sensors ignore it and keep trying direct routes to CRLs and Windows Update.",
		profile: func(p *profile) []finding {
			if p.Targets(model.Windows) && p.EDR.Enabled && p.Mode == model.ModeStatic && p.EDR.PreferStaticProxy {
				return found(model.PathEDRPreferStatic, "PreferStaticProxyForHttpRequest is honoured by MsSense 10.8210.*/10.8049.* and later only")
			}
			return nil
		},
	},
	{
		ID: "MDE010", Severity: diag.Error, Title: "proxy is a link-local address",
		Explain: "A link-local address (169.254.0.0/16, fe80::/10) is not routable: it is usually an APIPA fallback, never a proxy. Use the proxy's real address.",
		profile: func(p *profile) []finding {
			for _, s := range p.proxies {
				if a, ok := proxyAddr(s.Text); ok && a.IsLinkLocalUnicast() {
					return found(s.Path, "proxy %s is a link-local address", s.Text)
				}
			}
			return nil
		},
	},
	{
		ID: "MDE011", Severity: diag.Warning, Title: "proxy is a loopback address",
		Explain: "A loopback proxy (127.0.0.0/8, ::1) works only when a local forwarder listens on the device, such as the Azure Arc gateway's " +
			"http://127.0.0.1:40343. Otherwise it is a typo or a test value. Silence the rule with the reason when it is intended.",
		profile: func(p *profile) []finding {
			for _, s := range p.proxies {
				if a, ok := proxyAddr(s.Text); ok && a.IsLoopback() {
					return found(s.Path, "proxy %s is a loopback address: only a local forwarder (such as the Azure Arc gateway) can serve it", s.Text)
				}
			}
			return nil
		},
	},
	{
		ID: "MDE012", Severity: diag.Warning, Title: "the bypass list sends Defender's traffic around the proxy",
		Explain: "A bypass entry of \"*\", or one that matches Defender's cloud endpoints (*.microsoft.com, *.windows.com, *.windows.net…, and every " +
			"destination of the endpoint catalogue for the profile's connectivity mode and region: `mdeproxyc endpoints -p NAME`), makes " +
			"Defender connect directly, bypassing the proxy it was given: on a network without a direct route it stops reporting. Remove the entry.",
		profile: func(p *profile) []finding {
			for _, s := range p.table {
				if s.Kind != model.KindBypassList || !s.Applies {
					continue
				}
				for _, e := range s.List {
					if e == "*" {
						return found(s.Path, "bypass entry \"*\" matches every host: the proxy is never used")
					}
					if h, ok := p.run.defenderHostOf(e); ok {
						return found(s.Path, "bypass entry %q matches Defender's endpoint %s: its traffic skips the proxy", e, h)
					}
					if d, ok := bypassedDestination(p, e); ok {
						return found(s.Path, "bypass entry %q matches %s, a destination this profile's devices need (docs/endpoints.md): its traffic skips the proxy", e, d)
					}
				}
			}
			return nil
		},
	},
	{
		ID: "MDE013", Severity: diag.Warning, Title: "one proxy written with http:// and https://",
		Explain: "The same proxy host and port appear with http:// for one component and https:// for another. A proxy port speaks one of them; " +
			"the other component fails to connect. Use the same scheme (http:// unless the proxy really terminates TLS).",
		profile: func(p *profile) []finding {
			schemes := map[string]string{}
			for _, s := range p.proxies {
				scheme, hostPort, ok := strings.Cut(strings.TrimSuffix(s.Text, "/"), "://")
				if !ok {
					continue
				}
				if other, seen := schemes[hostPort]; seen && other != scheme {
					return found(s.Path, "%s is written with %s:// here and %s:// elsewhere in this profile", hostPort, scheme, other)
				}
				schemes[hostPort] = scheme
			}
			return nil
		},
	},
	{
		ID: "MDE014", Severity: diag.Warning, Title: "two profiles resolve to identical settings",
		Explain: "Two profiles with different names produce the same settings on every device: usually a copy that was meant to differ. " +
			"Merge them, or make the difference explicit.",
		fleet: duplicateProfiles,
	},
	{
		ID: diag.RuleDuplicateIdentifier, Severity: diag.Error, Compile: true, Title: "two profiles share a macOS identifier",
		Explain: "A Mac keeps one configuration profile per PayloadIdentifier: a second profile with the same macos.identifier replaces the first. " +
			"Give each profile its own identifier (the default, mdeproxyc.profile.<name>, is unique).",
	},
	{
		ID: "MDE016", Severity: diag.Warning, Title: "Antivirus proxy uses https://",
		Explain: "An https:// ProxyServer for Defender Antivirus needs a recent Defender platform; older platforms accept only http:// proxies " +
			"and fall back to other routes. Use http:// unless every device runs a current platform.",
		profile: func(p *profile) []finding {
			if p.Targets(model.Windows) && p.Antivirus.Enabled && strings.HasPrefix(p.Antivirus.ProxyServer, "https://") {
				return found(model.PathAVProxy, "Antivirus proxy %s uses https://, which needs a recent Defender platform", p.Antivirus.ProxyServer)
			}
			return nil
		},
	},
	{
		ID: "MDE017", Severity: diag.Warning, Title: "offline without a static proxy",
		Explain: "offline (PreferStaticProxyForHttpRequest) tells the sensor to send CRL and Windows Update requests through its static proxy; in mode " +
			"\"auto\" there is none, so the setting does nothing. Set mode \"static\" with a proxy, or drop offline.",
		profile: func(p *profile) []finding {
			if p.Offline && p.Mode == model.ModeAuto {
				return found(model.PathOffline, "offline is set but mode is \"auto\": there is no static proxy to prefer")
			}
			return nil
		},
	},
	{
		ID: "MDE018", Severity: diag.Warning, Title: "legacy MMA together with a modern-sensor-only setting",
		Explain: "Devices onboarded through the Log Analytics agent (Windows 7 SP1, 8.1, Server 2008 R2) do not run MsSense: " +
			"PreferStaticProxyForHttpRequest has no effect there, and a Log Analytics gateway cannot be the sensor's TelemetryProxyServer. " +
			"Split legacy and modern devices into separate profiles.",
		profile: func(p *profile) []finding {
			if p.Targets(model.Windows) && p.MMA.Enabled && p.EDR.PreferStaticProxy && p.Mode == model.ModeStatic {
				return found(model.PathMMAEnabled, "MMA is enabled together with PreferStaticProxyForHttpRequest, which only the modern sensor reads")
			}
			return nil
		},
	},
	{
		ID: "MDE019", Severity: diag.Warning, Title: "mode \"auto\" on Linux",
		Explain: "mdatp has no WPAD or PAC support: with mode \"auto\" a Linux device reaches Defender only through a transparent proxy or a direct route. " +
			"If the site has neither, give Linux devices a static proxy (linux.proxy) in a separate profile; otherwise silence the rule with the reason.",
		profile: func(p *profile) []finding {
			// mode "auto" is always written somewhere: the built-in default is static.
			if p.Mode == model.ModeAuto && p.Targets(model.Linux) {
				return found(model.PathMode, "mode \"auto\" on Linux: mdatp cannot use WPAD or PAC, only a transparent proxy or a direct route")
			}
			return nil
		},
	},
	{
		ID: "MDE020", Severity: diag.Info, Title: "offline without revocation checks turned off and without a WinHTTP proxy",
		Explain: "On a fully offline device the static proxy is the only route, and Microsoft's proxy guidance calls SSLOptions=2 " +
			"(windows.antivirus.disableRevocationChecks) required for such devices unless the certificate revocation lists are reachable " +
			"another way, such as through a machine-wide WinHTTP proxy (windows.winhttp). Set one of the two, or silence the rule with the reason.",
		profile: func(p *profile) []finding {
			if p.Offline && p.Mode == model.ModeStatic && p.Targets(model.Windows) && p.Antivirus.Enabled &&
				!p.Antivirus.DisableRevocationChecks && !(p.WinHTTP.Enabled && p.WinHTTP.Proxy != "") {
				return found(model.PathOffline, "offline is set without disableRevocationChecks and without a WinHTTP proxy: revocation lists may be unreachable")
			}
			return nil
		},
	},
	{
		ID: "MDE021", Severity: diag.Info, Title: "Antivirus bypass entry in WinHTTP syntax",
		Explain: "Defender documents plain host names for its ProxyBypass list (its policy text asks for addresses, and Microsoft's examples are host " +
			"names). Wildcards (*.contoso.com, 10.*) and <local> are WinHTTP syntax; how Defender Antivirus treats them is undocumented. " +
			"List the hosts, or keep the entry knowing its effect is not guaranteed.",
		profile: func(p *profile) []finding {
			s := p.Get(model.PathAVBypass)
			if !s.Applies || p.Mode != model.ModeStatic {
				return nil
			}
			for _, e := range s.List {
				if e == "<local>" || strings.Contains(e, "*") {
					return found(model.PathAVBypass, "Antivirus bypass entry %q is WinHTTP syntax; Defender documents plain host names", e)
				}
			}
			return nil
		},
	},
	{
		ID: "MDE022", Severity: diag.Warning, Title: "a PAC profile's bypass list contradicts the endpoint catalogue",
		Explain: "The profile gives Defender Antivirus a PAC file (pac or windows.antivirus.pac), and a bypass entry sends one of the destinations " +
			"its devices need (the endpoint catalogue, docs/endpoints.md) DIRECT. The PAC file mdeproxyc writes (proxy/<profile>.pac) sends Defender's " +
			"destinations to the proxy first, so the hosted PAC file and the bypass list disagree, and a site PAC file written from the bypass list " +
			"would send Defender around the proxy. Remove the entry, or narrow it so that it matches no Defender destination.",
		profile: func(p *profile) []finding {
			if !p.Targets(model.Windows) || !p.Antivirus.Enabled || p.Antivirus.PacURL == "" {
				return nil
			}
			for _, e := range p.Antivirus.Bypass {
				if d, ok := bypassedDestination(p, e); ok {
					return found(model.PathAVBypass, "the PAC profile's bypass entry %q sends %s DIRECT, but the endpoint catalogue requires it through the proxy", e, d)
				}
			}
			return nil
		},
	},
	{
		ID: "MDE023", Severity: diag.Warning, Title: "no sourced destinations for a platform in this mode and region",
		Explain: "The endpoint catalogue (docs/endpoints.md) has no destination a Microsoft page names for one of the profile's platforms in its " +
			"connectivity mode and region (for Windows: none for the EDR sensor). The proxy side and the connectivity checks would then " +
			"omit what that platform's devices need, silently. Use the other connectivity mode, or list the destinations from Microsoft's " +
			"own lists for that cloud by hand and silence the rule with the reason.",
		profile: func(p *profile) []finding {
			es := endpoints.Default().For(p.Profile)
			for _, pl := range p.Platforms {
				on := endpoints.OnPlatform(es, pl)
				missing := len(on) == 0
				if pl == model.Windows {
					missing = !slices.ContainsFunc(on, func(e endpoints.Entry) bool { return slices.Contains(e.Components, endpoints.ComponentEDR) })
				}
				if missing {
					region := string(p.Region)
					if region == "" {
						region = "every commercial region"
					}
					return found(model.PathConnectivity, "no destination a Microsoft page names for %s in %s connectivity, region %s: the proxy lists and checks would omit them",
						pl, p.Connectivity, region)
				}
			}
			return nil
		},
	},
	{
		ID: "MDE024", Severity: diag.Warning, Title: "a PAC file would downgrade the https:// Antivirus proxy",
		Explain: "The profile gives Defender Antivirus both an https:// proxy and a PAC file. A PAC file answers \"PROXY host:port\", a plain-HTTP " +
			"proxy: the HTTPS proxy type is an extension of some browsers (MDN, \"Proxy Auto-Configuration (PAC) file\"), not documented for the " +
			"WinHTTP engine Windows components evaluate PAC files with, so the PAC file mdeproxyc writes (proxy/<profile>.pac) names the proxy " +
			"without its scheme and Defender reaches it over plain HTTP. Drop the PAC file or use an http:// proxy, or silence the rule with the reason.",
		profile: func(p *profile) []finding {
			if _, ok := endpoints.PACProxy(p.Profile); ok && strings.HasPrefix(strings.ToLower(p.Antivirus.ProxyServer), "https://") {
				return found(model.PathAVPAC, "the PAC file for %s names %s as a plain-HTTP proxy (PROXY host:port): the https:// scheme is lost", p.Antivirus.PacURL, p.Antivirus.ProxyServer)
			}
			return nil
		},
	},
	{
		ID: "MDE025", Severity: diag.Warning, Title: "Intune assignments overlap",
		Explain: "A device in two profiles' assignments gets both profiles' configuration, platform script and remediation: each remediation " +
			"finds the other's proxy settings wrong and rewrites them, every day. This happens when one group is included by two profiles, when a " +
			"profile includes allDevices beside another profile's includes (unless it excludes that profile's groups), and when a profile includes " +
			"and excludes one group (the exclusion wins, so the include does nothing). Give every device one profile: exclude the groups other " +
			"profiles take from the allDevices profile, and include each group once.",
		fleet: overlappingAssignments,
	},
	{
		ID: "MDE030", Severity: diag.Warning, Title: "a profile is written in several places",
		Explain: "CUE merges every place a profile is written into one profile: a block pasted into a second file silently changes the site " +
			"(one copy-paste can make it offline). The warning names every place, so a reviewer can tell a deliberate split (a policy file, " +
			"a region file) from a copy; a profile split on purpose silences it with lint.ignore and a reason. A conflict between the places is an error.",
		profile: func(p *profile) []finding {
			if len(p.Defined) < 2 {
				return nil
			}
			where := make([]string, len(p.Defined))
			for i, d := range p.Defined {
				where[i] = d.String()
			}
			// Reported at the last place in load order: most often the copy.
			return []finding{{pos: p.Defined[len(p.Defined)-1], msg: fmt.Sprintf(
				"profile %q is defined in %d places: %s; CUE merges them into one profile (a conflict between them is an error): keep one, or silence this with lint.ignore and a reason if the split is deliberate",
				p.Name, len(p.Defined), strings.Join(where, ", "))}}
		},
	},
}

// Lookup returns the rule with the given ID, or nil.
func Lookup(id string) *Rule {
	for _, r := range Rules {
		if r.ID == id {
			return r
		}
	}
	return nil
}

// proxySettings lists the profile's proxy settings that reach a device with a
// value, read off the settings table: a new component's proxy is checked by
// every proxy rule as soon as the table has it.
func proxySettings(table []model.Setting) []model.Setting {
	var out []model.Setting
	for _, s := range table {
		if s.IsProxy() && s.InForce() {
			out = append(out, s)
		}
	}
	return out
}

// proxyAddr returns the IP address of a host:port or URL proxy whose host is
// an address literal.
func proxyAddr(v string) (netip.Addr, bool) {
	if _, rest, ok := strings.Cut(v, "://"); ok {
		v = strings.TrimSuffix(rest, "/")
	}
	i := strings.LastIndexByte(v, ':')
	if i < 0 {
		return netip.Addr{}, false
	}
	a, err := netip.ParseAddr(strings.Trim(v[:i], "[]"))
	return a, err == nil
}

// defenderHosts are Defender for Endpoint cloud endpoints that a bypass entry
// must not match (examples from Microsoft's connectivity list).
var defenderHosts = []string{
	"winatp-gw-cus.microsoft.com", "us.vortex-win.data.microsoft.com", "settings-win.data.microsoft.com",
	"unitedstates.x.cp.wd.microsoft.com", "definitionupdates.microsoft.com", "go.microsoft.com",
	"ctldl.windowsupdate.com", "automatedirstrprdcus.blob.core.windows.net", "login.microsoftonline.com",
}

// bypassedDestination returns the first destination of the profile's
// endpoint catalogue that a bypass entry matches; a wildcard destination
// (*.example.com) is matched as a name below its domain.
func bypassedDestination(p *profile, entry string) (string, bool) {
	if entry == "<local>" {
		return "", false
	}
	dests := endpoints.Default().For(p.Profile)
	if len(dests) == 0 {
		return "", false
	}
	// For is memoized: profiles with the same needs share one slice, and so
	// one verdict per bypass entry.
	key := bypassKey{dests: &dests[0], entry: entry}
	if v, ok := p.run.bypassed[key]; ok {
		return v.host, v.ok
	}
	var v verdict
	for _, d := range dests {
		host := d.Host
		if d.Wildcard() {
			host = "host." + d.Domain()
		}
		if wildcardMatch(entry, host) {
			v = verdict{d.Host, true}
			break
		}
	}
	p.run.bypassed[key] = v
	return v.host, v.ok
}

// wildcardMatch matches a WinHTTP-style bypass pattern ("*" matches any run
// of characters) against a host, case-insensitively.
func wildcardMatch(pattern, host string) bool {
	pattern, host = strings.ToLower(pattern), strings.ToLower(host)
	if !strings.Contains(pattern, "*") {
		return pattern == host
	}
	parts := strings.Split(pattern, "*")
	if !strings.HasPrefix(host, parts[0]) {
		return false
	}
	host = host[len(parts[0]):]
	for i, part := range parts[1:] {
		if i == len(parts)-2 {
			return strings.HasSuffix(host, part)
		}
		j := strings.Index(host, part)
		if j < 0 {
			return false
		}
		host = host[j+len(part):]
	}
	return true
}

// overlappingAssignments finds devices that two profiles' Intune assignments
// reach (MDE025), and a profile that includes and excludes one group. The
// finding goes on the later profile by name, naming both and the group.
func overlappingAssignments(ps []*profile) []fleetFinding {
	var out []fleetFinding
	var assigned []*profile
	for _, p := range ps {
		if !p.Targets(model.Windows) || !p.Intune.Enabled || len(p.Intune.Include) == 0 {
			continue
		}
		for _, g := range p.Intune.Include {
			if slices.Contains(p.Intune.Exclude, g) {
				out = append(out, fleetFinding{profile: p, finding: finding{setting: model.PathIntuneExclude,
					msg: fmt.Sprintf("profile %s includes and excludes group %s: the exclusion wins, so the include assigns nothing", p.Name, g)}})
			}
		}
		assigned = append(assigned, p)
	}
	slices.SortFunc(assigned, func(a, b *profile) int { return strings.Compare(a.Name, b.Name) })
	for i, b := range assigned {
		for _, a := range assigned[:i] {
			if g, ok := overlap(a.Profile, b.Profile); ok {
				out = append(out, fleetFinding{profile: b, finding: finding{setting: model.PathIntuneInclude,
					msg: fmt.Sprintf("profiles %s and %s are both assigned to %s: its devices get both remediations, which undo each other", a.Name, b.Name, g)}})
			}
		}
	}
	return out
}

// overlap returns a target both profiles' includes reach: a group both
// include, or (allDevices on one side) the other's include that the
// allDevices profile does not exclude.
func overlap(a, b *model.Profile) (string, bool) {
	for _, x := range a.Intune.Include {
		for _, y := range b.Intune.Include {
			switch {
			case x == y && x == model.AllDevices:
				return "allDevices", true
			case x == y:
				return "group " + x, true
			case x == model.AllDevices && !slices.Contains(a.Intune.Exclude, y):
				return "group " + y + " (" + a.Name + " includes allDevices)", true
			case y == model.AllDevices && !slices.Contains(b.Intune.Exclude, x):
				return "group " + x + " (" + b.Name + " includes allDevices)", true
			}
		}
	}
	return "", false
}
