package publish

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/mdeproxyc/mdeproxyc/internal/fakegraph"
)

// TestStatusReadsTheThreeSummaries: per profile, the remediation's and the
// platform script's runSummary and the configuration's deviceStatusOverview,
// with Graph's property names in JSON; a row per profile in text; a profile
// not published said so; failure when any device reports an error, a failure
// or a reoccurring issue, from any of the three. Nothing is written.
func TestStatusReadsTheThreeSummaries(t *testing.T) {
	h := newHarness(t)
	h.run(t, fleet("", "10.1.0.1:3128", false), Options{}) // delta stays unpublished
	ids := idsOf(t, h.srv)
	h.srv.SetSummary(fakegraph.HealthScripts, ids["alpha"+fakegraph.HealthScripts], map[string]int{
		"noIssueDetectedDeviceCount": 5, "issueRemediatedDeviceCount": 2, "detectionScriptPendingDeviceCount": 1, "detectionScriptNotApplicableDeviceCount": 3,
	})
	h.srv.SetSummary(fakegraph.Configurations, ids["alpha"+fakegraph.Configurations], map[string]int{"successCount": 8, "pendingCount": 1})
	h.srv.SetSummary(fakegraph.Scripts, ids["beta"+fakegraph.Scripts], map[string]int{"successDeviceCount": 4})
	render := withRender(t, Options{}).Render
	ps := compileFleet(t, baseFleet)
	h.srv.ResetLog()

	read := func() *Status {
		t.Helper()
		st, err := ReadStatus(context.Background(), h.client, ps, render)
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
	st := read()
	if st.Failed() {
		t.Errorf("no device fails, yet the status failed: %+v", st)
	}
	if len(st.Profiles) != 3 || st.Profiles[0].Profile != "alpha" || st.Profiles[2].Profile != "delta" || st.Profiles[2].Published {
		t.Fatalf("profiles: %+v", st.Profiles)
	}
	a := st.Profiles[0]
	if a.Fine != 5 || a.Remediated != 2 || a.Pending != 1 || a.NotApplicable != 3 || a.Failing != 0 || a.Configuration.SuccessCount != 8 {
		t.Errorf("alpha: %+v", a)
	}
	var text strings.Builder
	if err := st.Write(&text, "text"); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"profile  fine  remediated  failing  pending  not applicable",
		"  alpha     5           2        0        1               3",
		"delta: not published",
		"3 profiles, 1 not published; 0 device reports",
	} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("the table lacks %q:\n%s", want, text.String())
		}
	}
	for _, r := range h.srv.Seen() {
		if !strings.HasPrefix(r, "GET ") {
			t.Errorf("status sent %s", r)
		}
	}

	for _, c := range []struct {
		coll, field string
	}{
		{fakegraph.HealthScripts, "issueReoccurredDeviceCount"},
		{fakegraph.HealthScripts, "detectionScriptErrorDeviceCount"},
		{fakegraph.HealthScripts, "remediationScriptErrorDeviceCount"},
		{fakegraph.Scripts, "errorDeviceCount"},
		{fakegraph.Configurations, "errorCount"},
		{fakegraph.Configurations, "failedCount"},
	} {
		id := ids["beta"+c.coll]
		h.srv.SetSummary(c.coll, id, map[string]int{c.field: 2})
		st := read()
		if !st.Failed() || st.Profiles[1].Failing != 2 {
			t.Errorf("%s %s = 2: failed %v, beta %+v", c.coll, c.field, st.Failed(), st.Profiles[1])
		}
		var js strings.Builder
		if err := st.Write(&js, "json"); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(js.String(), `"`+c.field+`": 2`) {
			t.Errorf("the JSON lacks Graph's %s:\n%s", c.field, js.String())
		}
		var back Status
		if err := json.Unmarshal([]byte(js.String()), &back); err != nil || back.Profiles[1].Failing != 2 {
			t.Errorf("the JSON does not round-trip: %v", err)
		}
		h.srv.SetSummary(c.coll, id, nil)
	}
}

// TestStatusEscapesGraphErrors: an error reading a summary is reported for
// its profile, escaped, and fails the status.
func TestStatusEscapesGraphErrors(t *testing.T) {
	h := newHarness(t)
	h.srv.ThrottleEvery = 0
	h.run(t, baseFleet, Options{})
	h.srv.Fail = func(method, path string, _ map[string]any) *fakegraph.Failure {
		if method == http.MethodGet && strings.HasSuffix(path, "/runSummary") && strings.HasPrefix(path, fakegraph.HealthScripts) {
			return &fakegraph.Failure{Status: http.StatusForbidden, Code: "Forbidden", Message: hostile}
		}
		return nil
	}
	st, err := ReadStatus(context.Background(), h.client, compileFleet(t, baseFleet), withRender(t, Options{}).Render)
	if err != nil {
		t.Fatal(err)
	}
	if !st.Failed() || !strings.Contains(st.Profiles[0].Error, "profile alpha: remediation") {
		t.Fatalf("status: %+v", st.Profiles[0])
	}
	var text, js strings.Builder
	_ = st.Write(&text, "text")
	_ = st.Write(&js, "json")
	clean(t, "the status table", text.String())
	clean(t, "the status JSON", js.String())
	if !strings.Contains(text.String(), `\n::error::pwned`) {
		t.Errorf("the table does not show Graph's error escaped:\n%s", text.String())
	}
}

// TestStatusWriteEscapes: Write escapes an error whatever produced it (the
// Graph client escapes its own; this holds for every other source too).
func TestStatusWriteEscapes(t *testing.T) {
	st := &Status{Profiles: []ProfileStatus{{Profile: "x", Published: true, Error: hostile}}}
	var text strings.Builder
	if err := st.Write(&text, "text"); err != nil {
		t.Fatal(err)
	}
	clean(t, "the status table", text.String())
}
