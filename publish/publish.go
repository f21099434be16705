// Package publish makes Intune match a compiled fleet: for every profile that
// targets Windows, the custom configuration, the platform script and the
// remediation the intune emitter writes, sent to Microsoft Graph byte for
// byte, and assigned to the groups of the intent. Objects are found again by
// the marker line of their description (intune.Marker), never by display
// name; docs/intune-publish.md has the Graph contract it follows.
package publish

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/mdeproxyc/mdeproxyc/emitters"
	"github.com/mdeproxyc/mdeproxyc/emitters/intune"
	"github.com/mdeproxyc/mdeproxyc/model"
)

// Options say what Run may change.
type Options struct {
	// DryRun plans without writing anything.
	DryRun bool
	// Prune deletes marked objects whose profile is no longer in the fleet.
	Prune bool
}

// The actions of a plan.
const (
	ActionCreate    = "create"
	ActionUpdate    = "update"
	ActionUnchanged = "unchanged"
	ActionOrphaned  = "orphaned"
	ActionDelete    = "delete"
)

// Item is one object of the plan and what was done with it.
type Item struct {
	Profile     string `json:"profile"`
	Object      string `json:"object"`
	Action      string `json:"action"`
	ID          string `json:"id,omitempty"`
	DisplayName string `json:"displayName"`
	// Changed names the properties that differ ("description",
	// "omaSettings[0].value") and "assignments" when those do.
	Changed []string `json:"changed,omitempty"`
	// Assignments are the targets the object is assigned to after the run.
	Assignments []string `json:"assignments,omitempty"`
	// Error is set when the object could not be planned or written.
	Error string `json:"error,omitempty"`
	// Done is set when the writes the action needs were made.
	Done bool `json:"done"`
}

// Result is the plan of a run, in a stable order: the fleet's profiles by
// name, each profile's objects in publishing order, then orphans.
type Result struct {
	DryRun bool   `json:"dryRun"`
	Items  []Item `json:"items"`
}

// Failed reports whether any object failed.
func (r *Result) Failed() bool {
	return slices.ContainsFunc(r.Items, func(it Item) bool { return it.Error != "" })
}

// remote is a marked object found in the tenant.
type remote struct {
	kind    *kind
	profile string
	id      string
	name    string
}

// Run plans and, unless opt.DryRun, applies. An error is returned only when
// nothing could be planned (the tenant's objects could not be listed); a
// failure on one object is recorded in its Item and the others proceed.
func Run(ctx context.Context, c *Client, profiles []*model.Profile, opt Options) (*Result, error) {
	found := map[*kind]map[string][]remote{}
	for _, k := range kinds {
		objs, err := c.List(ctx, k.Collection)
		if err != nil {
			return nil, fmt.Errorf("listing the %ss: %w", k.Name, err)
		}
		found[k] = map[string][]remote{}
		for _, o := range objs {
			// A collection of device configurations holds every type; only
			// ours, carrying our marker, are considered.
			// Lists of a type without subtypes may leave @odata.type out.
			if t := str(o, "@odata.type"); t != "" && normType(t) != k.ODataType {
				continue
			}
			name, ok := intune.ProfileOf(str(o, "description"))
			if !ok {
				continue
			}
			found[k][name] = append(found[k][name], remote{kind: k, profile: name, id: str(o, "id"), name: str(o, "displayName")})
		}
		for _, l := range found[k] {
			sort.Slice(l, func(i, j int) bool { return l[i].id < l[j].id })
		}
	}

	res := &Result{DryRun: opt.DryRun}
	ps := slices.Clone(profiles)
	sort.Slice(ps, func(i, j int) bool { return ps[i].Name < ps[j].Name })
	wanted := map[*kind]map[string]bool{}
	for _, k := range kinds {
		wanted[k] = map[string]bool{}
	}
	for _, p := range ps {
		bodies, err := renderBodies(p)
		if err != nil {
			res.Items = append(res.Items, Item{Profile: p.Name, Object: "all", Action: ActionCreate, Error: err.Error()})
			continue
		}
		for _, k := range kinds {
			body, ok := bodies[k.File]
			if !ok {
				continue
			}
			wanted[k][p.Name] = true
			var existing *remote
			if l := found[k][p.Name]; len(l) > 0 {
				existing = &l[0]
			}
			res.Items = append(res.Items, publishOne(ctx, c, p, k, body, existing, opt))
		}
	}

	// Objects carrying our marker that no profile wants any more, and
	// duplicates of wanted ones (the second and later with one marker).
	var orphans []remote
	for _, k := range kinds {
		for name, l := range found[k] {
			if wanted[k][name] {
				l = l[1:]
			}
			orphans = append(orphans, l...)
		}
	}
	sort.Slice(orphans, func(i, j int) bool {
		a, b := orphans[i], orphans[j]
		if a.profile != b.profile {
			return a.profile < b.profile
		}
		if a.kind != b.kind {
			return slices.Index(kinds, a.kind) < slices.Index(kinds, b.kind)
		}
		return a.id < b.id
	})
	for _, o := range orphans {
		it := Item{Profile: o.profile, Object: o.kind.Name, Action: ActionOrphaned, ID: o.id, DisplayName: o.name}
		if opt.Prune {
			it.Action = ActionDelete
			if !opt.DryRun {
				if err := c.Do(ctx, http.MethodDelete, o.kind.Collection+"/"+pathEscape(o.id), nil, nil); err != nil {
					it.Error = describe(o.profile, o.kind, o.name, o.id, err)
				} else {
					it.Done = true
				}
			}
		}
		res.Items = append(res.Items, it)
	}
	return res, nil
}

