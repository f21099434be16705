// Package macos writes the macOS artifacts of a profile: the com.microsoft.wdav
// preference plist for Jamf "Application & Custom Settings", and a
// configuration profile (.mobileconfig) carrying the same preferences.
package macos

import (
	_ "embed"
	"encoding/xml"
	"strconv"
	"strings"

	"github.com/google/uuid"

	"github.com/mdeproxyc/mdeproxyc/emitters"
	"github.com/mdeproxyc/mdeproxyc/internal/textfile"
	"github.com/mdeproxyc/mdeproxyc/model"
)

// The files this emitter writes, relative to a profile's folder.
const (
	PlistPath        = "macos/com.microsoft.wdav.plist"
	MobileconfigPath = "macos/com.microsoft.wdav.mobileconfig"
	PreferenceDomain = "com.microsoft.wdav"
	// innerIdentifierOf is appended to the profile's identifier to name the
	// inner payload.
	innerIdentifierOf = ".wdav"
)

// Namespace is the UUIDv5 namespace of mdeproxyc's configuration profiles:
// UUIDv5 of the URL namespace and the project's address. PayloadUUIDs derive from
// it and the PayloadIdentifier, so they are stable across builds and unique per
// profile, never random.
var Namespace = uuid.NewSHA1(uuid.NameSpaceURL, []byte("https://github.com/mdeproxyc/mdeproxyc"))

// Emitter is the macOS emitter.
type Emitter struct{}

// Name implements emitters.Emitter.
func (Emitter) Name() string { return "macos" }

// Summary implements emitters.Emitter.
func (Emitter) Summary() string {
	return "macos/com.microsoft.wdav.plist and .mobileconfig: the wdav proxy preference for Jamf or Intune"
}

// Emit implements emitters.Emitter.
func (Emitter) Emit(p *emitters.Profile) ([]emitters.File, error) {
	if !p.Targets(model.MacOS) {
		return nil, nil
	}
	return []emitters.File{
		{Path: PlistPath, Data: Plist(p.Profile), Summary: "`com.microsoft.wdav` preferences (XML plist) for Jamf Application & Custom Settings"},
		{Path: MobileconfigPath, Data: Mobileconfig(p.Profile), Summary: "configuration profile with the same preferences (unsigned); upload to Jamf or Intune"},
	}, nil
}

// UUIDs returns the outer and inner PayloadUUIDs of a profile: UUIDv5 of its
// identifier, uppercase.
func UUIDs(p *model.Profile) (outer, inner string) {
	id := p.MacOS.Identifier
	return strings.ToUpper(uuid.NewSHA1(Namespace, []byte(id)).String()),
		strings.ToUpper(uuid.NewSHA1(Namespace, []byte(id+innerIdentifierOf)).String())
}

// InnerIdentifier is the PayloadIdentifier of the com.microsoft.wdav payload.
func InnerIdentifier(p *model.Profile) string { return p.MacOS.Identifier + innerIdentifierOf }

// plist is a tiny writer of XML property lists with tab indentation, the way
// Apple's tools write them; every string goes through XML escaping.
type plist struct {
	b     strings.Builder
	depth int
}

const header = `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
`

func (w *plist) line(s string) {
	w.b.WriteString(strings.Repeat("\t", w.depth))
	w.b.WriteString(s)
	w.b.WriteByte('\n')
}

func esc(s string) string {
	var b strings.Builder
	xml.EscapeText(&b, []byte(s))
	return b.String()
}

func (w *plist) key(k string)    { w.line("<key>" + esc(k) + "</key>") }
func (w *plist) str(k, v string) { w.key(k); w.line("<string>" + esc(v) + "</string>") }
func (w *plist) integer(k string, v int) {
	w.key(k)
	w.line("<integer>" + strconv.Itoa(v) + "</integer>")
}
func (w *plist) boolean(k string, v bool) {
	w.key(k)
	if v {
		w.line("<true/>")
	} else {
		w.line("<false/>")
	}
}
func (w *plist) open(tag string)  { w.line("<" + tag + ">"); w.depth++ }
func (w *plist) close(tag string) { w.depth--; w.line("</" + tag + ">") }

// preferences writes the com.microsoft.wdav keys: cloudService.proxy, or
// nothing when the profile sets no proxy (the agent then uses the system proxy:
// PAC, WPAD or manual). An empty cloudService would replace the one of a
// tenant's existing com.microsoft.wdav profile, since profiles setting the
// same top-level key do not merge (docs/windows.md).
func (w *plist) preferences(p *model.Profile) {
	if p.MacOS.Proxy == "" {
		return
	}
	w.key("cloudService")
	w.open("dict")
	w.str("proxy", p.MacOS.Proxy)
	w.close("dict")
}

// Plist renders the preference domain plist: the keys at top level.
func Plist(p *model.Profile) []byte {
	w := &plist{}
	w.b.WriteString(header)
	w.open("dict")
	w.preferences(p)
	w.close("dict")
	w.b.WriteString("</plist>\n")
	return []byte(w.b.String())
}

// Mobileconfig renders the configuration profile: an outer Configuration
// payload holding one com.microsoft.wdav payload with the preferences inline.
// Keys are in alphabetical order, as Apple's tools write them.
func Mobileconfig(p *model.Profile) []byte {
	outer, inner := UUIDs(p)
	w := &plist{}
	w.b.WriteString(header)
	w.open("dict")
	w.key("PayloadContent")
	w.open("array")
	w.open("dict")
	w.str("PayloadDescription", "Microsoft Defender for Endpoint proxy preferences (com.microsoft.wdav)")
	w.str("PayloadDisplayName", "Microsoft Defender proxy")
	w.boolean("PayloadEnabled", true)
	w.str("PayloadIdentifier", InnerIdentifier(p))
	w.str("PayloadType", PreferenceDomain)
	w.str("PayloadUUID", inner)
	w.integer("PayloadVersion", 1)
	w.preferences(p)
	w.close("dict")
	w.close("array")
	w.str("PayloadDescription", p.Intune.Description)
	w.str("PayloadDisplayName", p.Intune.DisplayName)
	w.str("PayloadIdentifier", p.MacOS.Identifier)
	if p.Organization != "" {
		w.str("PayloadOrganization", p.Organization)
	}
	w.str("PayloadScope", "System")
	w.str("PayloadType", "Configuration")
	w.str("PayloadUUID", outer)
	w.integer("PayloadVersion", 1)
	w.close("dict")
	w.b.WriteString("</plist>\n")
	return []byte(w.b.String())
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
	if !p.Targets(model.MacOS) {
		return nil
	}
	out := []emitters.Location{
		{Setting: model.PathMacOSIdentifier, File: MobileconfigPath, Kind: "plist", Where: "PayloadIdentifier", Value: p.MacOS.Identifier},
		{Setting: model.PathIntuneDisplayName, File: MobileconfigPath, Kind: "plist", Where: "PayloadDisplayName", Value: p.Intune.DisplayName},
	}
	if p.MacOS.Proxy != "" {
		out = append(out,
			emitters.Location{Setting: model.PathMacOSProxy, File: PlistPath, Kind: "plist", Where: "cloudService.proxy", Value: p.MacOS.Proxy},
			emitters.Location{Setting: model.PathMacOSProxy, File: MobileconfigPath, Kind: "plist", Where: "PayloadContent.0.cloudService.proxy", Value: p.MacOS.Proxy})
	}
	return out
}
