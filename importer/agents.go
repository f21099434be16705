package importer

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"slices"
	"sort"
	"strconv"
	"strings"

	"howett.net/plist"

	"github.com/mdeproxyc/mdeproxyc/compile"
	"github.com/mdeproxyc/mdeproxyc/emitters/macos"
	"github.com/mdeproxyc/mdeproxyc/internal/intunegraph"
)

// readJSON reads mdatp_managed.json or an Intune custom configuration (a
// Graph windows10CustomConfiguration body).
func (r *reader) readJSON(in Input) error {
	var doc map[string]any
	dec := json.NewDecoder(bytes.NewReader(stripBOM(in.Data)))
	dec.UseNumber()
	if err := dec.Decode(&doc); err != nil {
		return fmt.Errorf("not JSON: %v", err)
	}
	if t, ok := doc["@odata.type"].(string); ok || doc["omaSettings"] != nil {
		if t != "" && !strings.EqualFold(t, "#microsoft.graph.windows10CustomConfiguration") {
			return fmt.Errorf("an Intune object of type %s; allowed: #microsoft.graph.windows10CustomConfiguration (windows/intune/custom-configuration.json)", strconv.Quote(t))
		}
		return r.readIntune(in, doc)
	}
	r.kinds["linux"] = true
	r.agentSettings(in.Name, "linux", keyLinuxProxy, doc, "")
	return nil
}

// agentSettings reads the proxy out of the settings of mdatp (Linux) or
// com.microsoft.wdav (macOS) and warns about every other setting.
func (r *reader) agentSettings(file, platform, key string, doc map[string]any, prefix string) {
	proxy := obs{From: origin{file, prefix + "cloudService.proxy"}}
	for _, k := range sortedKeys(doc) {
		v := doc[k]
		if k != "cloudService" {
			r.warnf(file, "not imported: %s%s (mdeproxyc manages only cloudService.proxy)", prefix, k)
			continue
		}
		cs, ok := v.(map[string]any)
		if !ok {
			r.warnf(file, "not imported: %scloudService is not a dictionary", prefix)
			continue
		}
		for _, ck := range sortedKeys(cs) {
			if ck != "proxy" {
				r.warnf(file, "not imported: %scloudService.%s (mdeproxyc manages only cloudService.proxy)", prefix, ck)
				continue
			}
			s, ok := cs[ck].(string)
			if !ok {
				r.warnf(file, "not imported: %scloudService.proxy is not a string", prefix)
				continue
			}
			proxy.Present, proxy.Value = true, s
		}
	}
	r.add(key, platform+" cloudService.proxy", proxy)
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// readIntune reads a Graph custom configuration body.
func (r *reader) readIntune(in Input, doc map[string]any) error {
	r.kinds["windows"], r.kinds["intune"] = true, true
	if s, ok := doc["displayName"].(string); ok {
		r.add(keyIntuneName, "the Intune display name", obs{Present: true, Value: s, From: origin{in.Name, "displayName"}})
	}
	if s, ok := doc["description"].(string); ok {
		desc := s
		if i := strings.LastIndex(s, "\n"+intunegraph.MarkerPrefix); i >= 0 {
			desc = s[:i]
			if name, ok := intunegraph.ProfileOf(s); ok {
				r.add(keyIntuneProfile, "the profile name", obs{Present: true, Value: name, From: origin{in.Name, "description"}})
			}
		}
		r.add(keyIntuneDesc, "the Intune description", obs{Present: true, Value: desc, From: origin{in.Name, "description"}})
	}
	list, _ := doc["omaSettings"].([]any)
	for i, item := range list {
		at := fmt.Sprintf("omaSettings[%d]", i)
		s, _ := item.(map[string]any)
		uri, _ := s["omaUri"].(string)
		e, ok := plan.byURI[strings.ToLower(uri)]
		if !ok {
			r.warnf(in.Name, "%s: not imported: OMA-URI %s (mdeproxyc manages only Defender's proxy settings)", at, strconv.Quote(uri))
			continue
		}
		o := obs{From: origin{in.Name, at + " " + e.Name}}
		switch v := s["value"].(type) {
		case json.Number:
			n, err := strconv.ParseUint(v.String(), 10, 32)
			if err != nil {
				r.warnf(in.Name, "%s: not imported: value %s of %s is not a DWORD", at, v.String(), e.Name)
				continue
			}
			o.Present, o.Type, o.Value = true, regDWord, strconv.FormatUint(n, 10)
		case string:
			enabled, id, value, ok := admxSetting(v)
			if !ok || enabled && !strings.EqualFold(id, e.Name) {
				r.warnf(in.Name, "%s: not imported: %s's value %s is not <enabled/><data id=%q value=\"…\"/> or <disabled/>", at, e.Name, strconv.Quote(short(v)), e.Name)
				continue
			}
			if !enabled {
				o.Type = uint32(e.Type)
				break
			}
			o.Present, o.Type, o.Value = true, regSZ, value
		default:
			r.warnf(in.Name, "%s: not imported: %s has no string or integer value", at, e.Name)
			continue
		}
		r.add(e.id(), e.Name, o)
	}
	for _, k := range sortedKeys(doc) {
		if !slices.Contains([]string{"@odata.type", "displayName", "description", "omaSettings", "id", "createdDateTime", "lastModifiedDateTime", "version", "roleScopeTagIds", "supportsScopeTags", "deviceManagementApplicabilityRuleOsEdition", "deviceManagementApplicabilityRuleOsVersion", "deviceManagementApplicabilityRuleDeviceMode"}, k) {
			r.warnf(in.Name, "not imported: %s", k)
		}
	}
	return nil
}

// admxSetting reads an ADMX-backed string setting's value: <enabled/> and
// one data element (its id and value, unescaped), or <disabled/>.
func admxSetting(v string) (enabled bool, id, value string, ok bool) {
	dec := xml.NewDecoder(strings.NewReader(v))
	var elems []xml.StartElement
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return false, "", "", false
		}
		switch t := tok.(type) {
		case xml.StartElement:
			elems = append(elems, t)
		case xml.CharData:
			if strings.TrimSpace(string(t)) != "" {
				return false, "", "", false
			}
		}
	}
	attr := func(e xml.StartElement, name string) string {
		for _, a := range e.Attr {
			if a.Name.Local == name {
				return a.Value
			}
		}
		return ""
	}
	switch {
	case len(elems) == 1 && elems[0].Name.Local == "disabled":
		return false, "", "", true
	case len(elems) == 2 && elems[0].Name.Local == "enabled" && elems[1].Name.Local == "data":
		return true, attr(elems[1], "id"), attr(elems[1], "value"), true
	}
	return false, "", "", false
}

