package model

import (
	"strconv"
	"strings"
	"unicode"
)

// Path names one setting of the intent language, the way a user writes it
// below a profile ("windows.edr.proxy"). Code names settings by these
// constants, never by string literals, so that a setting is added in one place.
type Path string

// Every effective setting of the intent language.
const (
	PathDescription         Path = "description"
	PathOrganization        Path = "organization"
	PathMode                Path = "mode"
	PathPlatforms           Path = "platforms"
	PathProxy               Path = "proxy"
	PathPAC                 Path = "pac"
	PathBypass              Path = "bypass"
	PathOffline             Path = "offline"
	PathConnectivity        Path = "connectivity"
	PathRegion              Path = "region"
	PathEDREnabled          Path = "windows.edr.enabled"
	PathEDRProxy            Path = "windows.edr.proxy"
	PathEDRPreferStatic     Path = "windows.edr.preferStaticProxy"
	PathAVEnabled           Path = "windows.antivirus.enabled"
	PathAVProxy             Path = "windows.antivirus.proxy"
	PathAVPAC               Path = "windows.antivirus.pac"
	PathAVBypass            Path = "windows.antivirus.bypass"
	PathAVDisableRevocation Path = "windows.antivirus.disableRevocationChecks"
	PathWinHTTPEnabled      Path = "windows.winhttp.enabled"
	PathWinHTTPProxy        Path = "windows.winhttp.proxy"
	PathWinHTTPBypass       Path = "windows.winhttp.bypass"
	PathMMAEnabled          Path = "windows.mma.enabled"
	PathMMAProxy            Path = "windows.mma.proxy"
	PathIntuneEnabled       Path = "intune.enabled"
	PathIntuneDisplayName   Path = "intune.displayName"
	PathIntuneDescription   Path = "intune.description"
	PathConfigMgrAppName    Path = "windows.configmgr.applicationName"
	PathGPOName             Path = "windows.gpo.name"
	PathGPOLinks            Path = "windows.gpo.links"
	PathLinuxProxy          Path = "linux.proxy"
	PathMacOSProxy          Path = "macos.proxy"
	PathMacOSIdentifier     Path = "macos.identifier"
	PathLintIgnore          Path = "lint.ignore"
)

// The Intune assignments, which only `publish intune` reads.
const (
	PathIntuneInclude Path = "intune.assignments.include"
	PathIntuneExclude Path = "intune.assignments.exclude"
	// PathIntuneScopeTags are the objects' role scope tags (roleScopeTagIds).
	PathIntuneScopeTags Path = "intune.scopeTags"
)

// Kind is the shape of a setting's effective value; it says how the value is
// read and shown.
type Kind int

// The kinds of effective values.
const (
	KindText       Kind = iota // free text from the user (descriptions, names)
	KindEnum                   // one of a few words (mode)
	KindEnumList               // a list of words (platforms)
	KindBool                   // true or false
	KindHostPort               // a proxy as host:port, no scheme
	KindProxyURL               // a proxy as http(s)://host:port
	KindURL                    // another URL (a PAC file)
	KindBypassList             // a list of host patterns that skip the proxy
	KindIdentifier             // a reverse-DNS identifier
	KindTargetList             // Entra group object IDs (and "allDevices")
	KindDNList                 // a list of LDAP distinguished names (GPO links)
	KindScopeTags              // Intune role scope tag IDs
)

// Component is a part of Defender a profile can manage or leave alone; its
// settings are in force only where the component is enabled and its platform
// targeted.
type Component struct {
	// Name is how the README names the component when the profile does not
	// manage it ("EDR sensor"); empty for components off by default, which
	// get no row then.
	Name     string
	Platform Platform
	// Enabled reports whether the profile manages the component; nil means always.
	Enabled func(p *Profile) bool
}

