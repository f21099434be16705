// Package connectivity writes each profile's step-3 checks ("Verify client
// connectivity"): windows/Test-MdeConnectivity.ps1, and check-connectivity.sh
// for Linux and macOS devices on which mdatp is not installed yet. Both request
// each destination of the endpoint catalogue that a page names as a host, at
// the path Microsoft's analyzers request (docs/endpoints.md, "Probes"), through
// the proxy the component that uses it takes, and say for each: reachable (any
// answer of the destination), blocked by the proxy (its answer to CONNECT),
// TLS intercepted, or DNS failure; then they name the destination groups no
// page gives a host to request.
package connectivity

import (
	_ "embed"
	"fmt"
	"slices"
	"strings"

	"github.com/mdeproxyc/mdeproxyc/emitters"
	"github.com/mdeproxyc/mdeproxyc/endpoints"
	"github.com/mdeproxyc/mdeproxyc/model"
)

// The files this emitter writes, relative to a profile's folder.
const (
	WindowsPath = "windows/Test-MdeConnectivity.ps1"
	LinuxPath   = "linux/check-connectivity.sh"
	MacOSPath   = "macos/check-connectivity.sh"
)

//go:embed Test-MdeConnectivity.ps1
var psTemplate string

//go:embed check-connectivity.sh
var shTemplate string

// The marker lines the intent block replaces in each template.
const (
	psMarker = "# @@MDEPROXYC-INTENT@@\n"
	shMarker = "# @@MDEPROXYC-INTENT@@\n"
)

// Emitter is the connectivity-check emitter.
type Emitter struct{}

// Name implements emitters.Emitter.
func (Emitter) Name() string { return "connectivity" }

// Summary implements emitters.Emitter.
func (Emitter) Summary() string {
	return "Test-MdeConnectivity.ps1 and check-connectivity.sh: step 3, each Defender destination through the profile's proxy"
}

// Emit implements emitters.Emitter.
func (Emitter) Emit(p *emitters.Profile) ([]emitters.File, error) {
	es := endpoints.Default().For(p.Profile)
	var files []emitters.File
	if p.Targets(model.Windows) {
		// Signed like every generated .ps1 when the build signs (AllSigned, WDAC).
		data, err := p.Sign("Test-MdeConnectivity.ps1", PowerShell(p.Profile, es))
		if err != nil {
			return nil, err
		}
		files = append(files, emitters.File{Path: WindowsPath, Data: data,
			Summary: "step 3 on Windows: run as SYSTEM; each Defender destination through the sensor's proxy (`-Quiet`: exit code only)"})
	}
	if p.Targets(model.Linux) {
		files = append(files, emitters.File{Path: LinuxPath, Data: Shell(model.Linux, p.Linux.Proxy, endpoints.OnPlatform(es, model.Linux)), Executable: true,
			Summary: "step 3 on Linux before mdatp is installed: each Defender destination through the proxy with curl"})
	}
	if p.Targets(model.MacOS) {
		files = append(files, emitters.File{Path: MacOSPath, Data: Shell(model.MacOS, p.MacOS.Proxy, endpoints.OnPlatform(es, model.MacOS)), Executable: true,
			Summary: "step 3 on macOS before Defender is installed: each Defender destination through the proxy with curl"})
	}
	return files, nil
}

// Deploy implements emitters.Deployer: how to run the checks, and MDE Client
// Analyzer.
func (Emitter) Deploy(p *emitters.Profile) string {
	var b strings.Builder
	b.WriteString("### Checking connectivity (step 3)\n\n")
	b.WriteString("Before onboarding, and after any proxy change, check that each Defender destination is reachable\n")
	b.WriteString("through the proxy this profile sets (the destinations: `mdeproxyc endpoints -p " + p.Name + "`).\n\n")
	if p.Targets(model.Windows) {
		b.WriteString("- Windows, as SYSTEM (the sensor's account), from an elevated prompt with the script's full path, for example\n")
		b.WriteString("  `psexec -s powershell.exe -ExecutionPolicy Bypass -File C:\\mde\\" + p.Name + "\\windows\\Test-MdeConnectivity.ps1`\n")
		b.WriteString("  (add `-Quiet` for the exit code alone). Each line names the proxy it tested: the component's static proxy,\n")
		b.WriteString("  else the machine's WinHTTP proxy, else the direct route. As an Intune Remediation, upload the script as the\n")
		b.WriteString("  detection script as it is (a Remediation passes no parameters; it runs as SYSTEM and reads the exit code).\n")
		b.WriteString("- MDE Client Analyzer tests the tenant's own destinations: `mdeclientanalyzer.cmd -o <onboarding script>`\n")
		b.WriteString("  before streamlined onboarding. It is not compatible with the attack surface reduction rule \"Block process\n")
		b.WriteString("  creations originating from PSExec and WMI commands\": disable that rule while it runs.\n")
	}
	if p.Targets(model.Linux) {
		b.WriteString("- Linux: `sh linux/check-connectivity.sh` where mdatp is not installed yet (through linux.proxy, else the direct\n")
		b.WriteString("  route: mdatp reads no system proxy); once it is, `sh linux/set-proxy.sh --verify` runs `mdatp connectivity test`.\n")
	}
	if p.Targets(model.MacOS) {
		b.WriteString("- macOS: `sh macos/check-connectivity.sh` (through macos.proxy, else the system proxy `scutil --proxy` reports; a\n")
		b.WriteString("  PAC file or WPAD it cannot evaluate, and says so). Once Defender is installed, `mdatp connectivity test`.\n")
	}
	b.WriteString("\nEach check names the destination groups it could not probe: those with no host a Microsoft page names (for\n")
	b.WriteString("example the core streamlined domain outside the US region). The proxy must still allow them.\n")
	b.WriteString("Wildcard destinations (`*.endpoint.security.microsoft.com`) are checked through the hosts Microsoft's pages\n")
	b.WriteString("name; the proxy must still allow the whole domain (the bundle's `proxy/` folder).\n")
	return b.String()
}