// renderBodies is exactly what `build` writes for the profile's Intune
// objects: the same compile result through the same emitter.
func renderBodies(p *model.Profile) (map[string][]byte, error) {
	files, err := intune.Emitter{}.Emit(emitters.NewProfile(p))
	if err != nil {
		return nil, err
	}
	out := map[string][]byte{}
	for _, f := range files {
		out[f.Path] = f.Data
	}
	return out, nil
}

// publishOne plans one object and, unless a dry run, writes it.
func publishOne(ctx context.Context, c *Client, p *model.Profile, k *kind, body []byte, existing *remote, opt Options) Item {
	var want map[string]any
	if err := json.Unmarshal(body, &want); err != nil {
		return Item{Profile: p.Name, Object: k.Name, Error: fmt.Sprintf("%s: %s: the emitter's body is not JSON: %v", p.Name, k.Name, err)}
	}
	it := Item{Profile: p.Name, Object: k.Name, DisplayName: str(want, "displayName")}
	ts := targets(p)
	for _, t := range ts {
		it.Assignments = append(it.Assignments, t.String())
	}
	fail := func(id string, err error) Item {
		it.Error = describe(p.Name, k, it.DisplayName, id, err)
		return it
	}

	if existing == nil {
		it.Action = ActionCreate
		if len(ts) > 0 {
			it.Changed = append(it.Changed, "assignments")
		}
		if opt.DryRun {
			return it
		}
		var created map[string]any
		if err := c.Do(ctx, http.MethodPost, k.Collection, body, &created); err != nil {
			return fail("", err)
		}
		it.ID = str(created, "id")
		if it.ID == "" {
			return fail("", fmt.Errorf("POST %s: Graph's answer names no id", k.Collection))
		}
		if len(ts) > 0 {
			if err := assign(ctx, c, k, it.ID, ts); err != nil {
				return fail(it.ID, err)
			}
		}
		it.Done = true
		return it
	}

	it.ID = existing.id
	path := k.Collection + "/" + pathEscape(existing.id)
	// Lists may leave script content out: compare with the object itself.
	have, err := c.Get(ctx, path)
	if err != nil {
		return fail(it.ID, err)
	}
	if k == kinds[0] {
		if err := revealOmaStrings(ctx, c, path, have); err != nil {
			return fail(it.ID, err)
		}
	}
	it.Changed = differences("", want, have)
	bodyChanged := len(it.Changed) > 0
	assigned, err := c.List(ctx, path+"/assignments")
	if err != nil {
		return fail(it.ID, err)
	}
	assignChanged := !sameTargets(ts, assigned, k)
	if assignChanged {
		it.Changed = append(it.Changed, "assignments")
	}
	if !bodyChanged && !assignChanged {
		it.Action = ActionUnchanged
		return it
	}
	it.Action = ActionUpdate
	if opt.DryRun {
		return it
	}
	if bodyChanged {
		if err := c.Do(ctx, http.MethodPatch, path, body, nil); err != nil {
			return fail(it.ID, err)
		}
	}
	if assignChanged {
		if err := assign(ctx, c, k, it.ID, ts); err != nil {
			return fail(it.ID, err)
		}
	}
	it.Done = true
	return it
}

