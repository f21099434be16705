package intune

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"github.com/mdeproxyc/mdeproxyc/emitters"
	"reflect"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/mdeproxyc/mdeproxyc/internal/testfleet"
	"github.com/mdeproxyc/mdeproxyc/internal/validators"
	"github.com/mdeproxyc/mdeproxyc/model"
	"github.com/mdeproxyc/mdeproxyc/psscripts"
	"github.com/mdeproxyc/mdeproxyc/regplan"
)

// windowsProfiles are the example profiles that get Intune artifacts: they
// target Windows and leave intune.enabled on.
func windowsProfiles(t *testing.T) []*model.Profile {
	var out []*model.Profile
	for _, p := range testfleet.Targeting(t, model.Windows, 1) {
		if p.Intune.Enabled {
			out = append(out, p)
		}
	}
	if len(out) == 0 {
		t.Fatal("no example profile gets Intune artifacts")
	}
	return out
}

func body(t *testing.T, p *model.Profile, path string) []byte {
	files, err := Emitter{}.Emit(emitters.NewProfile(p))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if f.Path == path {
			return f.Data
		}
	}
	t.Fatalf("%s: no %s", p.Name, path)
	return nil
}

// admx reads an ADMX-backed value: "<disabled/>", or "<enabled/><data id=… value=…/>".
func admx(s string) (enabled bool, id, value string, err error) {
	if s == "<disabled/>" {
		return false, "", "", nil
	}
	var d struct {
		ID    string `xml:"id,attr"`
		Value string `xml:"value,attr"`
	}
	rest, ok := strings.CutPrefix(s, "<enabled/>")
	if !ok {
		return false, "", "", fmt.Errorf("neither enabled nor disabled: %q", s)
	}
	if err := xml.Unmarshal([]byte(rest), &d); err != nil {
		return false, "", "", err
	}
	return true, d.ID, d.Value, nil
}

// TestGraphSDK deserialises every custom-configuration.json with Microsoft's
// Graph SDK models and compares what they read with the registry plan.
func TestGraphSDK(t *testing.T) {
	ps := windowsProfiles(t)
	var bodies [][]byte
	for _, p := range ps {
		bodies = append(bodies, body(t, p, ConfigurationPath))
	}
	for i, r := range validators.GraphSDK(t, bodies...) {
		p := ps[i]
		if r.Error != "" || !r.Windows10 || r.ODataType != "#microsoft.graph.windows10CustomConfiguration" {
			t.Errorf("%s: %+v", p.Name, r)
			continue
		}
		if len(r.Unknown) > 0 {
			t.Errorf("%s: properties unknown to the SDK: %v", p.Name, r.Unknown)
		}
		if r.DisplayName != p.Intune.DisplayName || !strings.HasPrefix(r.Description, p.Intune.Description) {
			t.Errorf("%s: names %q / %q", p.Name, r.DisplayName, r.Description)
		}
		got := map[string]GraphResultSetting{}
		for _, s := range r.Settings {
			if len(s.Unknown) > 0 {
				t.Errorf("%s %s: properties unknown to the SDK: %v", p.Name, s.OmaURI, s.Unknown)
			}
			if s.DisplayName == "" || s.Description == "" {
				t.Errorf("%s %s: no display name or description", p.Name, s.OmaURI)
			}
			got[s.OmaURI] = GraphResultSetting(s)
		}
		plan := regplan.For(p)
		for _, o := range plan.Ops {
			switch {
			case o.Key == regplan.KeyDefender:
				s, ok := got[admxAV+o.Name]
				if !ok || s.Kind != "string" || s.ODataType != "#microsoft.graph.omaSettingString" {
					t.Errorf("%s %s: %+v", p.Name, o.Name, s)
					continue
				}
				enabled, id, value, err := admx(*s.String)
				if err != nil || enabled == o.Delete || (enabled && (id != o.Name || value != o.Str)) {
					t.Errorf("%s %s: %q read as enabled=%v id=%q value=%q (%v); plan %+v", p.Name, o.Name, *s.String, enabled, id, value, err, o)
				}
			case o.Name == "DisableEnterpriseAuthProxy":
				s, ok := got[URIDisableEnterpriseAuth]
				if o.Delete != !ok || ok && (s.Kind != "integer" || s.Integer == nil || uint32(*s.Integer) != o.DWord) {
					t.Errorf("%s DisableEnterpriseAuthProxy: %+v, plan %+v", p.Name, s, o)
				}
			case o.Name == "TelemetryProxyServer":
				for uri := range got {
					if strings.HasSuffix(uri, "/TelemetryProxy") {
						t.Errorf("%s: TelemetryProxy sent through MDM", p.Name)
					}
				}
			}
		}
	}
}

// GraphResultSetting names the SDK's view of a setting in this test.
type GraphResultSetting validators.GraphSetting

