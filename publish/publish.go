// Package publish makes Intune match a compiled fleet: for every profile that
// targets Windows, the custom configuration, the platform script and the
// remediation the intune emitter writes, sent to Microsoft Graph byte for
// byte, and assigned to the groups of the intent. Objects are found again by
// the marker line of their description (intunegraph.Marker), never by display
// name; docs/intune-publish.md has the Graph contract it follows. publish
// imports no emitter: the command hands it the render function build uses
// (emitters/all.Render), signer included.
package publish

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/mdeproxyc/mdeproxyc/emitters"
	"github.com/mdeproxyc/mdeproxyc/internal/intunegraph"
	"github.com/mdeproxyc/mdeproxyc/model"
)

// Options say what Run may change and how it gets the bodies.
type Options struct {
	// DryRun plans without writing anything.
	DryRun bool
	// Prune deletes marked objects whose profile is no longer in the fleet.
	Prune bool
	// Render gives a profile's Intune bodies, the files build writes under
	// windows/intune/ (emitters/all.Render("intune", signer...)). Required.
	Render func(p *model.Profile) ([]emitters.File, error)
}

// The actions of a plan.
const (
	ActionCreate    = "create"
	ActionUpdate    = "update"
	ActionUnchanged = "unchanged"
	ActionOrphaned  = "orphaned"
	ActionDelete    = "delete"
	// ActionSkipped is an object an interrupted run did not get to.
	ActionSkipped = "skipped"
)

// Item is one object of the plan and what was done with it.
type Item struct {
	Profile     string `json:"profile"`
	Object      string `json:"object"`
	Action      string `json:"action"`
	ID          string `json:"id,omitempty"`
	DisplayName string `json:"displayName"`
	// Changed names the properties that differ ("description",
	// "omaSettings[0].value"), "assignments" when the targets do, and the
	// assignment properties that drifted ("assignments[include
	// <group>].runSchedule.time").
	Changed []string `json:"changed,omitempty"`
	// Added and Removed are the assignment targets the run adds and takes
	// away ("include <group>", "exclude <group>", "include allDevices");
	// a target assigned twice is removed once as "duplicate include <group>".
	Added   []string `json:"assignmentsAdded,omitempty"`
	Removed []string `json:"assignmentsRemoved,omitempty"`
	// Assignments are the targets the object is assigned to after the run.
	Assignments []string `json:"assignments,omitempty"`
	// Wrote lists the writes that were made, in order: "created",
	// "updated", "assigned", "deleted". An interrupted run tells from it
	// what was done.
	Wrote []string `json:"wrote,omitempty"`
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
	// Interrupted is set when the run's context was cancelled (a signal):
	// the request in flight was finished, nothing was sent after it, and the
	// items not reached carry Action with Done false.
	Interrupted bool `json:"interrupted,omitempty"`
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
	// bad says why the object's id cannot be used in a request.
	bad string
}

// Run plans and, unless opt.DryRun, applies. An error is returned only when
// nothing could be planned (the tenant's objects could not be listed); a
// failure on one object is recorded in its Item and the others proceed.
//
// When ctx is cancelled the request in flight is finished (an abandoned POST
// may or may not have created its object; a finished one tells), nothing
// more is sent, and the Result, marked Interrupted, says what was written.
func Run(ctx context.Context, c *Client, profiles []*model.Profile, opt Options) (*Result, error) {
	if opt.Render == nil {
		return nil, fmt.Errorf("publish: no render function")
	}
	found, err := listMarked(ctx, c)
	if err != nil {
		return nil, err
	}

	res := &Result{DryRun: opt.DryRun}
	ps := slices.Clone(profiles)
	sort.Slice(ps, func(i, j int) bool { return ps[i].Name < ps[j].Name })
	wanted := map[*kind]map[string]bool{}
	for _, k := range kinds {
		wanted[k] = map[string]bool{}
	}
	for _, p := range ps {
		files, err := opt.Render(p)
		if err != nil {
			res.Items = append(res.Items, Item{Profile: p.Name, Object: "all", Action: ActionCreate, Error: err.Error()})
			continue
		}
		bodies := map[string][]byte{}
		for _, f := range files {
			bodies[f.Path] = f.Data
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
			if ctx.Err() != nil {
				res.Interrupted = true
				res.Items = append(res.Items, notReached(p, k, body, existing))
				continue
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
		if o.bad != "" {
			it.Error = describe(o.profile, o.kind, o.name, "", errors.New(o.bad))
			res.Items = append(res.Items, it)
			continue
		}
		if opt.Prune {
			it.Action = ActionDelete
			if !opt.DryRun && ctx.Err() != nil {
				it.Action = ActionSkipped
			} else if !opt.DryRun {
				if err := c.Do(ctx, http.MethodDelete, o.kind.Collection+"/"+pathEscape(o.id), nil, nil); err != nil {
					it.Error = describe(o.profile, o.kind, o.name, o.id, err)
				} else {
					it.Done = true
					it.Wrote = append(it.Wrote, "deleted")
				}
			}
		}
		res.Items = append(res.Items, it)
	}
	if ctx.Err() != nil && !opt.DryRun {
		res.Interrupted = true
	}
	return res, nil
}

// listMarked lists the three collections and keeps the objects of the right
// type that carry a marker, by kind and profile, lowest id first.
func listMarked(ctx context.Context, c *Client) (map[*kind]map[string][]remote, error) {
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
			name, ok := intunegraph.ProfileOf(str(o, "description"))
			if !ok {
				continue
			}
			r := remote{kind: k, profile: name, id: str(o, "id"), name: str(o, "displayName")}
			if err := checkID(k.Name, r.id); err != nil {
				r.bad = err.Error()
			}
			found[k][name] = append(found[k][name], r)
		}
		for _, l := range found[k] {
			sort.Slice(l, func(i, j int) bool { return l[i].id < l[j].id })
		}
	}

	return found, nil
}