// describe names the profile, the object and what Graph said.
func describe(profile string, k *kind, name, id string, err error) string {
	obj := fmt.Sprintf("%s %q", k.Name, name)
	if id != "" {
		obj += " (id " + id + ")"
	}
	return fmt.Sprintf("profile %s: %s: %v", profile, obj, err)
}

func assign(ctx context.Context, c *Client, k *kind, id string, ts []target) error {
	body, err := json.Marshal(k.assignBody(ts))
	if err != nil {
		return err
	}
	return c.Do(ctx, http.MethodPost, k.Collection+"/"+pathEscape(id)+"/assign", body, nil)
}

// sameTargets reports whether the object's assignments are exactly the
// intent's targets (and, for the remediation, run the remediation script).
func sameTargets(want []target, have []map[string]any, k *kind) bool {
	key := func(t target) string { return t.Type + "|" + strings.ToLower(t.GroupID) }
	w := map[string]bool{}
	for _, t := range want {
		w[key(t)] = true
	}
	h := map[string]bool{}
	for _, a := range have {
		tgt, _ := a["target"].(map[string]any)
		h[key(target{Type: normType(str(tgt, "@odata.type")), GroupID: str(tgt, "groupId")})] = true
		if k.Schedule && a["runRemediationScript"] != true {
			return false
		}
	}
	return reflect.DeepEqual(w, h)
}

// normType writes an @odata.type with its leading '#', which Graph's own
// answers sometimes leave out.
func normType(s string) string {
	if s != "" && !strings.HasPrefix(s, "#") {
		return "#" + s
	}
	return s
}

// revealOmaStrings replaces the encrypted values Graph returns for string
// OMA settings by their plain text, so that they compare with the body.
func revealOmaStrings(ctx context.Context, c *Client, path string, obj map[string]any) error {
	settings, _ := obj["omaSettings"].([]any)
	for _, s := range settings {
		m, _ := s.(map[string]any)
		if m == nil || m["isEncrypted"] != true {
			continue
		}
		ref := str(m, "secretReferenceValueId")
		if ref == "" {
			continue
		}
		var plain struct {
			Value string `json:"value"`
		}
		fn := "/getOmaSettingPlainTextValue(secretReferenceValueId='" + strings.ReplaceAll(ref, "'", "''") + "')"
		if err := c.Do(ctx, http.MethodGet, path+fn, nil, &plain); err != nil {
			return err
		}
		m["value"] = plain.Value
	}
	return nil
}

// differences lists where have differs from want, for want's properties only:
// Graph adds its own (id, createdDateTime, …) and those are not ours.
func differences(at string, want, have any) []string {
	switch w := want.(type) {
	case map[string]any:
		h, ok := have.(map[string]any)
		if !ok {
			return []string{orRoot(at)}
		}
		keys := make([]string, 0, len(w))
		for k := range w {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var out []string
		for _, k := range keys {
			sub := k
			if at != "" {
				sub = at + "." + k
			}
			if k == "@odata.type" {
				if normType(str(h, k)) != w[k] {
					out = append(out, sub)
				}
				continue
			}
			out = append(out, differences(sub, w[k], h[k])...)
		}
		return out
	case []any:
		h, ok := have.([]any)
		if !ok || len(h) != len(w) {
			return []string{orRoot(at)}
		}
		var out []string
		for i := range w {
			out = append(out, differences(at+"["+strconv.Itoa(i)+"]", w[i], h[i])...)
		}
		return out
	}
	if !reflect.DeepEqual(want, have) {
		return []string{orRoot(at)}
	}
	return nil
}

func orRoot(at string) string {
	if at == "" {
		return "(object)"
	}
	return at
}

// str reads a string property, "" when absent or not a string.
func str(m map[string]any, key string) string {
	s, _ := m[key].(string)
	return s
}
