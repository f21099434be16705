package lint

import (
	"crypto/sha256"
	"fmt"
	"slices"
	"strconv"

	"github.com/mdeproxyc/mdeproxyc/endpoints"
	"github.com/mdeproxyc/mdeproxyc/internal/par"

	"github.com/mdeproxyc/mdeproxyc/diag"
	"github.com/mdeproxyc/mdeproxyc/model"
)

// profile is a resolved profile as the rules see it, with its settings table
// worked out once per vet run rather than once per rule (most rules read it).
type profile struct {
	*model.Profile
	table []model.Setting
	// proxies are the table's proxy settings in force (proxySettings).
	proxies []model.Setting
	run     *runCache
	// deviceKey identifies what the profile's devices do (deviceKey): all
	// the fleet rules see of a profile besides the model, the table being
	// dropped once the per-profile rules are done.
	deviceKey [sha256.Size]byte
	// silenced holds the rules the profile's lint.ignore silenced.
	silenced map[string]bool
}

// runCache holds what one vet run works out once for every profile: the
// verdicts on bypass entries, which most profiles of a fleet share.
type runCache struct {
	defender map[string]verdict
	bypassed map[bypassKey]verdict
}

// verdict is whether a bypass entry matches a destination, and which.
type verdict struct {
	host string
	ok   bool
}

// bypassKey is a bypass entry against one memoized destination list.
type bypassKey struct {
	dests *endpoints.Entry
	entry string
}

// defenderHostOf returns the well-known Defender endpoint a bypass entry
// matches, if any.
func (c *runCache) defenderHostOf(entry string) (string, bool) {
	if v, ok := c.defender[entry]; ok {
		return v.host, v.ok
	}
	var v verdict
	for _, h := range defenderHosts {
		if wildcardMatch(entry, h) {
			v = verdict{h, true}
			break
		}
	}
	c.defender[entry] = v
	return v.host, v.ok
}

// Run applies every rule to the profiles and returns the findings, sorted,
// minus those a profile silences with lint.ignore. It also reports ignores
// that name no rule, a rule that cannot be silenced, or silence nothing.
//
// The per-profile rules run profile by profile, on every core, each profile's
// settings table worked out once and dropped when its rules are done: held
// for every profile at once, the tables were most of a 100,000-profile
// build's peak memory (about 500 MB). Only what the fleet rules need stays.
func Run(models []*model.Profile) diag.List {
	profiles := make([]*profile, len(models))
	var perRule []*Rule
	for _, r := range Rules {
		if r.profile != nil {
			perRule = append(perRule, r)
		}
	}
	// The verdict caches are per worker: they are maps, and a fleet's
	// profiles share most bypass entries, so each worker soon has them all.
	caches := make([]*runCache, par.Workers(len(models)))
	outs := make([]diag.List, len(caches))
	par.Each(len(models), func(w, i int) {
		if caches[w] == nil {
			caches[w] = &runCache{defender: map[string]verdict{}, bypassed: map[bypassKey]verdict{}}
		}
		m := models[i]
		table := m.Table()
		p := &profile{Profile: m, table: table, proxies: proxySettings(table), run: caches[w]}
		for _, r := range perRule {
			for _, f := range r.profile(p) {
				if !p.ignores(r.ID) {
					outs[w] = append(outs[w], diagnostic(r, m, f))
				}
			}
		}
		profiles[i] = &profile{Profile: m, deviceKey: deviceKey(p), silenced: p.silenced}
	})
	var out diag.List
	for _, o := range outs {
		out = append(out, o...)
	}
	for _, r := range Rules {
		if r.fleet == nil {
			continue
		}
		for _, f := range r.fleet(profiles) {
			if !f.profile.ignores(r.ID) {
				out = append(out, diagnostic(r, f.profile.Profile, f.finding))
			}
		}
	}
	// An entry of defaults' lint.ignore is one entry, however many profiles
	// inherit it: it is reported once, and "silences nothing" only when its
	// rule fires in none of them.
	type fleetEntry struct {
		ig   model.LintIgnore
		used bool
	}
	var fleetOrder []model.Pos
	fleetEntries := map[model.Pos]*fleetEntry{}
	for _, p := range profiles {
		for _, ig := range p.LintIgnore {
			if ig.FromDefaults {
				e := fleetEntries[ig.Pos]
				if e == nil {
					e = &fleetEntry{ig: ig}
					fleetEntries[ig.Pos] = e
					fleetOrder = append(fleetOrder, ig.Pos)
				}
				e.used = e.used || p.silenced[ig.Rule]
				continue
			}
			path := model.SettingPath(p.Name, model.PathLintIgnore)
			if d, bad := checkIgnore(ig, path); bad {
				out = append(out, d)
			} else if !p.silenced[ig.Rule] {
				out = append(out, diag.Diagnostic{Pos: ig.Pos, Path: path, Severity: diag.Info, Msg: fmt.Sprintf("the ignore of %s silences nothing in this profile: remove it", ig.Rule)})
			}
		}
	}
	for _, pos := range fleetOrder {
		e := fleetEntries[pos]
		const path = "defaults.lint.ignore"
		if d, bad := checkIgnore(e.ig, path); bad {
			out = append(out, d)
		} else if !e.used {
			out = append(out, diag.Diagnostic{Pos: pos, Path: path, Severity: diag.Info, Msg: fmt.Sprintf("the fleet-wide ignore of %s silences nothing in any profile: remove it", e.ig.Rule)})
		}
	}
	return out.Sort()
}