// psQuote writes s as a PowerShell single-quoted string.
func psQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// route is the proxy a Windows component's requests take, as the profile
// sets it: Proxy is "" where the profile sets none for the component, and the
// script then uses the machine's WinHTTP proxy (what the sensor falls back to)
// or the direct route, and says which. Via names the setting.
type route struct{ Proxy, Via string }

// windowsRoute is the route of one Windows component of a profile.
func windowsRoute(p *model.Profile, component string) route {
	inForce := func(path model.Path) string {
		if s := p.Get(path); s.InForce() {
			return s.Text
		}
		return ""
	}
	switch component {
	case endpoints.ComponentEDR:
		if v := inForce(model.PathEDRProxy); v != "" {
			return route{v, "the EDR sensor's proxy (TelemetryProxyServer)"}
		}
		return route{"", "the EDR sensor (no static proxy)"}
	case endpoints.ComponentAntivirus:
		if v := inForce(model.PathAVProxy); v != "" {
			return route{v, "Defender Antivirus' proxy (ProxyServer)"}
		}
		if hp, ok := endpoints.PACProxy(p); ok {
			return route{hp, "the proxy of Defender Antivirus' PAC file"}
		}
		return route{"", "Defender Antivirus (no static proxy)"}
	case endpoints.ComponentMMA:
		if v := inForce(model.PathMMAProxy); v != "" {
			return route{v, "the Log Analytics agent's proxy"}
		}
		return route{"", "the Log Analytics agent (no proxy)"}
	}
	if v := inForce(model.PathWinHTTPProxy); v != "" {
		return route{v, "the WinHTTP proxy this profile sets"}
	}
	return route{"", "Windows (WinHTTP)"}
}

// PowerShell renders Test-MdeConnectivity.ps1: the template with the intent
// block ($Profile_, $Destinations, $NotProbed) in place of its marker line.
// A destination two components reach through different proxies is probed
// through each.
func PowerShell(p *model.Profile, es []endpoints.Entry) []byte {
	win := endpoints.OnPlatform(es, model.Windows)
	var b strings.Builder
	fmt.Fprintf(&b, "$Profile_ = %s\n", psQuote(p.Name))
	b.WriteString("$Destinations = @(\n")
	for _, e := range endpoints.Probes(win) {
		var seen []string
		for _, c := range e.Components {
			r := windowsRoute(p, c)
			if slices.Contains(seen, r.Proxy) {
				continue
			}
			seen = append(seen, r.Proxy)
			fmt.Fprintf(&b, "    @{ Url = %s; Service = %s; Proxy = %s; Via = %s }\n", psQuote(e.URL()), psQuote(e.Service), psQuote(r.Proxy), psQuote(r.Via))
		}
	}
	b.WriteString(")\n$NotProbed = @(\n")
	for _, n := range endpoints.NotProbed(win) {
		fmt.Fprintf(&b, "    %s\n", psQuote(n))
	}
	b.WriteString(")\n")
	out := strings.Replace(psTemplate, psMarker, b.String(), 1)
	return []byte(strings.ReplaceAll(out, "\n", "\r\n"))
}

// shQuote writes s as a POSIX shell single-quoted string.
func shQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// Shell renders check-connectivity.sh for one platform's agent: its static
// proxy URL ("" for none: the script then uses the system proxy on macOS, the
// direct route on Linux), the probes and what is not probed.
func Shell(platform model.Platform, proxy string, es []endpoints.Entry) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "PLATFORM=%s\n", shQuote(string(platform)))
	fmt.Fprintf(&b, "PROXY=%s\n", shQuote(proxy))
	b.WriteString("DESTINATIONS='\n")
	for _, e := range endpoints.Probes(es) {
		fmt.Fprintf(&b, "%s\n", e.URL())
	}
	b.WriteString("'\n")
	b.WriteString("NOT_PROBED=")
	var np []string
	for _, n := range endpoints.NotProbed(es) {
		np = append(np, n+"\n")
	}
	b.WriteString(shQuote(strings.Join(np, "")) + "\n")
	return []byte(strings.Replace(shTemplate, shMarker, b.String(), 1))
}
