// Package connectivity writes each profile's step-3 checks ("Verify client
// connectivity"): windows/Test-MdeConnectivity.ps1, and check-connectivity.sh
// for Linux and macOS devices on which mdatp is not installed yet. Both request
// each destination of the endpoint catalogue that a page names as a host
// (docs/endpoints.md, "Probes") through the proxy the profile gives the
// Defender agents, and say for each: reachable, blocked by the proxy (the
// proxy's HTTP status), TLS intercepted, or DNS failure.
package connectivity

import (
	_ "embed"
	"fmt"
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
		files = append(files, emitters.File{Path: LinuxPath, Data: Shell(p.Linux.Proxy, endpoints.OnPlatform(es, model.Linux)), Executable: true,
			Summary: "step 3 on Linux before mdatp is installed: each Defender destination through the proxy with curl"})
	}
	if p.Targets(model.MacOS) {
		files = append(files, emitters.File{Path: MacOSPath, Data: Shell(p.MacOS.Proxy, endpoints.OnPlatform(es, model.MacOS)), Executable: true,
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
		b.WriteString("- Windows, as SYSTEM (the sensor's account), for example `psexec -s powershell -File Test-MdeConnectivity.ps1`,\n")
		b.WriteString("  or as an Intune remediation's detection script with `-Quiet` (exit 0 only when every destination passes).\n")
		b.WriteString("- MDE Client Analyzer tests the tenant's own destinations: `mdeclientanalyzer.cmd -o <onboarding script>`\n")
		b.WriteString("  before streamlined onboarding. It is not compatible with the attack surface reduction rule \"Block process\n")
		b.WriteString("  creations originating from PSExec and WMI commands\": disable that rule while it runs.\n")
	}
	if p.Targets(model.Linux) || p.Targets(model.MacOS) {
		b.WriteString("- Linux and macOS: `sh check-connectivity.sh` where mdatp is not installed yet; once it is,\n")
		b.WriteString("  `set-proxy.sh --verify` runs `mdatp connectivity test`.\n")
	}
	b.WriteString("\nWildcard destinations (`*.endpoint.security.microsoft.com`) are checked through the hosts Microsoft's pages\n")
	b.WriteString("name; the proxy must still allow the whole domain (the bundle's `proxy/` folder).\n")
	return b.String()
}

// psQuote writes s as a PowerShell single-quoted string.
func psQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// PowerShell renders Test-MdeConnectivity.ps1: the template with the intent
// block ($Proxy, $Destinations) in place of its marker line.
func PowerShell(p *model.Profile, es []endpoints.Entry) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "$Profile_ = %s\n", psQuote(p.Name))
	fmt.Fprintf(&b, "$Proxy = %s\n", psQuote(p.EDR.Proxy))
	b.WriteString("$Destinations = @(\n")
	for _, e := range endpoints.Probes(endpoints.OnPlatform(es, model.Windows)) {
		fmt.Fprintf(&b, "    @{ Url = %s; Service = %s }\n", psQuote(e.URL()), psQuote(e.Service))
	}
	b.WriteString(")\n")
	out := strings.Replace(psTemplate, psMarker, b.String(), 1)
	return []byte(strings.ReplaceAll(out, "\n", "\r\n"))
}

// shQuote writes s as a POSIX shell single-quoted string.
func shQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// Shell renders check-connectivity.sh for one proxy URL ("" for none).
func Shell(proxy string, es []endpoints.Entry) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "PROXY=%s\n", shQuote(proxy))
	b.WriteString("DESTINATIONS='\n")
	for _, e := range endpoints.Probes(es) {
		fmt.Fprintf(&b, "%s\n", e.URL())
	}
	b.WriteString("'\n")
	return []byte(strings.Replace(shTemplate, shMarker, b.String(), 1))
}