// ignores reports whether the profile's lint.ignore silences rule, and
// records that it did.
func (p *profile) ignores(rule string) bool {
	for _, ig := range p.LintIgnore {
		if ig.Rule == rule {
			if p.silenced == nil {
				p.silenced = map[string]bool{}
			}
			p.silenced[rule] = true
			return true
		}
	}
	return false
}

// checkIgnore reports an ignore that names no rule, or a rule that is part of
// the grammar and cannot be silenced.
func checkIgnore(ig model.LintIgnore, path string) (diag.Diagnostic, bool) {
	switch r := Lookup(ig.Rule); {
	case r == nil:
		return diag.Diagnostic{Pos: ig.Pos, Path: path, Severity: diag.Error, Msg: fmt.Sprintf("no rule %s; `mdeproxyc vet --explain all` lists the rules", ig.Rule)}, true
	case r.Compile:
		return diag.Diagnostic{Pos: ig.Pos, Path: path, Severity: diag.Error, Msg: fmt.Sprintf("%s is part of the intent language's grammar and cannot be silenced", ig.Rule)}, true
	}
	return diag.Diagnostic{}, false
}

func diagnostic(r *Rule, p *model.Profile, f finding) diag.Diagnostic {
	pos := p.Pos
	if o, ok := p.Origins[f.setting]; ok && f.setting != "" {
		pos = o.Pos
	}
	if f.pos.IsValid() {
		pos = f.pos
	}
	return diag.Diagnostic{Pos: pos, Path: model.SettingPath(p.Name, f.setting), Severity: r.Severity, Rule: r.ID, Msg: f.msg}
}

// duplicateProfiles finds profiles whose settings, on every device, are the
// same as an earlier profile's.
func duplicateProfiles(ps []*profile) []fleetFinding {
	first := map[[sha256.Size]byte]*model.Profile{}
	var out []fleetFinding
	for _, p := range ps {
		key := p.deviceKey
		if q, dup := first[key]; dup {
			out = append(out, fleetFinding{profile: p, finding: finding{msg: fmt.Sprintf("profile %s resolves to the same settings as profile %s (at %s)", p.Name, q.Name, q.Pos)}})
			continue
		}
		first[key] = p.Profile
	}
	return out
}

// deviceKey is a digest of everything of a profile that changes what its
// devices do, read off the settings table: names and descriptions do not
// count. Two profiles have one key when they set the same (a SHA-256 of the
// text, so 100,000 profiles' keys take 3 MB, not 50).
func deviceKey(p *profile) [sha256.Size]byte {
	b := make([]byte, 0, 512)
	for _, s := range p.table {
		if s.Device && (s.Applies || s.Component == nil) {
			b = append(b, s.Path...)
			b = append(b, '=')
			b = strconv.AppendQuote(b, s.Text)
			b = append(b, '\n')
		}
	}
	return sha256.Sum256(b)
}

// Errors keeps the error-level findings, the ones that block a build.
func Errors(l diag.List) diag.List {
	return slices.DeleteFunc(slices.Clone(l), func(d diag.Diagnostic) bool { return d.Severity != diag.Error })
}