// readPlist reads com.microsoft.wdav preferences: a plain plist, or a
// configuration profile (.mobileconfig) with a com.microsoft.wdav payload,
// the preferences inline or in the managed-preferences (MCX) form.
func (r *reader) readPlist(in Input) error {
	var doc map[string]any
	if _, err := plist.Unmarshal(in.Data, &doc); err != nil {
		return fmt.Errorf("not a property list: %v", err)
	}
	r.kinds["macos"] = true
	content, isProfile := doc["PayloadContent"].([]any)
	if !isProfile {
		r.agentSettings(in.Name, "macos", keyMacProxy, doc, "")
		return nil
	}
	str := func(k string) (string, bool) { s, ok := doc[k].(string); return s, ok }
	if s, ok := str("PayloadIdentifier"); ok {
		r.add(keyMacIdentifier, "the configuration profile's PayloadIdentifier", obs{Present: true, Value: s, From: origin{in.Name, "PayloadIdentifier"}})
	}
	for _, kv := range [][2]string{{"PayloadDisplayName", keyMacDisplayName}, {"PayloadDescription", keyMacDescription}, {"PayloadOrganization", keyMacOrg}} {
		k, key := kv[0], kv[1]
		if s, ok := str(k); ok {
			r.add(key, k, obs{Present: true, Value: s, From: origin{in.Name, k}})
		}
	}
	found := false
	for i, item := range content {
		p, _ := item.(map[string]any)
		prefix := fmt.Sprintf("PayloadContent[%d].", i)
		switch p["PayloadType"] {
		case macos.PreferenceDomain:
			prefs := map[string]any{}
			for k, v := range p {
				if !strings.HasPrefix(k, "Payload") {
					prefs[k] = v
				}
			}
			found = true
			r.agentSettings(in.Name, "macos", keyMacProxy, prefs, prefix)
			if s, ok := p["PayloadIdentifier"].(string); ok {
				if id, ok := str("PayloadIdentifier"); ok && s != id+compile.MacOSInnerSuffix {
					r.notes = append(r.notes, fmt.Sprintf("%s: the com.microsoft.wdav payload's identifier %s becomes %s", in.Name, strconv.Quote(s), strconv.Quote(id+compile.MacOSInnerSuffix)))
				}
			}
		case "com.apple.ManagedClient.preferences":
			pc, _ := p["PayloadContent"].(map[string]any)
			wdav, _ := pc[macos.PreferenceDomain].(map[string]any)
			forced, _ := wdav["Forced"].([]any)
			if len(forced) == 0 {
				r.warnf(in.Name, "%snot imported: a managed-preferences payload without com.microsoft.wdav Forced settings", prefix)
				continue
			}
			for j, f := range forced {
				fm, _ := f.(map[string]any)
				prefs, _ := fm["mcx_preference_settings"].(map[string]any)
				found = true
				r.agentSettings(in.Name, "macos", keyMacProxy, prefs, fmt.Sprintf("%sForced[%d].mcx_preference_settings.", prefix, j))
			}
		default:
			r.warnf(in.Name, "%snot imported: a payload of type %s", prefix, strconv.Quote(fmt.Sprint(p["PayloadType"])))
		}
	}
	if !found {
		return fmt.Errorf("a configuration profile without a %s payload", macos.PreferenceDomain)
	}
	return nil
}
