package publish

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mdeproxyc/mdeproxyc/compile"
	"github.com/mdeproxyc/mdeproxyc/emitters"
	"github.com/mdeproxyc/mdeproxyc/emitters/all"
	"github.com/mdeproxyc/mdeproxyc/emitters/intune"
	"github.com/mdeproxyc/mdeproxyc/internal/fakegraph"
	"github.com/mdeproxyc/mdeproxyc/internal/intunegraph"
	"github.com/mdeproxyc/mdeproxyc/model"
)

const (
	groupA  = "3f1c2a4e-8b6d-4e2f-9a1c-5d7e8f901234"
	groupEx = "0b7e6c2d-5a41-4f8e-9d3c-1e2f3a4b5c6d"
)

// fleet is a small fleet: three Windows profiles with different assignments
// and one Linux profile, which has no Intune objects.
func fleet(alphaName, betaProxy string, withDelta bool) string {
	src := `package fleet
defaults: {
	proxy: "proxy.example.com:8080"
	intune: assignments: exclude: ["` + groupEx + `"]
}
profiles: {
	alpha: intune: {assignments: include: ["` + strings.ToUpper(groupA) + `"]` + alphaName + `}
	beta: {proxy: "` + betaProxy + `", intune: assignments: include: ["allDevices"]}
	gamma: platforms: ["linux"]
`
	if withDelta {
		src += "\tdelta: {}\n"
	}
	return src + "}\n"
}

var baseFleet = fleet("", "10.1.0.1:3128", true)

// withRender gives opt the render function the command gives it: build's
// intune emitter, through emitters/all.
func withRender(t *testing.T, opt Options) Options {
	t.Helper()
	if opt.Render == nil {
		r, err := all.Render("intune")
		if err != nil {
			t.Fatal(err)
		}
		opt.Render = r
	}
	return opt
}

func compileFleet(t *testing.T, src string) []*model.Profile {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "fleet.cue"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	ps, diags := compile.Dir(dir, compile.Options{})
	if len(diags) > 0 {
		t.Fatal(diags.Error())
	}
	return ps
}

// harness is a fake Graph that throttles and pages, and a client whose waits
// are recorded instead of spent.
type harness struct {
	srv    *fakegraph.Server
	client *Client
	mu     sync.Mutex
	sleeps []time.Duration
}

func newHarness(t *testing.T) *harness {
	h := &harness{srv: fakegraph.New()}
	t.Cleanup(h.srv.Close)
	h.srv.ThrottleEvery = 7
	h.client = &Client{
		BaseURL: h.srv.URL,
		Token:   func(context.Context) (string, error) { return fakegraph.Token, nil },
		Sleep: func(_ context.Context, d time.Duration) error {
			h.mu.Lock()
			defer h.mu.Unlock()
			h.sleeps = append(h.sleeps, d)
			return nil
		},
	}
	return h
}

func (h *harness) run(t *testing.T, src string, opt Options) *Result {
	t.Helper()
	res, err := Run(context.Background(), h.client, compileFleet(t, src), withRender(t, opt))
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// actions summarises a result as "profile/object:action" lines.
func actions(r *Result) []string {
	var out []string
	for _, it := range r.Items {
		s := it.Profile + "/" + it.Object + ":" + it.Action
		if len(it.Changed) > 0 {
			s += " " + strings.Join(it.Changed, ",")
		}
		if it.Error != "" {
			s += " ERROR"
		}
		out = append(out, s)
	}
	return out
}

func writes(srv *fakegraph.Server) []string {
	var out []string
	for _, r := range srv.Writes() {
		out = append(out, r.Method+" "+r.Path)
	}
	sort.Strings(out)
	return out
}

// idsOf maps "profile/collection" to the id of the object carrying its marker.
func idsOf(t *testing.T, srv *fakegraph.Server) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, c := range []string{fakegraph.Configurations, fakegraph.Scripts, fakegraph.HealthScripts} {
		for id, o := range srv.Objects(c) {
			desc, _ := o["description"].(string)
			if name, ok := intunegraph.ProfileOf(desc); ok {
				out[name+c] = id
			}
		}
	}
	return out
}

