package compile

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/mdeproxyc/mdeproxyc/diag"
	"github.com/mdeproxyc/mdeproxyc/model"
)

// MacOSInnerSuffix is appended to a profile's macOS identifier to name the
// com.microsoft.wdav payload inside its configuration profile (the macos
// emitter does so; a test in cmd/mdeproxyc keeps the two in step).
const MacOSInnerSuffix = ".wdav"

// checkMacOSIdentifiers reports two profiles whose configuration profiles
// share a PayloadIdentifier (and so a PayloadUUID, derived from it), outer or
// inner: a Mac keeps one profile or payload per identifier, so one would
// replace the other.
func checkMacOSIdentifiers(profiles []*model.Profile) diag.List {
	type use struct {
		p     *model.Profile
		inner bool
	}
	byID := map[string][]use{}
	for _, p := range profiles {
		if p.Targets(model.MacOS) {
			byID[p.MacOS.Identifier] = append(byID[p.MacOS.Identifier], use{p, false})
			inner := p.MacOS.Identifier + MacOSInnerSuffix
			byID[inner] = append(byID[inner], use{p, true})
		}
	}
	ids := make([]string, 0, len(byID))
	for id, us := range byID {
		// Two inner identifiers only meet when the outer ones do: that is
		// reported once, for the outer.
		if len(us) > 1 && slices.ContainsFunc(us, func(u use) bool { return !u.inner }) {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	var diags diag.List
	for _, id := range ids {
		us := byID[id]
		for _, u := range us {
			var others []string
			for _, o := range us {
				if o.p != u.p {
					others = append(others, o.p.Name)
				}
			}
			what := fmt.Sprintf("macOS identifier %q", id)
			if u.inner {
				what = fmt.Sprintf("macOS identifier %q gives the inner payload identifier %q, which", u.p.MacOS.Identifier, id)
			}
			diags = append(diags, diag.Diagnostic{Pos: originPos(u.p, "macos.identifier"), Path: model.SettingPath(u.p.Name, "macos.identifier"), Severity: diag.Error, Rule: diag.RuleDuplicateIdentifier,
				Msg: fmt.Sprintf("%s is also used by %s; allowed: an identifier unique to each profile, its inner payload's (identifier%s) too (a Mac keeps one profile per identifier)", what, strings.Join(slices.Compact(others), ", "), MacOSInnerSuffix)})
		}
	}
	return diags
}

// uniqueNames are the Windows objects a profile creates by name: two profiles
// with one name would update each other's object (Graph lists objects by
// display name; Active Directory and ConfigMgr compare names without case).
var uniqueNames = []struct {
	path model.Path
	what string
}{
	{model.PathIntuneDisplayName, "Intune display name"},
	{model.PathGPOName, "Group Policy object name"},
	{model.PathConfigMgrAppName, "ConfigMgr application name"},
}

// checkUniqueNames reports Windows object names (Intune objects, the dedicated
// GPO, the ConfigMgr application) that two profiles share, ignoring case.
func checkUniqueNames(profiles []*model.Profile) diag.List {
	var diags diag.List
	for _, u := range uniqueNames {
		byName := map[string][]*model.Profile{}
		for _, p := range profiles {
			if s := p.Get(u.path); s.Applies {
				k := strings.ToLower(strings.TrimSpace(s.Text))
				byName[k] = append(byName[k], p)
			}
		}
		for _, ps := range byName {
			if len(ps) < 2 {
				continue
			}
			for _, p := range ps {
				var others []string
				for _, o := range ps {
					if o != p {
						others = append(others, o.Name)
					}
				}
				diags = append(diags, diag.Diagnostic{Pos: originPos(p, u.path), Path: model.SettingPath(p.Name, u.path), Severity: diag.Error,
					Msg: fmt.Sprintf("%s %q is also used by %s (ignoring case); allowed: a name unique to each profile", u.what, p.Get(u.path).Text, strings.Join(others, ", "))})
			}
		}
	}
	return diags
}

// originPos is where a setting is written, or the profile's label when it is
// derived.
func originPos(p *model.Profile, setting model.Path) model.Pos {
	if o, ok := p.Origins[setting]; ok && o.Pos.IsValid() {
		return o.Pos
	}
	return p.Pos
}