// The components of a profile.
var (
	compWindows = &Component{Platform: Windows}
	compLinux   = &Component{Platform: Linux}
	compMacOS   = &Component{Platform: MacOS}
	compEDR     = &Component{Name: "EDR sensor", Platform: Windows, Enabled: func(p *Profile) bool { return p.EDR.Enabled }}
	compAV      = &Component{Name: "Antivirus", Platform: Windows, Enabled: func(p *Profile) bool { return p.Antivirus.Enabled }}
	compWinHTTP = &Component{Platform: Windows, Enabled: func(p *Profile) bool { return p.WinHTTP.Enabled }}
	compMMA     = &Component{Platform: Windows, Enabled: func(p *Profile) bool { return p.MMA.Enabled }}
	compIntune  = &Component{Platform: Windows, Enabled: func(p *Profile) bool { return p.Intune.Enabled }}
)

// Manages reports whether the profile targets the component's platform and
// manages the component.
func (c *Component) Manages(p *Profile) bool {
	if c == nil {
		return true
	}
	return p.Targets(c.Platform) && (c.Enabled == nil || c.Enabled(p))
}

// Def describes one effective setting: its path, the kind of its value, the
// component it belongs to, and how its effective value is read off a resolved
// profile.
type Def struct {
	Path Path
	Kind Kind
	// Component is nil for settings of the whole profile (mode, platforms).
	Component *Component
	// Switch is set on a component's own enabled setting: it is in force
	// wherever the component's platform is targeted.
	Switch bool
	// Label is the setting's row label in the profile's README; empty for
	// settings the README does not list.
	Label string
	// Device is set for settings that change what a device does (names and
	// descriptions do not).
	Device bool
	// Presence is set for settings whose being written, not only their
	// value, reaches the artifacts (the model holds it as a field of its
	// own): `mdeproxyc diff` then lists a change of presence alone.
	Presence bool
	text     func(p *Profile) string
	list     func(p *Profile) []string
	// set copies a written value into the profile, for plain settings: ones
	// whose effective value is what the user wrote, with the zero value as
	// built-in default. compile applies it to every written plain setting, so
	// such a setting is added here and in the schema, and nowhere else in
	// compile. Derived settings (proxies that default to proxy, switches on
	// by default) are resolved by compile itself and have none.
	set func(p *Profile, v Value)
}

// Value is a written value as compile read it: a string, a bool or a list.
type Value struct {
	Str  string
	Bool bool
	List []string
}

// Assign copies a written value into the profile when the setting is plain;
// it reports whether it did.
func (d *Def) Assign(p *Profile, v Value) bool {
	if d.set == nil {
		return false
	}
	d.set(p, v)
	return true
}

