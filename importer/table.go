package importer

import (
	"strings"

	"github.com/mdeproxyc/mdeproxyc/emitters"
	"github.com/mdeproxyc/mdeproxyc/emitters/intune"
	"github.com/mdeproxyc/mdeproxyc/model"
	"github.com/mdeproxyc/mdeproxyc/regplan"
)

// regEntry is one registry value the plan manages: where it lives, its type
// and the intent setting it carries.
type regEntry struct {
	Key, Name string
	Type      regplan.Type
	Setting   model.Path
}

// id is how observations of the value are keyed: registry keys and value
// names are case-insensitive.
func (e regEntry) id() string { return regID(e.Key, e.Name) }

func regID(key, name string) string {
	return "reg:" + strings.ToLower(key) + `\` + strings.ToLower(name)
}

// table is the registry plan's vocabulary, derived from the plan itself (no
// second list of value names): every value the plan can set, and the Intune
// OMA-URI that carries each value the custom configuration sends.
type table struct {
	entries   []regEntry
	bySetting map[model.Path]regEntry
	byID      map[string]regEntry
	// byURI maps an OMA-URI (lower case) to the registry value it sets.
	byURI map[string]regEntry
}

// reference is a profile that makes the plan set every value it manages.
func reference() *model.Profile {
	return &model.Profile{
		Name:      "reference",
		Mode:      model.ModeStatic,
		Platforms: []model.Platform{model.Windows},
		EDR:       model.EDR{Enabled: true, Proxy: "proxy.invalid:1", PreferStaticProxy: true},
		Antivirus: model.Antivirus{Enabled: true, ProxyServer: "http://proxy.invalid:1", PacURL: "http://pac.invalid/p.pac",
			Bypass: []string{"bypass.invalid"}, DisableRevocationChecks: true},
		Intune: model.Intune{Enabled: true, DisplayName: "reference", Description: "reference"},
	}
}

func newTable() *table {
	t := &table{bySetting: map[model.Path]regEntry{}, byID: map[string]regEntry{}, byURI: map[string]regEntry{}}
	ref := reference()
	for _, o := range regplan.For(ref).Ops {
		e := regEntry{Key: o.Key, Name: o.Name, Type: o.Type, Setting: o.Setting}
		t.entries = append(t.entries, e)
		t.bySetting[e.Setting] = e
		t.byID[e.id()] = e
	}
	// The custom configuration names each value by the last segment of its
	// OMA-URI: the ADMX text element's id is the value's name
	// (docs/formats.md §2, §5), and the System policy is named after it.
	for _, s := range intune.BuildConfiguration(emitters.NewProfile(ref)).OmaSettings {
		last := s.OmaURI[strings.LastIndex(s.OmaURI, "/")+1:]
		for _, e := range t.entries {
			if strings.EqualFold(e.Name, last) {
				t.byURI[strings.ToLower(s.OmaURI)] = e
			}
		}
	}
	return t
}

// plan is the table, computed once.
var plan = newTable()