// TestGraphSDKRejects proves the checker catches a typo'd property, a string in
// an integer setting, a base type and an unknown subtype.
func TestGraphSDKRejects(t *testing.T) {
	good := string(body(t, testfleet.Profile(t, "hq"), ConfigurationPath))
	cases := map[string]string{
		"omaUrl typo":          strings.Replace(good, `"omaUri"`, `"omaUrl"`, 1),
		"string in integer":    strings.Replace(good, `"value": 1`, `"value": "1"`, 1),
		"base type":            strings.Replace(good, `"#microsoft.graph.omaSettingString"`, `"#microsoft.graph.omaSetting"`, 1),
		"unknown subtype":      strings.Replace(good, `"#microsoft.graph.omaSettingString"`, `"#microsoft.graph.omaSettingStrang"`, 1),
		"wrong top-level type": strings.Replace(good, `windows10CustomConfiguration`, `windows10GeneralConfiguration`, 1),
		"top-level typo":       strings.Replace(good, `"displayName"`, `"displayname"`, 1),
	}
	var names []string
	var bodies [][]byte
	for name, b := range cases {
		if b == good {
			t.Fatalf("%s: the replacement did not apply", name)
		}
		names = append(names, name)
		bodies = append(bodies, []byte(b))
	}
	for i, r := range validators.GraphSDK(t, bodies...) {
		bad := r.Error != "" || !r.Windows10 || len(r.Unknown) > 0
		for _, s := range r.Settings {
			bad = bad || len(s.Unknown) > 0 || s.ODataType == "#microsoft.graph.omaSetting" || !strings.HasPrefix(s.Kind, "string") && !strings.HasPrefix(s.Kind, "integer")
			bad = bad || s.Kind == "integer" && s.Integer == nil
		}
		if !bad {
			t.Errorf("%s: the Graph SDK check passed it: %+v", names[i], r)
		}
	}
}

// deviceManagementScript and deviceHealthScript exist only in Graph beta, and
// Microsoft's beta SDK is not served to this machine: these types are written
// from the documented beta property tables (microsoft-graph-docs-contrib
// api-reference/beta/resources/intune-shared-devicemanagementscript.md and
// intune-devices-devicehealthscript.md), writable properties only. Decoding
// into them strictly is a documentation check, not Microsoft's code.
type betaDeviceManagementScript struct {
	ODataType             string `json:"@odata.type"`
	DisplayName           string `json:"displayName"`
	Description           string `json:"description"`
	ScriptContent         []byte `json:"scriptContent"`
	RunAsAccount          string `json:"runAsAccount"`
	EnforceSignatureCheck bool   `json:"enforceSignatureCheck"`
	FileName              string `json:"fileName"`
	RoleScopeTagIds       []any  `json:"roleScopeTagIds"`
	RunAs32Bit            bool   `json:"runAs32Bit"`
}

type betaDeviceHealthScript struct {
	ODataType                   string `json:"@odata.type"`
	Publisher                   string `json:"publisher"`
	Version                     string `json:"version"`
	DisplayName                 string `json:"displayName"`
	Description                 string `json:"description"`
	DetectionScriptContent      []byte `json:"detectionScriptContent"`
	RemediationScriptContent    []byte `json:"remediationScriptContent"`
	RunAsAccount                string `json:"runAsAccount"`
	EnforceSignatureCheck       bool   `json:"enforceSignatureCheck"`
	RunAs32Bit                  bool   `json:"runAs32Bit"`
	RoleScopeTagIds             []any  `json:"roleScopeTagIds"`
	IsGlobalScript              bool   `json:"isGlobalScript"`
	DeviceHealthScriptType      string `json:"deviceHealthScriptType"`
	DetectionScriptParameters   []any  `json:"detectionScriptParameters"`
	RemediationScriptParameters []any  `json:"remediationScriptParameters"`
}

// strictDecode decodes data into v, rejecting any property v does not declare
// with exactly that spelling: Go's decoder matches names case-insensitively,
// Graph does not.
func strictDecode(data []byte, v any) error {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		return err
	}
	allowed := map[string]bool{}
	rt := reflect.TypeOf(v).Elem()
	for i := range rt.NumField() {
		name, _, _ := strings.Cut(rt.Field(i).Tag.Get("json"), ",")
		allowed[name] = true
	}
	for k := range raw {
		if !allowed[k] {
			return fmt.Errorf("property %q is not in the documented beta resource", k)
		}
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return fmt.Errorf("trailing data")
	}
	return nil
}

