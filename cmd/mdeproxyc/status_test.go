package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/mdeproxyc/mdeproxyc/internal/fakegraph"
	"github.com/mdeproxyc/mdeproxyc/internal/intunegraph"
	"github.com/mdeproxyc/mdeproxyc/publish"
)

// TestStatusIntuneCLI: before publishing every profile is "not published"
// (exit 0: no device fails); after, a device reporting a reoccurring issue
// makes the exit code 1, in text and JSON; usage errors exit 2; a nextLink to
// another host is refused as in publish.
func TestStatusIntuneCLI(t *testing.T) {
	srv := fakegraph.New()
	defer srv.Close()
	t.Setenv(publish.TokenEnv, fakegraph.Token)
	status := func(args ...string) (int, string, string) {
		var out, errb bytes.Buffer
		code := run(append([]string{"status", "intune", "../../examples/contoso", "--graph-url", srv.URL}, args...), &out, &errb)
		return code, out.String(), errb.String()
	}
	code, out, stderr := status()
	if code != exitOK || strings.Count(out, ": not published") != 7 || !strings.Contains(out, "7 profiles, 7 not published") {
		t.Fatalf("before publishing: exit %d\n%s%s", code, out, stderr)
	}
	if code := run([]string{"publish", "intune", "../../examples/contoso", "--graph-url", srv.URL}, &bytes.Buffer{}, &bytes.Buffer{}); code != 0 {
		t.Fatal("publish failed")
	}
	if code, out, stderr := status(); code != exitOK || !strings.Contains(out, "7 profiles, 0 not published; 0 device reports") {
		t.Fatalf("after publishing: exit %d\n%s%s", code, out, stderr)
	}
	for id, o := range srv.Objects(fakegraph.HealthScripts) {
		if p, _ := intunegraph.ProfileOf(o["description"].(string)); p == "hq" {
			srv.SetSummary(fakegraph.HealthScripts, id, map[string]int{"noIssueDetectedDeviceCount": 40, "issueReoccurredDeviceCount": 3})
		}
	}
	code, out, stderr = status()
	if code != exitFail || !strings.Contains(out, "3 device reports of an error") {
		t.Errorf("a reoccurring issue: exit %d\n%s%s", code, out, stderr)
	}
	code, out, _ = status("--format", "json")
	var st publish.Status
	if err := json.Unmarshal([]byte(out), &st); code != exitFail || err != nil || len(st.Profiles) != 7 {
		t.Fatalf("json: exit %d, %v\n%s", code, err, out)
	}
	for _, p := range st.Profiles {
		if p.Profile == "hq" && (p.Remediation == nil || p.Remediation.IssueReoccurredDeviceCount != 3 || p.Remediation.NoIssueDetectedDeviceCount != 40 || p.Failing != 3) {
			t.Errorf("hq: %+v", p)
		}
	}

	for _, args := range [][]string{{"--format", "yaml"}, {"--graph-url", "http://graph.example.com"}} {
		if code, _, stderr := status(args...); code != exitUsage {
			t.Errorf("%q: exit %d\n%s", args, code, stderr)
		}
	}
	var errb bytes.Buffer
	if code := run([]string{"status", "../../examples/contoso"}, &bytes.Buffer{}, &errb); code != exitUsage || !strings.Contains(errb.String(), "status intune") {
		t.Errorf("status without a channel: exit %d, %s", code, errb.String())
	}

	sink := fakegraph.NewSink()
	defer sink.Close()
	srv.PageSize, srv.NextLinkBase = 1, sink.URL
	if code, _, stderr := status(); code != exitFail || !strings.Contains(stderr, sink.URL) || len(sink.Requests()) > 0 {
		t.Errorf("a nextLink to another host: exit %d, %d requests there\n%s", code, len(sink.Requests()), stderr)
	}
}
