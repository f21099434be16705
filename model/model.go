// Package model holds the plain Go types of a resolved profile: every value an
// emitter needs, already defaulted, derived and normalised. It imports no CUE and
// does no I/O, so emitters are pure functions of these values.
package model

import "fmt"

// Pos is a position in a user's source file.
type Pos struct {
	File string
	Line int
	Col  int
}

// String formats the position the way compilers do: file:line:col.
func (p Pos) String() string {
	if p.File == "" {
		return "-"
	}
	if p.Line == 0 {
		// A problem with a whole file or folder names it, without :0:0.
		return p.File
	}
	return fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Col)
}

// IsValid reports whether the position names a file.
func (p Pos) IsValid() bool { return p.File != "" }

// Mode says whether a site uses a static proxy or relies on WPAD / a transparent proxy.
type Mode string

// The two modes of the intent language.
const (
	ModeStatic Mode = "static"
	ModeAuto   Mode = "auto"
)

// Connectivity is the way devices are onboarded to Defender for Endpoint,
// which decides the destinations they need (docs/endpoints.md).
type Connectivity string

// The two connectivity modes; streamlined is the default.
const (
	Streamlined Connectivity = "streamlined"
	Standard    Connectivity = "standard"
)

// AllConnectivity lists the connectivity modes.
var AllConnectivity = []Connectivity{Streamlined, Standard}

// Region is the tenant's Defender data location, as Microsoft's URL lists name
// it; empty means not set.
type Region string

// The data locations whose destinations the catalogue can source
// (docs/endpoints.md).
const (
	RegionUS      Region = "US"
	RegionEU      Region = "EU"
	RegionUK      Region = "UK"
	RegionAU      Region = "AU"
	RegionGCC     Region = "GCC"
	RegionGCCHigh Region = "GCC-High"
	RegionDoD     Region = "DoD"
)

// Platform is an operating system family a profile targets.
type Platform string

// The platforms of the intent language, in their canonical order.
const (
	Windows Platform = "windows"
	Linux   Platform = "linux"
	MacOS   Platform = "macos"
)

// AllPlatforms lists every platform in canonical order.
var AllPlatforms = []Platform{Windows, Linux, MacOS}

// Profile is one resolved site profile: defaults applied, values derived.
// In auto mode every proxy value is empty: artifacts remove static settings.
type Profile struct {
	Name string
	// Pos is where the profile's name is written.
	Pos          Pos
	Description  string
	Organization string
	Mode         Mode
	Offline      bool
	// Platforms in canonical order, without duplicates.
	Platforms []Platform
	// Connectivity is how devices are onboarded; Region the tenant's data
	// location ("" when not set). Together they pick the destinations the
	// proxy must allow.
	Connectivity Connectivity
	Region       Region

	EDR       EDR
	Antivirus Antivirus
	WinHTTP   WinHTTP
	MMA       MMA
	Linux     LinuxAgent
	MacOS     MacOSAgent
	Intune    Intune
	ConfigMgr ConfigMgr
	GPO       GPO

	LintIgnore []LintIgnore

	// Defined lists every place the intent writes the profile under
	// profiles (profiles: NAME: …), in load order: CUE merges them into one
	// profile, and vet warns when there are several (MDE030). It is
	// provenance like Origins, and tagged so that no JSON encoding of a
	// profile (the incremental build's digest) holds it.
	Defined []Pos `json:"-"`

	// Origins maps a setting to where its effective value was written.
	// Settings left at their built-in default have no entry. It is
	// provenance, for diagnostics, explain, vet and diff's "where written"
	// only: the incremental build's digest leaves it out, so nothing that
	// renders an artifact may read it (internal/archtest). Whatever an
	// artifact depends on, whether a value was written included, is a field
	// of its own.
	Origins map[Path]Origin
}

// EDR is the Defender for Endpoint sensor's proxy configuration (Windows).
type EDR struct {
	Enabled bool
	// Proxy is host:port without a scheme (TelemetryProxyServer).
	Proxy string
	// PreferStaticProxy sets PreferStaticProxyForHttpRequest.
	PreferStaticProxy bool
}

// Antivirus is Microsoft Defender Antivirus' proxy configuration (Windows).
type Antivirus struct {
	Enabled bool
	// ProxyServer is a URL with an http or https scheme.
	ProxyServer string
	PacURL      string
	Bypass      []string
	// DisableRevocationChecks sets SSLOptions=2.
	DisableRevocationChecks bool
	// RevocationChecksWritten is set when the intent writes
	// disableRevocationChecks (in the profile or in defaults), whatever its
	// value: in mode "auto" only a written value manages SSLOptions, so
	// whether it was written is part of what the artifacts say, and a field
	// here (which the incremental build's digest covers) rather than
	// something read from Origins.
	RevocationChecksWritten bool
}

// WinHTTP is the machine-wide WinHTTP proxy set with netsh.
type WinHTTP struct {
	Enabled bool
	// Proxy is host:port.
	Proxy  string
	Bypass []string
}

// MMA is the legacy Log Analytics agent.
type MMA struct {
	Enabled bool
	// Proxy is host:port (SetProxyInfo): windows.mma.proxy, else the EDR
	// sensor's proxy, since on MMA devices the agent is the sensor's channel.
	Proxy string
}

// LinuxAgent is mdatp on Linux.
type LinuxAgent struct {
	// Proxy is an http:// URL; empty means no proxy key at all.
	Proxy string
}

// MacOSAgent is Defender on macOS.
type MacOSAgent struct {
	// Proxy is an http(s):// URL; empty means the agent uses the system proxy.
	Proxy string
	// Identifier is the configuration profile's PayloadIdentifier.
	Identifier string
}

// Intune says whether the profile gets Intune artifacts, and holds the names
// given to the Intune objects.
type Intune struct {
	// Enabled is false for devices Intune does not manage (servers).
	Enabled     bool
	DisplayName string
	Description string
	// Include and Exclude are who `publish intune` assigns the objects to:
	// Entra group object IDs in lower case, and AllDevices (include only).
	Include []string
	Exclude []string
	// ScopeTags are the role scope tag IDs the objects carry
	// (roleScopeTagIds); none leaves Intune's default.
	ScopeTags []string
}

// AllDevices is the assignment target for every device Intune manages.
const AllDevices = "allDevices"

// ConfigMgr names the application New-MdeProxyApplication.ps1 creates or updates.
type ConfigMgr struct {
	ApplicationName string
}

// GPO names the dedicated Group Policy object Set-MdeProxyGpo.ps1 creates or
// reuses, and the containers it links it to.
type GPO struct {
	Name string
	// Links are LDAP distinguished names of OUs or domains, in intent order.
	Links []string
}

// LintIgnore silences one vet rule for a profile.
type LintIgnore struct {
	Rule   string
	Reason string
	// Pos is where the entry is written.
	Pos Pos
	// FromDefaults is set for entries of defaults' lint.ignore: they apply to
	// every profile, together with the profile's own entries.
	FromDefaults bool
}

// Origin says where a setting's effective value was written.
type Origin struct {
	Pos Pos
	// FromDefaults is true when the value was inherited from `defaults`.
	FromDefaults bool
	// Via names the setting the value was derived from, when it is derived
	// ("proxy" for an Antivirus proxy built as http:// + proxy); empty otherwise.
	Via Path
}

// Targets reports whether the profile targets the platform.
func (p *Profile) Targets(pl Platform) bool {
	for _, x := range p.Platforms {
		if x == pl {
			return true
		}
	}
	return false
}