func TestBetaScriptBodies(t *testing.T) {
	for _, p := range windowsProfiles(t) {
		var s betaDeviceManagementScript
		if err := strictDecode(body(t, p, ScriptPath), &s); err != nil {
			t.Fatalf("%s platform script: %v", p.Name, err)
		}
		want := betaDeviceManagementScript{ODataType: "#microsoft.graph.deviceManagementScript", DisplayName: p.Intune.DisplayName,
			Description: s.Description, ScriptContent: psscripts.Render(p, regplan.For(p)).Set, RunAsAccount: "system", FileName: "Set-MdeProxy.ps1", RoleScopeTagIds: anyList(p.Intune.ScopeTags)}
		if d := cmp.Diff(want, s); d != "" {
			t.Errorf("%s platform script (-want +got):\n%s", p.Name, d)
		}
		var h betaDeviceHealthScript
		if err := strictDecode(body(t, p, RemediationPath), &h); err != nil {
			t.Fatalf("%s remediation: %v", p.Name, err)
		}
		if !bytes.Equal(h.DetectionScriptContent, psscripts.Render(p, regplan.For(p)).Test) || !bytes.Equal(h.RemediationScriptContent, psscripts.Render(p, regplan.For(p)).Set) {
			t.Errorf("%s: remediation scripts are not the bundle's scripts", p.Name)
		}
		if h.ODataType != "#microsoft.graph.deviceHealthScript" || h.RunAsAccount != "system" || h.RunAs32Bit || h.EnforceSignatureCheck || h.Publisher == "" {
			t.Errorf("%s remediation: %+v", p.Name, h)
		}
	}
	if err := strictDecode([]byte(`{"@odata.type":"#microsoft.graph.deviceManagementScript","runAs32bit":false}`), &betaDeviceManagementScript{}); err == nil {
		t.Error("the strict decode accepted runAs32bit (wrong case)")
	}
}

// TestScriptContentIsBundleBytes: the base64 decodes to exactly the bytes of
// the bundle's own Set-MdeProxy.ps1 (CRLF included).
func TestScriptContentIsBundleBytes(t *testing.T) {
	p := testfleet.Profile(t, "berlin")
	var s Script
	json.Unmarshal(body(t, p, ScriptPath), &s)
	got, err := base64.StdEncoding.DecodeString(s.ScriptContent)
	if err != nil || !bytes.Equal(got, psscripts.Render(p, regplan.For(p)).Set) || !bytes.Contains(got, []byte("\r\n")) {
		t.Errorf("scriptContent is not Set-MdeProxy.ps1 (%v)", err)
	}
}

func TestJSONForm(t *testing.T) {
	data := body(t, testfleet.Profile(t, "tokyo-lab"), ConfigurationPath)
	if bytes.HasPrefix(data, []byte{0xEF, 0xBB, 0xBF}) || !bytes.HasSuffix(data, []byte("}\n")) || !bytes.HasPrefix(data, []byte("{\n  \"@odata.type\"")) {
		t.Errorf("not two-space JSON without BOM with a trailing newline:\n%s", data)
	}
	for _, f := range []string{`"id"`, `"createdDateTime"`, `"lastModifiedDateTime"`, `"version"`} {
		if bytes.Contains(data, []byte(f)) {
			t.Errorf("server-assigned field %s in a request body", f)
		}
	}
}

// anyList is a list as encoding/json decodes it into []any; nil for none.
func anyList(l []string) []any {
	var out []any
	for _, s := range l {
		out = append(out, s)
	}
	return out
}

// TestNoEmptyConfiguration: a profile that manages neither the EDR sensor nor
// Antivirus has no MDM setting, so it gets no custom configuration (an object
// without omaSettings assigned to its devices), while one that manages either
// gets one holding that component's settings.
func TestNoEmptyConfiguration(t *testing.T) {
	ps := testfleet.Source(t, `package fleet
defaults: {proxy: "proxy.example.com:8080", platforms: ["windows"]}
profiles: {
	neither: windows: {edr: enabled: false, antivirus: enabled: false, winhttp: enabled: true}
	"edr-only": windows: antivirus: enabled: false
	"av-only": windows: edr: enabled: false
}
`)
	for _, p := range ps {
		files, err := Emitter{}.Emit(emitters.NewProfile(p))
		if err != nil {
			t.Fatal(err)
		}
		var paths []string
		var cfg *Configuration
		for _, f := range files {
			paths = append(paths, f.Path)
			if f.Path == ConfigurationPath {
				cfg = new(Configuration)
				if err := json.Unmarshal(f.Data, cfg); err != nil {
					t.Fatal(err)
				}
			}
		}
		switch {
		case p.Name == "neither" && cfg != nil:
			t.Errorf("neither: a configuration without settings: %v", paths)
		case p.Name != "neither" && (cfg == nil || len(cfg.OmaSettings) == 0):
			t.Errorf("%s: no configuration, or one without settings: %v", p.Name, paths)
		case len(files) != 2 && p.Name == "neither", len(files) != 3 && p.Name != "neither":
			t.Errorf("%s: files %v", p.Name, paths)
		}
	}
}
