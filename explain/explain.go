// Package explain answers the reviewer's question about one profile: for each
// effective setting, its value (or that it is not managed: a disabled
// component, a platform not targeted), where that value was written (the
// profile, defaults, or a built-in default), and every artifact location that
// carries it.
package explain

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/mdeproxyc/mdeproxyc/emitters"
	"github.com/mdeproxyc/mdeproxyc/model"
)

// Row is one setting of the explanation.
type Row struct {
	Setting string `json:"setting"`
	// Value is the value as one line of text.
	Value string `json:"-"`
	// List is the value of a list setting (platforms, bypass lists); JSON
	// gives it as an array, where Value joins it.
	List []string `json:"-"`
	// Source is "profile", "defaults" or "built-in default".
	Source string `json:"source"`
	// Origin is file:line:col of the value, when it was written somewhere.
	Origin string `json:"origin,omitempty"`
	// Via names the setting the value was derived from ("proxy").
	Via string `json:"via,omitempty"`
	// NotManaged, when set, says why the setting is not in force: the
	// profile does not target its platform, or does not manage its
	// component ("windows.winhttp.enabled is false"). No artifact then
	// carries the value, whatever it is.
	NotManaged string              `json:"notManaged,omitempty"`
	Carried    []emitters.Location `json:"carriedBy"`
}

// MarshalJSON writes the value as a string, or as an array for a list.
func (r Row) MarshalJSON() ([]byte, error) {
	var value any = r.Value
	if r.List != nil {
		value = r.List
	}
	return json.Marshal(struct {
		Setting    string              `json:"setting"`
		Value      any                 `json:"value"`
		Source     string              `json:"source"`
		Origin     string              `json:"origin,omitempty"`
		Via        string              `json:"via,omitempty"`
		NotManaged string              `json:"notManaged,omitempty"`
		Carried    []emitters.Location `json:"carriedBy"`
	}{r.Setting, value, r.Source, r.Origin, r.Via, r.NotManaged, r.Carried})
}

// listSep joins a list value for display: platforms read as words, bypass
// lists as Windows writes them.
var listSep = map[model.Kind]string{model.KindEnumList: ", ", model.KindBypassList: ";", model.KindTargetList: ", ", model.KindDNList: "; ", model.KindScopeTags: ", "}

// Profile explains one profile with the given emitters' locations.
func Profile(p *model.Profile, list []emitters.Emitter) []Row {
	var locs []emitters.Location
	ep := emitters.NewProfile(p)
	for _, e := range list {
		if l, ok := e.(emitters.Locator); ok {
			locs = append(locs, l.Locate(ep)...)
		}
	}
	var rows []Row
	for _, s := range p.Table() {
		value := s.Text
		if s.IsList() {
			value = strings.Join(s.List, listSep[s.Kind])
		}
		r := Row{Setting: string(s.Path), Value: value, Source: "built-in default", NotManaged: notManaged(p, s), Carried: []emitters.Location{}}
		if s.IsList() {
			r.List = append([]string{}, s.List...)
		}
		if s.Written {
			o := s.Origin
			r.Source, r.Origin, r.Via = "profile", o.Pos.String(), string(o.Via)
			if o.FromDefaults {
				r.Source = "defaults"
			}
		}
		for _, l := range locs {
			if l.Setting == s.Path {
				r.Carried = append(r.Carried, l)
			}
		}
		rows = append(rows, r)
	}
	return rows
}

// notManaged says why a setting is not in force for the profile, and is empty
// when it is: the platform is not targeted, or the component's switch is off.
func notManaged(p *model.Profile, s model.Setting) string {
	c := s.Component
	if s.Applies || c == nil {
		return ""
	}
	if !p.Targets(c.Platform) {
		return "the profile does not target " + string(c.Platform)
	}
	for _, d := range model.Settings {
		if d.Switch && d.Component == c {
			return string(d.Path) + " is false"
		}
	}
	return "the profile does not manage it"
}

// WriteText prints the rows as blocks, one a setting. A setting not in force
// is marked "not managed", its value given as what it would be, never as one
// that reaches a device.
func WriteText(w io.Writer, profile string, rows []Row) {
	fmt.Fprintf(w, "profile %s\n", profile)
	for _, r := range rows {
		value := r.Value
		if value == "" {
			value = "(none)"
		}
		if r.NotManaged != "" {
			fmt.Fprintf(w, "\n%s: not managed (%s)\n  value if managed: %s\n", r.Setting, r.NotManaged, value)
		} else {
			fmt.Fprintf(w, "\n%s = %s\n", r.Setting, value)
		}
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
