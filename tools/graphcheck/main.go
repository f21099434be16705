// Command graphcheck deserialises Intune request bodies with Microsoft's own
// Graph SDK models (msgraph-sdk-go) and prints, as JSON, what the SDK read:
// the object's type and names, every OMA setting with its derived type and
// value, and any property the models do not know (additional data), which the
// SDK silently keeps and mdeproxyc's tests treat as an error.
//
// It is its own Go module so that the SDK's large models package (minutes and
// gigabytes to compile) stays out of the main module's tests; .ci/run builds it.
//
// Usage: graphcheck FILE...
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"sort"

	jsonserialization "github.com/microsoft/kiota-serialization-json-go"
	"github.com/microsoftgraph/msgraph-sdk-go/models"
)

// Setting is one OMA setting as the SDK read it.
type Setting struct {
	ODataType   string   `json:"odataType"`
	DisplayName string   `json:"displayName"`
	Description string   `json:"description"`
	OmaURI      string   `json:"omaUri"`
	Kind        string   `json:"kind"`
	String      *string  `json:"string,omitempty"`
	Integer     *int32   `json:"integer,omitempty"`
	Boolean     *bool    `json:"boolean,omitempty"`
	Unknown     []string `json:"additionalData,omitempty"`
}

// Result is what the SDK read from one file.
type Result struct {
	File        string    `json:"file"`
	Error       string    `json:"error,omitempty"`
	ODataType   string    `json:"odataType"`
	Windows10   bool      `json:"windows10CustomConfiguration"`
	DisplayName string    `json:"displayName"`
	Description string    `json:"description"`
	Settings    []Setting `json:"omaSettings"`
	Unknown     []string  `json:"additionalData,omitempty"`
}

func str(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

func keys(m map[string]any) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func check(file string) Result {
	r := Result{File: file}
	data, err := os.ReadFile(file)
	if err != nil {
		r.Error = err.Error()
		return r
	}
	node, err := jsonserialization.NewJsonParseNodeFactory().GetRootParseNode("application/json", data)
	if err != nil {
		r.Error = "parse: " + err.Error()
		return r
	}
	v, err := node.GetObjectValue(models.CreateDeviceConfigurationFromDiscriminatorValue)
	if err != nil {
		r.Error = "deserialise: " + err.Error()
		return r
	}
	dc, ok := v.(models.DeviceConfigurationable)
	if !ok {
		r.Error = fmt.Sprintf("not a deviceConfiguration: %T", v)
		return r
	}
	r.ODataType = str(dc.GetOdataType())
	r.DisplayName = str(dc.GetDisplayName())
	r.Description = str(dc.GetDescription())
	r.Unknown = keys(dc.GetAdditionalData())
	w, ok := v.(models.Windows10CustomConfigurationable)
	if !ok {
		return r
	}
	r.Windows10 = true
	for _, s := range w.GetOmaSettings() {
		st := Setting{
			ODataType:   str(s.GetOdataType()),
			DisplayName: str(s.GetDisplayName()),
			Description: str(s.GetDescription()),
			OmaURI:      str(s.GetOmaUri()),
			Unknown:     keys(s.GetAdditionalData()),
		}
		switch x := s.(type) {
		case models.OmaSettingStringable:
			st.Kind, st.String = "string", x.GetValue()
		case models.OmaSettingIntegerable:
			st.Kind, st.Integer = "integer", x.GetValue()
		case models.OmaSettingBooleanable:
			st.Kind, st.Boolean = "boolean", x.GetValue()
		default:
			st.Kind = fmt.Sprintf("other %T", s)
		}
		r.Settings = append(r.Settings, st)
	}
	return r
}

func main() {
	var results []Result
	for _, f := range os.Args[1:] {
		results = append(results, check(f))
	}
	if err := json.NewEncoder(os.Stdout).Encode(results); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
