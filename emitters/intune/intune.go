// Package intune writes the Microsoft Graph request bodies that put a
// profile's Windows settings into Intune: a custom configuration profile with
// the Antivirus ADMX-backed policies and DisableEnterpriseAuthProxy, a platform
// script running Set-MdeProxy.ps1, and a remediation pairing Test-MdeProxy.ps1
// with Set-MdeProxy.ps1. Each can be POSTed to Graph unchanged.
package intune

import (
	"bytes"
	_ "embed"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/mdeproxyc/mdeproxyc/emitters"
	"github.com/mdeproxyc/mdeproxyc/internal/intunegraph"
	"github.com/mdeproxyc/mdeproxyc/internal/textfile"
	"github.com/mdeproxyc/mdeproxyc/model"
	"github.com/mdeproxyc/mdeproxyc/regplan"
)

// The files this emitter writes, relative to a profile's folder: the names
// publish knows them by (internal/intunegraph).
const (
	ConfigurationPath = intunegraph.ConfigurationPath
	ScriptPath        = intunegraph.ScriptPath
	RemediationPath   = intunegraph.RemediationPath
)

// OMA-URIs of the settings (docs/formats.md §5).
const (
	admxAV                   = "./Device/Vendor/MSFT/Policy/Config/ADMX_MicrosoftDefenderAntivirus/"
	URIDisableEnterpriseAuth = "./Device/Vendor/MSFT/Policy/Config/System/DisableEnterpriseAuthProxy"
)

// Emitter is the Intune emitter.
type Emitter struct{}

// Name implements emitters.Emitter.
func (Emitter) Name() string { return "intune" }

// Summary implements emitters.Emitter.
func (Emitter) Summary() string {
	return "windows/intune/*.json: Graph bodies for a custom configuration profile, a platform script and a remediation"
}

// Configuration is a #microsoft.graph.windows10CustomConfiguration request body.
type Configuration struct {
	ODataType   string       `json:"@odata.type"`
	DisplayName string       `json:"displayName"`
	Description string       `json:"description"`
	OmaSettings []OmaSetting `json:"omaSettings"`
	// No roleScopeTagIds: the v1.0 deviceConfiguration publish creates this
	// through does not have the property (docs/intune-publish.md).
}

// OmaSetting is one OMA-URI setting; Value is a string for omaSettingString and
// an integer for omaSettingInteger.
type OmaSetting struct {
	ODataType   string `json:"@odata.type"`
	DisplayName string `json:"displayName"`
	Description string `json:"description"`
	OmaURI      string `json:"omaUri"`
	Value       any    `json:"value"`
}

// Script is a #microsoft.graph.deviceManagementScript request body (beta).
type Script struct {
	ODataType             string `json:"@odata.type"`
	DisplayName           string `json:"displayName"`
	Description           string `json:"description"`
	ScriptContent         string `json:"scriptContent"`
	RunAsAccount          string `json:"runAsAccount"`
	EnforceSignatureCheck bool   `json:"enforceSignatureCheck"`
	FileName              string `json:"fileName"`
	RunAs32Bit            bool   `json:"runAs32Bit"`
	// RoleScopeTagIds are intune.scopeTags; absent when none are given, so
	// that Intune keeps its default.
	RoleScopeTagIds []string `json:"roleScopeTagIds,omitempty"`
}

// HealthScript is a #microsoft.graph.deviceHealthScript request body (beta).
type HealthScript struct {
	ODataType                string `json:"@odata.type"`
	Publisher                string `json:"publisher"`
	DisplayName              string `json:"displayName"`
	Description              string `json:"description"`
	DetectionScriptContent   string `json:"detectionScriptContent"`
	RemediationScriptContent string `json:"remediationScriptContent"`
	RunAsAccount             string `json:"runAsAccount"`
	EnforceSignatureCheck    bool   `json:"enforceSignatureCheck"`
	RunAs32Bit               bool   `json:"runAs32Bit"`
	// RoleScopeTagIds: see Script.
	RoleScopeTagIds []string `json:"roleScopeTagIds,omitempty"`
}