// notReached is the item of an object an interrupted run did not look at.
func notReached(p *model.Profile, k *kind, body []byte, existing *remote) Item {
	var want map[string]any
	_ = json.Unmarshal(body, &want)
	it := Item{Profile: p.Name, Object: k.Name, Action: ActionSkipped, DisplayName: str(want, "displayName")}
	if existing != nil && existing.bad == "" {
		it.ID = existing.id
	}
	return it
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
		for _, t := range ts {
			it.Added = append(it.Added, t.String())
		}
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
		if err := checkID(k.Name, it.ID); err != nil {
			it.ID = ""
			return fail("", fmt.Errorf("POST %s: %w", k.Collection, err))
		}
		it.Wrote = append(it.Wrote, "created")
		if len(ts) > 0 {
			if ctx.Err() != nil {
				return it
			}
			if err := assign(ctx, c, k, it.ID, ts); err != nil {
				return fail(it.ID, err)
			}
			it.Wrote = append(it.Wrote, "assigned")
		}
		it.Done = true
		return it
	}

	if existing.bad != "" {
		it.Action = ActionUpdate
		return fail("", errors.New(existing.bad))
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
	drift := compareAssignments(k, ts, assigned)
	it.Added, it.Removed = drift.added, drift.removed
	assignChanged := len(drift.added)+len(drift.removed)+len(drift.fields) > 0
	if len(drift.added)+len(drift.removed) > 0 {
		it.Changed = append(it.Changed, "assignments")
	}
	it.Changed = append(it.Changed, drift.fields...)
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
		it.Wrote = append(it.Wrote, "updated")
	}
	if assignChanged {
		if ctx.Err() != nil {
			return it
		}
		if err := assign(ctx, c, k, it.ID, ts); err != nil {
			return fail(it.ID, err)
		}
		it.Wrote = append(it.Wrote, "assigned")
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

// assignmentDrift is how an object's assignments differ from the intent.
type assignmentDrift struct {
	added, removed []string
	// fields are the properties of a wanted target's assignment that
	// differ: "assignments[include <group>].runSchedule.time".
	fields []string
}

// noFilter is the filter id Graph shows on an assignment without a filter.
const noFilter = "00000000-0000-0000-0000-000000000000"

// compareAssignments compares every property publish sets on an assignment
// (the target's type and group, the remediation's runRemediationScript and
// runSchedule) and the filter, which publish never sets, so a filter added by
// hand is drift. Each wanted target must be assigned exactly once.
func compareAssignments(k *kind, want []target, have []map[string]any) assignmentDrift {
	var d assignmentDrift
	key := func(t target) string { return t.Type + "|" + strings.ToLower(t.GroupID) }
	byKey := map[string][]map[string]any{}
	var haveOrder []target
	for _, a := range have {
		tgt, _ := a["target"].(map[string]any)
		t := target{Type: normType(str(tgt, "@odata.type")), GroupID: str(tgt, "groupId")}
		if len(byKey[key(t)]) == 0 {
			haveOrder = append(haveOrder, t)
		}
		byKey[key(t)] = append(byKey[key(t)], a)
	}
	wanted := map[string]bool{}
	// The wanted assignments as Graph's JSON reads back (numbers as float64).
	var wantJSON map[string]any
	raw, _ := json.Marshal(k.assignBody(want))
	_ = json.Unmarshal(raw, &wantJSON)
	body, _ := wantJSON[k.AssignKey].([]any)
	for i, t := range want {
		wanted[key(t)] = true
		got := byKey[key(t)]
		if len(got) == 0 {
			d.added = append(d.added, t.String())
			continue
		}
		for range got[1:] {
			d.removed = append(d.removed, "duplicate "+t.String())
		}
		at := "assignments[" + t.String() + "]"
		w := body[i].(map[string]any)
		a := got[0]
		if k.Schedule {
			if a["runRemediationScript"] != w["runRemediationScript"] {
				d.fields = append(d.fields, at+".runRemediationScript")
			}
			if rs, ok := w["runSchedule"]; ok {
				d.fields = append(d.fields, differences(at+".runSchedule", rs, a["runSchedule"])...)
			}
		}
		tgt, _ := a["target"].(map[string]any)
		if f := str(tgt, "deviceAndAppManagementAssignmentFilterId"); f != "" && f != noFilter {
			d.fields = append(d.fields, at+".target.deviceAndAppManagementAssignmentFilterId")
		}
		if f := str(tgt, "deviceAndAppManagementAssignmentFilterType"); f != "" && f != "none" {
			d.fields = append(d.fields, at+".target.deviceAndAppManagementAssignmentFilterType")
		}
	}
	for _, t := range haveOrder {
		if !wanted[key(t)] {
			for range byKey[key(t)] {
				d.removed = append(d.removed, t.String())
			}
		}
	}
	return d
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
		// The reference comes from Graph: quoted for OData, then escaped as
		// a path segment, so that no '/' or '?' in it changes the request.
		fn := "/getOmaSettingPlainTextValue(secretReferenceValueId='" + pathEscape(strings.ReplaceAll(ref, "'", "''")) + "')"
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
