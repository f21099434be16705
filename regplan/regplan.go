// Package regplan computes, once per profile, the ordered list of registry
// operations that every Windows artifact renders: the .reg files, Registry.pol,
// and the PowerShell scripts. Rendering one plan means the artifacts can never
// disagree about a key, a value name, a type or a value.
package regplan

import (
	"strconv"
	"strings"

	"github.com/mdeproxyc/mdeproxyc/model"
)

// Type is a registry value type.
type Type uint32

// The registry value types the plan uses, with their Windows numbers.
const (
	String Type = 1 // REG_SZ
	DWord  Type = 4 // REG_DWORD
)

// String names the type the way Windows does.
func (t Type) String() string {
	if t == DWord {
		return "REG_DWORD"
	}
	return "REG_SZ"
}

// The keys the plan writes, relative to HKEY_LOCAL_MACHINE (docs/formats.md §1, §2).
const (
	KeyDataCollection = `SOFTWARE\Policies\Microsoft\Windows\DataCollection`
	KeyATP            = `SOFTWARE\Policies\Microsoft\Windows Advanced Threat Protection`
	KeyDefender       = `SOFTWARE\Policies\Microsoft\Windows Defender`
	KeySpynet         = `SOFTWARE\Policies\Microsoft\Windows Defender\Spynet`
)

// Hive is the root every key lives under.
const Hive = "HKEY_LOCAL_MACHINE"

// Op is one registry operation: set a value, or delete it.
type Op struct {
	Key  string // relative to HKLM
	Name string
	// Delete removes the value; Type and data are then unused.
	Delete bool
	Type   Type
	Str    string
	DWord  uint32
	// Setting is the intent path whose value this operation carries
	// (model.PathEDRProxy), for explain and for readers of the plan.
	Setting model.Path
}

// Data returns the value as text: the string, or the DWORD in decimal.
func (o Op) Data() string {
	if o.Type == DWord {
		return strconv.FormatUint(uint64(o.DWord), 10)
	}
	return o.Str
}

// Written returns the data the operation leaves in the registry: Data for a
// set, "" for a deletion.
func (o Op) Written() string {
	if o.Delete {
		return ""
	}
	return o.Data()
}

// Plan is a profile's registry operations in a fixed order: by key, then by a
// fixed order of values within the key.
type Plan struct {
	Ops []Op
}

// Sets returns the operations that set a value.
func (p Plan) Sets() []Op {
	var out []Op
	for _, o := range p.Ops {
		if !o.Delete {
			out = append(out, o)
		}
	}
	return out
}

// Keys returns the distinct keys of the plan in plan order.
func (p Plan) Keys() []string {
	var keys []string
	for _, o := range p.Ops {
		if len(keys) == 0 || keys[len(keys)-1] != o.Key {
			keys = append(keys, o.Key)
		}
	}
	return keys
}

// Value names one registry value: its key (relative to HKLM) and its name.
type Value struct{ Key, Name string }

// The values of each component, in plan order: every value this tool ever
// writes or deletes (docs/formats.md §1, §2). No artifact touches any other.
var (
	EDRValues = []Value{
		{KeyDataCollection, "TelemetryProxyServer"},
		{KeyDataCollection, "DisableEnterpriseAuthProxy"},
		{KeyATP, "PreferStaticProxyForHttpRequest"},
	}
	AntivirusValues = []Value{
		{KeyDefender, "ProxyServer"},
		{KeyDefender, "ProxyPacUrl"},
		{KeyDefender, "ProxyBypass"},
		{KeySpynet, "SSLOptions"},
	}
)

// Managed returns the values of the components a profile manages, in plan
// order: the plan's values, and SSLOptions where mode "auto" leaves it out of
// the plan. A disabled component's values are not among them.
func Managed(p *model.Profile) []Value {
	if !p.Targets(model.Windows) {
		return nil
	}
	var out []Value
	if p.EDR.Enabled {
		out = append(out, EDRValues...)
	}
	if p.Antivirus.Enabled {
		out = append(out, AntivirusValues...)
	}
	return out
}

