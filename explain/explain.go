// Package explain answers the reviewer's question about one profile: for each
// effective setting, its value, where that value was written (the profile,
// defaults, or a built-in default), and every artifact location that carries it.
package explain

import (
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/mdeproxyc/mdeproxyc/emitters"
	"github.com/mdeproxyc/mdeproxyc/model"
)

// Row is one setting of the explanation.
type Row struct {
	Setting string `json:"setting"`
	Value   string `json:"value"`
	// Source is "profile", "defaults" or "built-in default".
	Source string `json:"source"`
	// Origin is file:line:col of the value, when it was written somewhere.
	Origin string `json:"origin,omitempty"`
	// Via names the setting the value was derived from ("proxy").
	Via     string              `json:"via,omitempty"`
	Carried []emitters.Location `json:"carriedBy"`
}

// settings lists the effective settings in the order of the intent language.
var settings = []struct {
	path  string
	value func(p *model.Profile) string
}{
	{"description", func(p *model.Profile) string { return p.Description }},
	{"organization", func(p *model.Profile) string { return p.Organization }},
	{"mode", func(p *model.Profile) string { return string(p.Mode) }},
	{"platforms", func(p *model.Profile) string {
		var s []string
		for _, pl := range p.Platforms {
			s = append(s, string(pl))
		}
		return strings.Join(s, ", ")
	}},
	{"offline", func(p *model.Profile) string { return strconv.FormatBool(p.Offline) }},
	{"windows.edr.enabled", func(p *model.Profile) string { return strconv.FormatBool(p.EDR.Enabled) }},
	{"windows.edr.proxy", func(p *model.Profile) string { return p.EDR.Proxy }},
	{"windows.edr.preferStaticProxy", func(p *model.Profile) string { return strconv.FormatBool(p.EDR.PreferStaticProxy) }},
	{"windows.antivirus.enabled", func(p *model.Profile) string { return strconv.FormatBool(p.Antivirus.Enabled) }},
	{"windows.antivirus.proxy", func(p *model.Profile) string { return p.Antivirus.ProxyServer }},
	{"windows.antivirus.pac", func(p *model.Profile) string { return p.Antivirus.PacURL }},
	{"windows.antivirus.bypass", func(p *model.Profile) string { return strings.Join(p.Antivirus.Bypass, ";") }},
	{"windows.antivirus.disableRevocationChecks", func(p *model.Profile) string { return strconv.FormatBool(p.Antivirus.DisableRevocationChecks) }},
	{"windows.winhttp.enabled", func(p *model.Profile) string { return strconv.FormatBool(p.WinHTTP.Enabled) }},
	{"windows.winhttp.proxy", func(p *model.Profile) string { return p.WinHTTP.Proxy }},
	{"windows.winhttp.bypass", func(p *model.Profile) string { return strings.Join(p.WinHTTP.Bypass, ";") }},
	{"windows.mma.enabled", func(p *model.Profile) string { return strconv.FormatBool(p.MMA.Enabled) }},
	{"linux.proxy", func(p *model.Profile) string { return p.Linux.Proxy }},
	{"macos.proxy", func(p *model.Profile) string { return p.MacOS.Proxy }},
	{"macos.identifier", func(p *model.Profile) string { return p.MacOS.Identifier }},
	{"intune.displayName", func(p *model.Profile) string { return p.Intune.DisplayName }},
	{"intune.description", func(p *model.Profile) string { return p.Intune.Description }},
}

// Profile explains one profile with the given emitters' locations.
func Profile(p *model.Profile, list []emitters.Emitter) []Row {
	var locs []emitters.Location
	for _, e := range list {
		if l, ok := e.(emitters.Locator); ok {
			locs = append(locs, l.Locate(p)...)
		}
	}
	var rows []Row
	for _, s := range settings {
		r := Row{Setting: s.path, Value: s.value(p), Source: "built-in default", Carried: []emitters.Location{}}
		if o, ok := p.Origins[s.path]; ok {
			r.Source, r.Origin, r.Via = "profile", o.Pos.String(), o.Via
			if o.FromDefaults {
				r.Source = "defaults"
			}
		}
		for _, l := range locs {
			if l.Setting == s.path {
				r.Carried = append(r.Carried, l)
			}
		}
		rows = append(rows, r)
	}
	return rows
}

// WriteText prints the rows as blocks, one a setting.
func WriteText(w io.Writer, profile string, rows []Row) {
	fmt.Fprintf(w, "profile %s\n", profile)
	for _, r := range rows {
		value := r.Value
		if value == "" {
			value = "(none)"
		}
		fmt.Fprintf(w, "\n%s = %s\n", r.Setting, value)
		from := r.Source
		if r.Origin != "" {
			from += ", " + r.Origin
		}
		if r.Via != "" {
			from += " (derived from " + r.Via + ")"
		}
		fmt.Fprintf(w, "  from: %s\n", from)
		for i, l := range r.Carried {
			label := "  in:  "
			if i > 0 {
				label = "       "
			}
			what := l.Where
			if l.Deletes {
				what += " (removed)"
			}
			fmt.Fprintf(w, "%s %-44s %s\n", label, l.File, what)
		}
	}
}