// Settings lists every effective setting of a profile, in the order explain
// and the README show them. It is the one table of what a profile means: the
// explain command, the README rows and vet's rules read it.
var Settings = []*Def{
	{Path: PathDescription, Kind: KindText, text: func(p *Profile) string { return p.Description },
		set: func(p *Profile, v Value) { p.Description = v.Str }},
	{Path: PathOrganization, Kind: KindText, text: func(p *Profile) string { return p.Organization },
		set: func(p *Profile, v Value) { p.Organization = v.Str }},
	{Path: PathMode, Kind: KindEnum, Label: "mode", Device: true, text: func(p *Profile) string { return string(p.Mode) }},
	{Path: PathPlatforms, Kind: KindEnumList, Label: "platforms", Device: true, list: func(p *Profile) []string {
		s := make([]string, len(p.Platforms))
		for i, pl := range p.Platforms {
			s[i] = string(pl)
		}
		return s
	}},
	{Path: PathConnectivity, Kind: KindEnum, Label: "connectivity", Device: true, text: func(p *Profile) string { return string(p.Connectivity) }},
	{Path: PathRegion, Kind: KindEnum, Label: "Defender data location (region)", Device: true, text: func(p *Profile) string { return string(p.Region) },
		set: func(p *Profile, v Value) { p.Region = Region(v.Str) }},
	{Path: PathOffline, Kind: KindBool, Device: true, text: func(p *Profile) string { return strconv.FormatBool(p.Offline) },
		set: func(p *Profile, v Value) { p.Offline = v.Bool }},
	{Path: PathEDREnabled, Kind: KindBool, Component: compEDR, Switch: true, Device: true, text: func(p *Profile) string { return strconv.FormatBool(p.EDR.Enabled) }},
	{Path: PathEDRProxy, Kind: KindHostPort, Component: compEDR, Label: "EDR sensor proxy (TelemetryProxyServer)", Device: true, text: func(p *Profile) string { return p.EDR.Proxy }},
	{Path: PathEDRPreferStatic, Kind: KindBool, Component: compEDR, Label: "EDR prefers the static proxy (PreferStaticProxyForHttpRequest)", Device: true, text: func(p *Profile) string { return strconv.FormatBool(p.EDR.PreferStaticProxy) }},
	{Path: PathAVEnabled, Kind: KindBool, Component: compAV, Switch: true, Device: true, text: func(p *Profile) string { return strconv.FormatBool(p.Antivirus.Enabled) }},
	{Path: PathAVProxy, Kind: KindProxyURL, Component: compAV, Label: "Antivirus proxy (ProxyServer)", Device: true, text: func(p *Profile) string { return p.Antivirus.ProxyServer }},
	{Path: PathAVPAC, Kind: KindURL, Component: compAV, Label: "Antivirus PAC (ProxyPacUrl)", Device: true, text: func(p *Profile) string { return p.Antivirus.PacURL }},
	{Path: PathAVBypass, Kind: KindBypassList, Component: compAV, Label: "Antivirus bypass (ProxyBypass)", Device: true, list: func(p *Profile) []string { return p.Antivirus.Bypass }},
	{Path: PathAVDisableRevocation, Kind: KindBool, Component: compAV, Label: "Antivirus revocation checks off (SSLOptions=2)", Device: true, Presence: true, text: func(p *Profile) string { return strconv.FormatBool(p.Antivirus.DisableRevocationChecks) },
		set: func(p *Profile, v Value) { p.Antivirus.DisableRevocationChecks = v.Bool }},
	{Path: PathWinHTTPEnabled, Kind: KindBool, Component: compWinHTTP, Switch: true, Device: true, text: func(p *Profile) string { return strconv.FormatBool(p.WinHTTP.Enabled) }},
	{Path: PathWinHTTPProxy, Kind: KindHostPort, Component: compWinHTTP, Label: "WinHTTP machine proxy (netsh)", Device: true, text: func(p *Profile) string { return p.WinHTTP.Proxy }},
	{Path: PathWinHTTPBypass, Kind: KindBypassList, Component: compWinHTTP, Label: "WinHTTP bypass list", Device: true, list: func(p *Profile) []string { return p.WinHTTP.Bypass }},
	{Path: PathMMAEnabled, Kind: KindBool, Component: compMMA, Switch: true, Device: true, text: func(p *Profile) string { return strconv.FormatBool(p.MMA.Enabled) }},
	{Path: PathMMAProxy, Kind: KindHostPort, Component: compMMA, Label: "Log Analytics agent (MMA) proxy", Device: true, text: func(p *Profile) string { return p.MMA.Proxy }},
	{Path: PathIntuneEnabled, Kind: KindBool, Component: compIntune, Switch: true, text: func(p *Profile) string { return strconv.FormatBool(p.Intune.Enabled) }},
	{Path: PathIntuneDisplayName, Kind: KindText, Component: compWindows, Label: "Intune object name", text: func(p *Profile) string { return p.Intune.DisplayName }},
	{Path: PathIntuneDescription, Kind: KindText, Component: compWindows, text: func(p *Profile) string { return p.Intune.Description }},
	{Path: PathIntuneInclude, Kind: KindTargetList, Component: compWindows, list: func(p *Profile) []string { return p.Intune.Include }},
	{Path: PathIntuneExclude, Kind: KindTargetList, Component: compWindows, list: func(p *Profile) []string { return p.Intune.Exclude }},
	{Path: PathIntuneScopeTags, Kind: KindScopeTags, Component: compWindows, list: func(p *Profile) []string { return p.Intune.ScopeTags }},
	{Path: PathConfigMgrAppName, Kind: KindText, Component: compWindows, Label: "ConfigMgr application name", text: func(p *Profile) string { return p.ConfigMgr.ApplicationName }},
	{Path: PathGPOName, Kind: KindText, Component: compWindows, Label: "Group Policy object name", text: func(p *Profile) string { return p.GPO.Name }},
	{Path: PathGPOLinks, Kind: KindDNList, Component: compWindows, list: func(p *Profile) []string { return p.GPO.Links },
		set: func(p *Profile, v Value) { p.GPO.Links = v.List }},
	{Path: PathLinuxProxy, Kind: KindProxyURL, Component: compLinux, Label: "Linux mdatp proxy (cloudService.proxy)", Device: true, text: func(p *Profile) string { return p.Linux.Proxy }},
	{Path: PathMacOSProxy, Kind: KindProxyURL, Component: compMacOS, Label: "macOS proxy (com.microsoft.wdav cloudService.proxy)", Device: true, text: func(p *Profile) string { return p.MacOS.Proxy }},
	{Path: PathMacOSIdentifier, Kind: KindIdentifier, Component: compMacOS, Label: "macOS configuration profile identifier", text: func(p *Profile) string { return p.MacOS.Identifier }},
}