// avPolicies are the ADMX-backed Antivirus policies, in plan order; each
// policy's text element id equals its value name (docs/formats.md §2, §5).
var avPolicies = []struct{ name, title, what string }{
	{"ProxyServer", "Defender Antivirus proxy server", "Define proxy server for connecting to the network (Microsoft Defender Antivirus ProxyServer)."},
	{"ProxyPacUrl", "Defender Antivirus proxy auto-config (.pac)", "Define proxy auto-config (.pac) for connecting to the network (Microsoft Defender Antivirus ProxyPacUrl)."},
	{"ProxyBypass", "Defender Antivirus proxy bypass", "Define addresses to bypass proxy server (Microsoft Defender Antivirus ProxyBypass; entries separated by ';')."},
}

// BuildConfiguration derives the custom configuration profile from the same
// registry plan the other Windows artifacts render: a policy the plan sets is
// <enabled/> with its value; one the plan deletes is <disabled/>; one the plan
// does not hold (a component the profile does not manage) is not sent at all,
// so that another channel may own it (docs/windows.md, "Managed and not
// managed").
// TelemetryProxyServer is not sent through MDM: Microsoft's current guidance is
// that the sensor reads the Group Policy location, so the platform script
// carries it.
func BuildConfiguration(p *emitters.Profile) Configuration {
	c := Configuration{
		ODataType:   "#microsoft.graph.windows10CustomConfiguration",
		DisplayName: p.Intune.DisplayName,
		Description: description(p.Profile) + "\n" + intunegraph.Marker(p.Name),
	}
	ops := map[string]regplan.Op{}
	for _, o := range p.Plan().Ops {
		ops[o.Key+`\`+o.Name] = o
	}
	for _, pol := range avPolicies {
		o, ok := ops[regplan.KeyDefender+`\`+pol.name]
		if !ok {
			continue
		}
		value := "<disabled/>"
		what := pol.what + " Disabled: this profile sets no value."
		if !o.Delete {
			value = `<enabled/><data id="` + pol.name + `" value="` + xmlAttr(o.Str) + `"/>`
			what = pol.what
		}
		c.OmaSettings = append(c.OmaSettings, OmaSetting{
			ODataType: "#microsoft.graph.omaSettingString", DisplayName: pol.title, Description: what,
			OmaURI: admxAV + pol.name, Value: value,
		})
	}
	if o, ok := ops[regplan.KeyDataCollection+`\DisableEnterpriseAuthProxy`]; ok && !o.Delete {
		c.OmaSettings = append(c.OmaSettings, OmaSetting{
			ODataType:   "#microsoft.graph.omaSettingInteger",
			DisplayName: "Disable authenticated proxy usage for the EDR sensor",
			Description: "Configure Authenticated Proxy usage for the Connected User Experience and Telemetry Service: 1 = do not use an authenticated proxy (the sensor runs as SYSTEM).",
			OmaURI:      URIDisableEnterpriseAuth,
			Value:       int(o.DWord),
		})
	}
	return c
}

func description(p *model.Profile) string {
	if p.Organization != "" && !strings.Contains(p.Intune.Description, p.Organization) {
		return p.Intune.Description + " (" + p.Organization + ")"
	}
	return p.Intune.Description
}

// xmlAttr escapes a value for an XML attribute in double quotes.
func xmlAttr(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;", "'", "&apos;").Replace(s)
}

// buildScript derives the platform script: exactly the bundle's
// Set-MdeProxy.ps1, given as base64.
func buildScript(p *model.Profile, setB64 string) Script {
	return Script{
		ODataType:       "#microsoft.graph.deviceManagementScript",
		DisplayName:     p.Intune.DisplayName,
		Description:     description(p) + " Runs Set-MdeProxy.ps1 as SYSTEM in 64-bit PowerShell.\n" + intunegraph.Marker(p.Name),
		ScriptContent:   setB64,
		RunAsAccount:    "system",
		FileName:        "Set-MdeProxy.ps1",
		RoleScopeTagIds: p.Intune.ScopeTags,
	}
}

// buildRemediation derives the remediation: Test-MdeProxy.ps1 detects,
// Set-MdeProxy.ps1 remediates (both given as base64).
func buildRemediation(p *model.Profile, testB64, setB64 string) HealthScript {
	publisher := p.Organization
	if publisher == "" {
		publisher = "mdeproxyc"
	}
	return HealthScript{
		ODataType:                "#microsoft.graph.deviceHealthScript",
		Publisher:                publisher,
		DisplayName:              p.Intune.DisplayName,
		Description:              description(p) + " Detects drift with Test-MdeProxy.ps1 and repairs it with Set-MdeProxy.ps1.\n" + intunegraph.Marker(p.Name),
		DetectionScriptContent:   testB64,
		RemediationScriptContent: setB64,
		RunAsAccount:             "system",
		RoleScopeTagIds:          p.Intune.ScopeTags,
	}
}

// signatureCheck sets enforceSignatureCheck on a script body when the build
// signed the scripts it carries: Intune then runs them only with a valid
// signature (docs/channels.md).
func signatureCheck[T Script | HealthScript](body T, signed bool) T {
	switch b := any(&body).(type) {
	case *Script:
		b.EnforceSignatureCheck = signed
	case *HealthScript:
		b.EnforceSignatureCheck = signed
	}
	return body
}

// encode renders JSON with two-space indent, fields in declaration order, no
// HTML escaping, UTF-8 without BOM, and a trailing newline.
func encode(v any) ([]byte, error) {
	if flat, ok := v.(flatObject); ok {
		return encodeFlat(flat.fields())
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// flatObject is a request body whose properties are all strings and booleans;
// it is encoded without encoding/json's indent pass, which re-reads every byte
// of the scripts' base64 (most of a 100,000-profile build's time, measured).
type flatObject interface {
	fields() []field
}

// field is one property; base64 values are written as they are, since the
// base64 alphabet needs no JSON escaping.
type field struct {
	name   string
	value  any
	base64 bool
}

func (s Script) fields() []field {
	return withScopeTags(s.RoleScopeTagIds, []field{
		{name: "@odata.type", value: s.ODataType}, {name: "displayName", value: s.DisplayName},
		{name: "description", value: s.Description}, {name: "scriptContent", value: s.ScriptContent, base64: true},
		{name: "runAsAccount", value: s.RunAsAccount}, {name: "enforceSignatureCheck", value: s.EnforceSignatureCheck},
		{name: "fileName", value: s.FileName}, {name: "runAs32Bit", value: s.RunAs32Bit},
	})
}

func (h HealthScript) fields() []field {
	return withScopeTags(h.RoleScopeTagIds, []field{
		{name: "@odata.type", value: h.ODataType}, {name: "publisher", value: h.Publisher},
		{name: "displayName", value: h.DisplayName}, {name: "description", value: h.Description},
		{name: "detectionScriptContent", value: h.DetectionScriptContent, base64: true},
		{name: "remediationScriptContent", value: h.RemediationScriptContent, base64: true},
		{name: "runAsAccount", value: h.RunAsAccount}, {name: "enforceSignatureCheck", value: h.EnforceSignatureCheck},
		{name: "runAs32Bit", value: h.RunAs32Bit},
	})
}

// withScopeTags adds roleScopeTagIds when the profile gives scope tags, as
// encoding/json's omitempty would.
func withScopeTags(tags []string, fs []field) []field {
	if len(tags) == 0 {
		return fs
	}
	return append(fs, field{name: "roleScopeTagIds", value: tags})
}

func encodeFlat(fields []field) ([]byte, error) {
	var b bytes.Buffer
	b.WriteString("{\n")
	for i, f := range fields {
		b.WriteString(`  "` + f.name + `": `)
		if f.base64 {
			b.WriteString(`"` + f.value.(string) + `"`)
		} else {
			var v bytes.Buffer
			enc := json.NewEncoder(&v)
			enc.SetEscapeHTML(false)
			if err := enc.Encode(f.value); err != nil {
				return nil, err
			}
			b.Write(bytes.TrimSuffix(v.Bytes(), []byte("\n")))
		}
		if i < len(fields)-1 {
			b.WriteByte(',')
		}
		b.WriteByte('\n')
	}
	b.WriteString("}\n")
	return b.Bytes(), nil
}

// Emit implements emitters.Emitter.
func (Emitter) Emit(p *emitters.Profile) ([]emitters.File, error) {
	if !p.Targets(model.Windows) || !p.Intune.Enabled {
		return nil, nil
	}
	// Each script is rendered and encoded once for both bodies that carry it.
	scripts, err := p.Scripts()
	if err != nil {
		return nil, err
	}
	setB64 := base64.StdEncoding.EncodeToString(scripts.Set)
	testB64 := base64.StdEncoding.EncodeToString(scripts.Test)
	var files []emitters.File
	type body struct {
		path, summary string
		v             any
	}
	var bodies []body
	// A profile that manages neither the EDR sensor nor Antivirus has no MDM
	// setting to send: a configuration without omaSettings would be an empty
	// object assigned to every device, so there is none (the scripts still
	// carry WinHTTP and the Log Analytics agent).
	if c := BuildConfiguration(p); len(c.OmaSettings) > 0 {
		bodies = append(bodies, body{ConfigurationPath, "Graph v1.0 `deviceManagement/deviceConfigurations` body: Antivirus ADMX policies and DisableEnterpriseAuthProxy", c})
	}
	bodies = append(bodies,
		body{ScriptPath, "Graph beta `deviceManagement/deviceManagementScripts` body: Set-MdeProxy.ps1 as SYSTEM, 64-bit", signatureCheck(buildScript(p.Profile, setB64), p.Signed())},
		body{RemediationPath, "Graph beta `deviceManagement/deviceHealthScripts` body: Test-MdeProxy.ps1 detects, Set-MdeProxy.ps1 remediates", signatureCheck(buildRemediation(p.Profile, testB64, setB64), p.Signed())},
	)
	for _, f := range bodies {
		data, err := encode(f.v)
		if err != nil {
			return nil, err
		}
		files = append(files, emitters.File{Path: f.path, Data: data, Summary: f.summary})
	}
	return files, nil
}

// deployText is the profile README's section for this emitter: deploy.md
// beside this file, a text/template.
var deployText = textfile.MustTemplate("deploy.md", deploySource)

//go:embed deploy.md
var deploySource string

// Deploy implements emitters.Deployer.
func (Emitter) Deploy(p *emitters.Profile) string {
	return textfile.Execute(deployText, p)
}

// Locate implements emitters.Locator.
func (Emitter) Locate(p *emitters.Profile) []emitters.Location {
	if !p.Targets(model.Windows) || !p.Intune.Enabled {
		return nil
	}
	c := BuildConfiguration(p)
	settings := map[string]model.Path{
		admxAV + "ProxyServer": model.PathAVProxy, admxAV + "ProxyPacUrl": model.PathAVPAC,
		admxAV + "ProxyBypass": model.PathAVBypass, URIDisableEnterpriseAuth: model.PathEDREnabled,
	}
	var out []emitters.Location
	for i, s := range c.OmaSettings {
		out = append(out, emitters.Location{Setting: settings[s.OmaURI], File: ConfigurationPath, Kind: "json",
			Where: fmt.Sprintf("/omaSettings/%d/value", i), Value: fmt.Sprint(s.Value)})
	}
	for _, f := range []string{ConfigurationPath, ScriptPath, RemediationPath} {
		out = append(out, emitters.Location{Setting: model.PathIntuneDisplayName, File: f, Kind: "json", Where: "/displayName", Value: p.Intune.DisplayName})
	}
	return out
}