func TestFirstRunCreatesThenSecondRunWritesNothing(t *testing.T) {
	h := newHarness(t)
	res := h.run(t, baseFleet, Options{})
	want := []string{}
	for _, p := range []string{"alpha", "beta", "delta"} {
		for _, o := range []string{"configuration", "platform script", "remediation"} {
			want = append(want, p+"/"+o+":create assignments")
		}
	}
	if got := actions(res); !slices.Equal(got, want) {
		t.Fatalf("first run:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	ids := idsOf(t, h.srv)
	var wantWrites []string
	for _, p := range []string{"alpha", "beta", "delta"} {
		for _, c := range []string{fakegraph.Configurations, fakegraph.Scripts, fakegraph.HealthScripts} {
			wantWrites = append(wantWrites, "POST "+c, "POST "+c+"/"+ids[p+c]+"/assign")
		}
	}
	sort.Strings(wantWrites)
	if got := writes(h.srv); !slices.Equal(got, wantWrites) {
		t.Errorf("writes:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(wantWrites, "\n"))
	}

	// Graph holds exactly the bytes build writes, and the intent's targets.
	for _, p := range compileFleet(t, baseFleet) {
		files, err := intune.Emitter{}.Emit(emitters.NewProfile(p))
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			k := kinds[slices.IndexFunc(kinds, func(k *kind) bool { return k.File == f.Path })]
			obj := h.srv.Objects(fakegraphCollection(k))[ids[p.Name+fakegraphCollection(k)]]
			delete(obj, "id")
			delete(obj, "createdDateTime")
			var body map[string]any
			if err := json.Unmarshal(f.Data, &body); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(obj, body) {
				t.Errorf("%s %s: Graph holds %v, build writes %v", p.Name, k.Name, obj, body)
			}
		}
	}
	wantTargets := map[string][]string{
		"alpha": {"#microsoft.graph.groupAssignmentTarget " + groupA, "#microsoft.graph.exclusionGroupAssignmentTarget " + groupEx},
		"beta":  {"#microsoft.graph.allDevicesAssignmentTarget ", "#microsoft.graph.exclusionGroupAssignmentTarget " + groupEx},
		"delta": {"#microsoft.graph.exclusionGroupAssignmentTarget " + groupEx},
	}
	for p, want := range wantTargets {
		for _, c := range []string{fakegraph.Configurations, fakegraph.Scripts, fakegraph.HealthScripts} {
			var got []string
			for _, a := range h.srv.Assignments(c, ids[p+c]) {
				tg := a["target"].(map[string]any)
				g, _ := tg["groupId"].(string)
				got = append(got, tg["@odata.type"].(string)+" "+g)
			}
			if !slices.Equal(got, want) {
				t.Errorf("%s in %s assigned to %q; want %q", p, c, got, want)
			}
		}
	}

	h.srv.ResetLog()
	res = h.run(t, baseFleet, Options{})
	for _, a := range actions(res) {
		if !strings.HasSuffix(a, ":unchanged") {
			t.Errorf("second run: %s", a)
		}
	}
	if w := writes(h.srv); len(w) > 0 {
		t.Errorf("second run wrote: %s", strings.Join(w, "\n"))
	}

	throttled, pages := h.srv.Stats()
	if throttled == 0 || pages == 0 {
		t.Errorf("throttled %d times, served %d further pages; the test must exercise both", throttled, pages)
	}
	if len(h.sleeps) != throttled || h.sleeps[0] != time.Second {
		t.Errorf("waited %v for %d throttles; want Retry-After (1s) each", h.sleeps, throttled)
	}
}

func fakegraphCollection(k *kind) string { return k.Collection }

func TestChangedProxyUpdatesOnlyThatProfile(t *testing.T) {
	h := newHarness(t)
	h.run(t, baseFleet, Options{})
	ids := idsOf(t, h.srv)
	h.srv.ResetLog()
	res := h.run(t, fleet("", "10.1.0.2:3128", true), Options{})
	want := []string{
		"alpha/configuration:unchanged", "alpha/platform script:unchanged", "alpha/remediation:unchanged",
		"beta/configuration:update omaSettings[0].value",
		"beta/platform script:update scriptContent",
		"beta/remediation:update detectionScriptContent,remediationScriptContent",
		"delta/configuration:unchanged", "delta/platform script:unchanged", "delta/remediation:unchanged",
	}
	if got := actions(res); !slices.Equal(got, want) {
		t.Errorf("plan:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	wantWrites := []string{}
	for _, c := range []string{fakegraph.Configurations, fakegraph.Scripts, fakegraph.HealthScripts} {
		wantWrites = append(wantWrites, "PATCH "+c+"/"+ids["beta"+c])
	}
	sort.Strings(wantWrites)
	if got := writes(h.srv); !slices.Equal(got, wantWrites) {
		t.Errorf("writes:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(wantWrites, "\n"))
	}
	if !reflect.DeepEqual(idsOf(t, h.srv), ids) {
		t.Error("an update changed an object's id")
	}
}

func TestDryRunWritesNothing(t *testing.T) {
	h := newHarness(t)
	res := h.run(t, baseFleet, Options{DryRun: true, Prune: true})
	if w := h.srv.Writes(); len(w) > 0 || len(res.Items) != 9 || res.Items[0].Action != ActionCreate {
		t.Fatalf("dry run on an empty tenant: %d writes, plan %q", len(w), actions(res))
	}
	h.run(t, baseFleet, Options{})
	h.srv.ResetLog()
	res = h.run(t, fleet(`, displayName: "Alpha site"`, "10.1.0.9:3128", false), Options{DryRun: true, Prune: true})
	if w := writes(h.srv); len(w) > 0 {
		t.Errorf("dry run wrote: %s", strings.Join(w, "\n"))
	}
	got := strings.Join(actions(res), "\n")
	for _, want := range []string{"alpha/configuration:update displayName", "beta/platform script:update scriptContent", "delta/remediation:delete"} {
		if !strings.Contains(got, want) {
			t.Errorf("dry-run plan lacks %q:\n%s", want, got)
		}
	}
	var text, js strings.Builder
	if err := res.Write(&text, "text"); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(text.String(), "dry run: nothing was written") || !strings.Contains(text.String(), "changed: displayName") {
		t.Errorf("text plan:\n%s", text.String())
	}
	if err := res.Write(&js, "json"); err != nil {
		t.Fatal(err)
	}
	var back Result
	if err := json.Unmarshal([]byte(js.String()), &back); err != nil || !back.DryRun || len(back.Items) != len(res.Items) || back.Items[0].Changed[0] != "displayName" {
		t.Errorf("json plan does not round-trip (%v):\n%s", err, js.String())
	}
}

func TestRenamedDisplayNameUpdatesInPlace(t *testing.T) {
	h := newHarness(t)
	h.run(t, baseFleet, Options{})
	ids := idsOf(t, h.srv)
	h.srv.ResetLog()
	res := h.run(t, fleet(`, displayName: "Alpha site"`, "10.1.0.1:3128", true), Options{})
	var wantWrites []string
	for _, c := range []string{fakegraph.Configurations, fakegraph.Scripts, fakegraph.HealthScripts} {
		wantWrites = append(wantWrites, "PATCH "+c+"/"+ids["alpha"+c])
		if got := h.srv.Objects(c)[ids["alpha"+c]]["displayName"]; got != "Alpha site" {
			t.Errorf("%s: displayName %v", c, got)
		}
		if n := len(h.srv.Objects(c)); n != 3 {
			t.Errorf("%s holds %d objects after a rename; want 3", c, n)
		}
	}
	sort.Strings(wantWrites)
	if got := writes(h.srv); !slices.Equal(got, wantWrites) {
		t.Errorf("writes:\n%s\nwant:\n%s\nplan: %q", strings.Join(got, "\n"), strings.Join(wantWrites, "\n"), actions(res))
	}
}

func TestPruneDeletesOnlyMarkedOrphans(t *testing.T) {
	h := newHarness(t)
	h.run(t, baseFleet, Options{})
	ids := idsOf(t, h.srv)
	// Someone else's objects: same type and name, no marker; and a marker
	// on an object of another type, which is not ours either.
	foreign := h.srv.Seed(fakegraph.Configurations, map[string]any{
		"@odata.type": "#microsoft.graph.windows10CustomConfiguration", "displayName": "MDE proxy — delta", "description": "made by hand",
	})
	other := h.srv.Seed(fakegraph.Configurations, map[string]any{
		"@odata.type": "#microsoft.graph.windows10GeneralConfiguration", "displayName": "x", "description": "y\n" + intunegraph.Marker("delta"),
	})
	h.srv.ResetLog()
	noDelta := fleet("", "10.1.0.1:3128", false)
	res := h.run(t, noDelta, Options{})
	got := strings.Join(actions(res), "\n")
	if w := writes(h.srv); len(w) > 0 || !strings.Contains(got, "delta/configuration:orphaned\ndelta/platform script:orphaned\ndelta/remediation:orphaned") {
		t.Fatalf("without --prune: writes %q, plan:\n%s", w, got)
	}
	res = h.run(t, noDelta, Options{Prune: true})
	var wantWrites []string
	for _, c := range []string{fakegraph.Configurations, fakegraph.Scripts, fakegraph.HealthScripts} {
		wantWrites = append(wantWrites, "DELETE "+c+"/"+ids["delta"+c])
	}
	sort.Strings(wantWrites)
	if got := writes(h.srv); !slices.Equal(got, wantWrites) {
		t.Errorf("--prune wrote:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(wantWrites, "\n"))
	}
	left := h.srv.Objects(fakegraph.Configurations)
	if left[foreign] == nil || left[other] == nil || len(left) != 4 {
		t.Errorf("--prune left %d configurations; foreign kept: %v, other type kept: %v", len(left), left[foreign] != nil, left[other] != nil)
	}
	if res.Failed() {
		t.Errorf("prune failed: %q", actions(res))
	}
}

func TestGraphErrorOnOneProfileLetsTheOthersProceed(t *testing.T) {
	h := newHarness(t)
	h.srv.Fail = func(method, path string, body map[string]any) *fakegraph.Failure {
		if method == http.MethodPost && path == fakegraph.Configurations && body["displayName"] == "MDE proxy — beta" {
			return &fakegraph.Failure{Status: http.StatusForbidden, Code: "Forbidden", Message: "Application is not authorized to perform this operation."}
		}
		return nil
	}
	res := h.run(t, baseFleet, Options{})
	if !res.Failed() {
		t.Fatal("the run did not fail")
	}
	var failed []Item
	for _, it := range res.Items {
		if it.Error != "" {
			failed = append(failed, it)
		} else if !it.Done {
			t.Errorf("%s %s was not published", it.Profile, it.Object)
		}
	}
	if len(failed) != 1 {
		t.Fatalf("failed items: %+v", failed)
	}
	msg := failed[0].Error
	for _, want := range []string{"profile beta", `configuration "MDE proxy — beta"`, "HTTP 403", "Forbidden", "Application is not authorized to perform this operation."} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q does not name %q", msg, want)
		}
	}
	if n := len(h.srv.Objects(fakegraph.Configurations)); n != 2 {
		t.Errorf("%d configurations created; want alpha's and delta's", n)
	}
	if n := len(h.srv.Objects(fakegraph.Scripts)); n != 3 {
		t.Errorf("%d platform scripts created; want 3 (beta's too)", n)
	}
}

// TestThrottlingIsBounded: a request Graph keeps throttling fails after the
// bounded attempts, naming Graph's code, instead of retrying for ever.
func TestThrottlingIsBounded(t *testing.T) {
	h := newHarness(t)
	h.srv.ThrottleEvery = 1
	_, err := Run(context.Background(), h.client, compileFleet(t, baseFleet), withRender(t, Options{}))
	if err == nil || !strings.Contains(err.Error(), "TooManyRequests") || !strings.Contains(err.Error(), "after 5 attempts") {
		t.Errorf("err = %v", err)
	}
	if len(h.sleeps) != 4 {
		t.Errorf("waited %d times; want 4 (5 attempts)", len(h.sleeps))
	}
}

func TestProfileOf(t *testing.T) {
	for desc, want := range map[string]string{
		"x\n" + intunegraph.Marker("hq"):              "hq",
		"a\nmdeproxyc-profile: dc-offline":            "dc-offline",
		"mdeproxyc-profile: hq":                       "",
		"x\nmdeproxyc-profile: ":                      "",
		"x\nmdeproxyc-profile: a b":                   "",
		"x\n" + intunegraph.Marker("a") + "\ntrailer": "",
	} {
		got, ok := intunegraph.ProfileOf(desc)
		if got != want || ok != (want != "") {
			t.Errorf("ProfileOf(%q) = %q, %v; want %q", desc, got, ok, want)
		}
	}
}
