package publish

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/mdeproxyc/mdeproxyc/internal/fakegraph"
)

// assignment is one assignment as Graph lists it.
func assignment(odataType, targetType, group string, extra map[string]any) map[string]any {
	tgt := map[string]any{"@odata.type": targetType, "deviceAndAppManagementAssignmentFilterId": nil, "deviceAndAppManagementAssignmentFilterType": "none"}
	if group != "" {
		tgt["groupId"] = group
	}
	a := map[string]any{"@odata.type": odataType, "id": "a_" + group, "target": tgt}
	for k, v := range extra {
		a[k] = v
	}
	return a
}

func daily(time string) map[string]any {
	return map[string]any{"@odata.type": "#microsoft.graph.deviceHealthScriptDailySchedule", "interval": 1, "useUtc": false, "time": time}
}

const healthAssignment = "#microsoft.graph.deviceHealthScriptAssignment"

// TestAssignmentDriftIsSeenAndRepaired: every property publish sets on an
// assignment is compared — targets, exclusions, the remediation's run
// schedule and runRemediationScript — and a filter or a second copy of a
// target added by hand is drift too. The plan names each drifted field and
// each target added and removed, in text and JSON; the run assigns the
// intent's list, after which the next run finds nothing to do.
func TestAssignmentDriftIsSeenAndRepaired(t *testing.T) {
	incl := "include " + groupA // compile writes group ids in lower case
	at := "assignments[" + incl + "]"
	excl := "exclude " + groupEx
	other := "5a5a5a5a-0000-4000-8000-000000000001"
	for _, c := range []struct {
		name    string
		have    []map[string]any
		changed []string
		added   []string
		removed []string
	}{
		{"run once in 2030", []map[string]any{
			assignment(healthAssignment, targetGroup, groupA, map[string]any{"runRemediationScript": true,
				"runSchedule": map[string]any{"@odata.type": "#microsoft.graph.deviceHealthScriptRunOnceSchedule", "interval": 1, "useUtc": false, "time": "12:00:00", "date": "2030-01-01"}}),
			assignment(healthAssignment, targetExclusion, groupEx, map[string]any{"runRemediationScript": true}),
		}, []string{at + ".runSchedule.@odata.type"}, nil, nil},
		{"another time", []map[string]any{
			assignment(healthAssignment, targetGroup, groupA, map[string]any{"runRemediationScript": true, "runSchedule": daily("03:00:00")}),
			assignment(healthAssignment, targetExclusion, groupEx, map[string]any{"runRemediationScript": true}),
		}, []string{at + ".runSchedule.time"}, nil, nil},
		{"detection only", []map[string]any{
			assignment(healthAssignment, targetGroup, groupA, map[string]any{"runRemediationScript": false, "runSchedule": daily("12:00:00")}),
			assignment(healthAssignment, targetExclusion, groupEx, map[string]any{"runRemediationScript": true}),
		}, []string{at + ".runRemediationScript"}, nil, nil},
		{"a target twice", []map[string]any{
			assignment(healthAssignment, targetGroup, groupA, map[string]any{"runRemediationScript": true, "runSchedule": daily("12:00:00")}),
			assignment(healthAssignment, targetGroup, strings.ToUpper(groupA), map[string]any{"runRemediationScript": true, "runSchedule": daily("12:00:00")}),
			assignment(healthAssignment, targetExclusion, groupEx, map[string]any{"runRemediationScript": true}),
		}, []string{"assignments"}, nil, []string{"duplicate " + incl}},
		{"a filter", []map[string]any{
			func() map[string]any {
				a := assignment(healthAssignment, targetGroup, groupA, map[string]any{"runRemediationScript": true, "runSchedule": daily("12:00:00")})
				a["target"].(map[string]any)["deviceAndAppManagementAssignmentFilterId"] = other
				a["target"].(map[string]any)["deviceAndAppManagementAssignmentFilterType"] = "include"
				return a
			}(),
			assignment(healthAssignment, targetExclusion, groupEx, map[string]any{"runRemediationScript": true}),
		}, []string{at + ".target.deviceAndAppManagementAssignmentFilterId", at + ".target.deviceAndAppManagementAssignmentFilterType"}, nil, nil},
		{"exclusion dropped, a group added", []map[string]any{
			assignment(healthAssignment, targetGroup, groupA, map[string]any{"runRemediationScript": true, "runSchedule": daily("12:00:00")}),
			assignment(healthAssignment, targetGroup, other, map[string]any{"runRemediationScript": true, "runSchedule": daily("12:00:00")}),
		}, []string{"assignments"}, []string{excl}, []string{"include " + other}},
	} {
		t.Run(c.name, func(t *testing.T) {
			h := newHarness(t)
			h.run(t, baseFleet, Options{})
			id := idsOf(t, h.srv)["alpha"+fakegraph.HealthScripts]
			want := h.srv.Assignments(fakegraph.HealthScripts, id)
			h.srv.SetAssignments(fakegraph.HealthScripts, id, c.have)

			plan := h.run(t, baseFleet, Options{DryRun: true})
			it := plan.Items[slices.IndexFunc(plan.Items, func(it Item) bool { return it.Profile == "alpha" && it.Object == "remediation" })]
			if it.Action != ActionUpdate || !slices.Equal(it.Changed, c.changed) || !slices.Equal(it.Added, c.added) || !slices.Equal(it.Removed, c.removed) {
				t.Errorf("plan: %s changed %q added %q removed %q; want changed %q added %q removed %q", it.Action, it.Changed, it.Added, it.Removed, c.changed, c.added, c.removed)
			}
			for _, other := range plan.Items {
				if other.Action != ActionUnchanged && other.ID != id {
					t.Errorf("%s %s: %s", other.Profile, other.Object, other.Action)
				}
			}
			var text, js strings.Builder
			_ = plan.Write(&text, "text")
			_ = plan.Write(&js, "json")
			for _, f := range c.changed {
				if !strings.Contains(text.String(), f) || !strings.Contains(js.String(), f) {
					t.Errorf("the plan does not name %q:\n%s", f, text.String())
				}
			}
			for _, a := range c.added {
				if !strings.Contains(text.String(), "  + "+a) || !strings.Contains(js.String(), `"assignmentsAdded": [`) {
					t.Errorf("the plan does not show %q added:\n%s", a, text.String())
				}
			}
			for _, r := range c.removed {
				if !strings.Contains(text.String(), "  - "+r) || !strings.Contains(js.String(), `"assignmentsRemoved": [`) {
					t.Errorf("the plan does not show %q removed:\n%s", r, text.String())
				}
			}

			h.srv.ResetLog()
			res := h.run(t, baseFleet, Options{})
			if got := writes(h.srv); !slices.Equal(got, []string{"POST " + fakegraph.HealthScripts + "/" + id + "/assign"}) {
				t.Errorf("repair wrote %q", got)
			}
			if res.Failed() {
				t.Fatalf("repair failed: %q", actions(res))
			}
			if got := h.srv.Assignments(fakegraph.HealthScripts, id); !jsonEqual(got, want) {
				t.Errorf("after the repair Graph holds %v; want %v", got, want)
			}
			h.srv.ResetLog()
			for _, a := range actions(h.run(t, baseFleet, Options{})) {
				if !strings.HasSuffix(a, ":unchanged") {
					t.Errorf("after the repair: %s", a)
				}
			}
		})
	}
}