// Unplanned returns the values of Managed that the plan leaves out (SSLOptions
// in mode "auto" when the profile does not write disableRevocationChecks).
func (p Plan) Unplanned(managed []Value) []Value {
	in := map[Value]bool{}
	for _, o := range p.Ops {
		in[Value{o.Key, o.Name}] = true
	}
	var out []Value
	for _, v := range managed {
		if !in[v] {
			out = append(out, v)
		}
	}
	return out
}

// BypassSeparator joins Antivirus bypass entries in the ProxyBypass policy
// value. The separator is undocumented; ';' is what WinHTTP and WinINet use
// (docs/formats.md §2, decision; docs/windows.md, Defender Antivirus).
const BypassSeparator = ";"

// For computes the plan of a profile. A profile that does not target Windows
// has an empty plan. A component the profile disables (enabled: false) is not
// managed: none of its values is in the plan, so no artifact writes or deletes
// them and another channel (a GPO, an image) may own them (docs/windows.md,
// "Managed and not managed"). Every value of a managed component is either set
// or deleted, so applying a plan converges a device to the intent whatever was
// there before: mode "auto" deletes the static-proxy values a managed
// component would set, and a value the intent leaves unset (no PAC, no bypass)
// is deleted too.
func For(p *model.Profile) Plan {
	var plan Plan
	if !p.Targets(model.Windows) {
		return plan
	}
	set := func(key, name string, setting model.Path, s string) {
		plan.Ops = append(plan.Ops, Op{Key: key, Name: name, Type: String, Str: s, Setting: setting})
	}
	setDWord := func(key, name string, setting model.Path, d uint32) {
		plan.Ops = append(plan.Ops, Op{Key: key, Name: name, Type: DWord, DWord: d, Setting: setting})
	}
	del := func(key, name string, setting model.Path, t Type) {
		plan.Ops = append(plan.Ops, Op{Key: key, Name: name, Delete: true, Type: t, Setting: setting})
	}
	static := p.Mode == model.ModeStatic

	// EDR sensor (docs/formats.md §1; docs/windows.md). Mode "auto" removes
	// only the static-proxy values: DisableEnterpriseAuthProxy stays while the
	// sensor is managed, since WPAD can hand out an authenticating proxy too.
	if p.EDR.Enabled {
		edr := static && p.EDR.Proxy != ""
		if edr {
			set(KeyDataCollection, "TelemetryProxyServer", model.PathEDRProxy, p.EDR.Proxy)
		} else {
			del(KeyDataCollection, "TelemetryProxyServer", model.PathEDRProxy, String)
		}
		setDWord(KeyDataCollection, "DisableEnterpriseAuthProxy", model.PathEDREnabled, 1)
		if edr && p.EDR.PreferStaticProxy {
			setDWord(KeyATP, "PreferStaticProxyForHttpRequest", model.PathEDRPreferStatic, 1)
		} else {
			del(KeyATP, "PreferStaticProxyForHttpRequest", model.PathEDRPreferStatic, DWord)
		}
	}

	// Defender Antivirus (docs/formats.md §2; docs/windows.md).
	if !p.Antivirus.Enabled {
		return plan
	}
	optional := func(name string, setting model.Path, value string) {
		if static && value != "" {
			set(KeyDefender, name, setting, value)
		} else {
			del(KeyDefender, name, setting, String)
		}
	}
	optional("ProxyServer", model.PathAVProxy, p.Antivirus.ProxyServer)
	optional("ProxyPacUrl", model.PathAVPAC, p.Antivirus.PacURL)
	optional("ProxyBypass", model.PathAVBypass, strings.Join(p.Antivirus.Bypass, BypassSeparator))
	// Revocation checks are not a proxy setting: they follow the intent in
	// either mode while Antivirus is managed here. In mode "auto" a profile
	// that does not write disableRevocationChecks leaves SSLOptions alone.
	if !static && !p.Antivirus.RevocationChecksWritten {
		return plan
	}
	if p.Antivirus.DisableRevocationChecks {
		setDWord(KeySpynet, "SSLOptions", model.PathAVDisableRevocation, 2)
	} else {
		del(KeySpynet, "SSLOptions", model.PathAVDisableRevocation, DWord)
	}
	return plan
}