// Lookup returns the definition of the setting at path, or nil.
func Lookup(path Path) *Def {
	for _, d := range Settings {
		if d.Path == path {
			return d
		}
	}
	return nil
}

// IsProxy reports whether the setting's value is a proxy address.
func (d *Def) IsProxy() bool { return d.Kind == KindHostPort || d.Kind == KindProxyURL }

// IsList reports whether the setting's value is a list.
func (d *Def) IsList() bool { return d.list != nil }

// Setting is one effective setting of one profile: a row of the settings table.
type Setting struct {
	*Def
	// Text is the value as one string (a list joined with ";").
	Text string
	// List is the value of a list setting.
	List []string
	// Origin says where the value was written; Written is false for a
	// built-in default.
	Origin  Origin
	Written bool
	// Applies is set when the profile targets the setting's platform and
	// manages its component: the setting reaches the profile's artifacts.
	Applies bool
}

// InForce reports whether the setting reaches a device with a value: it
// applies and its value is not empty (in mode "auto" proxy values are).
func (s Setting) InForce() bool { return s.Applies && s.Text != "" }

// Table returns the profile's effective settings in the order of Settings.
func (p *Profile) Table() []Setting {
	out := make([]Setting, len(Settings))
	for i, d := range Settings {
		out[i] = p.Setting(d)
	}
	return out
}

// Setting returns the profile's row for one setting definition.
func (p *Profile) Setting(d *Def) Setting {
	s := Setting{Def: d}
	if d.list != nil {
		s.List = d.list(p)
		s.Text = strings.Join(s.List, ";")
	} else {
		s.Text = d.text(p)
	}
	s.Origin, s.Written = p.Origins[d.Path]
	if d.Switch {
		s.Applies = p.Targets(d.Component.Platform)
	} else {
		s.Applies = d.Component.Manages(p)
	}
	return s
}

// Get returns the profile's row for the setting at path; it panics on a path
// that is not in Settings, which is a programming error.
func (p *Profile) Get(path Path) Setting {
	d := Lookup(path)
	if d == nil {
		panic("model: no setting " + string(path))
	}
	return p.Setting(d)
}

// SettingPath is the path diagnostics name a profile's setting by, the way CUE
// writes it: profiles."dc-offline".windows.edr.proxy. An empty setting names
// the profile itself.
func SettingPath(profile string, setting Path) string {
	p := "profiles." + QuoteLabel(profile)
	if setting != "" {
		p += "." + string(setting)
	}
	return p
}

// QuoteLabel writes a CUE field label as CUE prints it: bare when it is an
// identifier, else a double-quoted string.
func QuoteLabel(s string) string {
	if isIdent(s) {
		return s
	}
	return strconv.Quote(s)
}

// isIdent follows CUE's identifier rule (letters, digits, '_' and '$', not
// starting with a digit) and excludes hidden (_x) and definition (#x) labels,
// which a profile name never is.
func isIdent(s string) bool {
	if s == "" || s[0] == '_' {
		return false
	}
	for i, r := range s {
		switch {
		case r == '_' || r == '$' || unicode.IsLetter(r):
		case unicode.IsDigit(r) && i > 0:
		default:
			return false
		}
	}
	return true
}