func jsonEqual(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}

// TestExtraArrayElementOnGraphIsDrift: an OMA setting added to our
// configuration by hand is a difference (the whole list is replaced), not
// "unchanged" because every setting of ours is still there.
func TestExtraArrayElementOnGraphIsDrift(t *testing.T) {
	h := newHarness(t)
	h.run(t, baseFleet, Options{})
	id := idsOf(t, h.srv)["beta"+fakegraph.Configurations]
	h.srv.Edit(fakegraph.Configurations, id, func(o map[string]any) {
		o["omaSettings"] = append(o["omaSettings"].([]any), map[string]any{
			"@odata.type": "#microsoft.graph.omaSettingInteger", "displayName": "added by hand", "omaUri": "./Device/Vendor/MSFT/Policy/Config/Foo/Bar", "value": 1,
		})
	})
	h.srv.ResetLog()
	res := h.run(t, baseFleet, Options{})
	if got := actions(res); !slices.Contains(got, "beta/configuration:update omaSettings") {
		t.Errorf("plan: %q", got)
	}
	if got := writes(h.srv); !slices.Equal(got, []string{"PATCH " + fakegraph.Configurations + "/" + id}) {
		t.Errorf("writes %q", got)
	}
	if n := len(h.srv.Objects(fakegraph.Configurations)[id]["omaSettings"].([]any)); n != 4 {
		t.Errorf("after the repair the configuration holds %d settings; want 4", n)
	}
}

// TestScopeTagsArePublishedAndRepaired: intune.scopeTags go to the scripts
// as roleScopeTagIds (the v1.0 configuration has no such property), and a
// tag changed in the portal is drift that the run repairs.
func TestScopeTagsArePublishedAndRepaired(t *testing.T) {
	src := strings.Replace(baseFleet, `alpha: intune: {`, `alpha: intune: {scopeTags: ["7", "12"], `, 1)
	if src == baseFleet {
		t.Fatal("the fleet did not change")
	}
	h := newHarness(t)
	h.run(t, src, Options{})
	ids := idsOf(t, h.srv)
	for _, c := range []string{fakegraph.Scripts, fakegraph.HealthScripts} {
		if got := h.srv.Objects(c)[ids["alpha"+c]]["roleScopeTagIds"]; !jsonEqual(got, []string{"7", "12"}) {
			t.Errorf("%s: roleScopeTagIds %v", c, got)
		}
	}
	if _, has := h.srv.Objects(fakegraph.Configurations)[ids["alpha"+fakegraph.Configurations]]["roleScopeTagIds"]; has {
		t.Error("the v1.0 configuration was sent roleScopeTagIds")
	}
	h.srv.Edit(fakegraph.Scripts, ids["alpha"+fakegraph.Scripts], func(o map[string]any) { o["roleScopeTagIds"] = []any{"0"} })
	res := h.run(t, src, Options{})
	if got := actions(res); !slices.Contains(got, "alpha/platform script:update roleScopeTagIds") {
		t.Errorf("plan %q", got)
	}
	if got := h.srv.Objects(fakegraph.Scripts)[ids["alpha"+fakegraph.Scripts]]["roleScopeTagIds"]; !jsonEqual(got, []string{"7", "12"}) {
		t.Errorf("after the repair: roleScopeTagIds %v", got)
	}
}
