package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/mdeproxyc/mdeproxyc/internal/fakegraph"
	"github.com/mdeproxyc/mdeproxyc/publish"
)

// TestPublishIntuneCLI runs `mdeproxyc publish intune` on the example fleet
// against a fake Graph: the dry run plans 21 creations (7 Windows profiles with Intune) and writes nothing, the
// run publishes them, the next run finds nothing to do, and a Graph error
// exits 1 naming the profile and Graph's code.
func TestPublishIntuneCLI(t *testing.T) {
	srv := fakegraph.New()
	defer func() { srv.Close() }()
	srv.ThrottleEvery, srv.RetryAfter = 11, "0"
	t.Setenv(publish.TokenEnv, fakegraph.Token)
	mdeproxyc := func(args ...string) (int, string, string) {
		var out, errb bytes.Buffer
		code := run(append([]string{"publish", "intune", "../../examples/contoso", "--graph-url", srv.URL}, args...), &out, &errb)
		return code, out.String(), errb.String()
	}

	code, out, stderr := mdeproxyc("--dry-run", "--format", "json")
	var plan publish.Result
	if err := json.Unmarshal([]byte(out), &plan); code != 0 || err != nil || len(plan.Items) != 21 || !plan.DryRun {
		t.Fatalf("dry run: exit %d, %d items (%v)\n%s", code, len(plan.Items), err, stderr)
	}
	for _, it := range plan.Items {
		if it.Action != publish.ActionCreate {
			t.Errorf("dry run on an empty tenant: %s %s %s", it.Profile, it.Object, it.Action)
		}
	}
	if w := srv.Writes(); len(w) > 0 {
		t.Errorf("--dry-run wrote %d times", len(w))
	}

	if code, out, stderr := mdeproxyc(); code != 0 || !strings.HasSuffix(out, "21 create\n") {
		t.Fatalf("publish: exit %d\n%s%s", code, out, stderr)
	}
	srv.ResetLog()
	if code, out, stderr := mdeproxyc(); code != 0 || !strings.HasSuffix(out, "21 unchanged\n") || len(srv.Writes()) > 0 {
		t.Errorf("second publish: exit %d, %d writes\n%s%s", code, len(srv.Writes()), out, stderr)
	}
	if throttled, _ := srv.Stats(); throttled == 0 {
		t.Error("the fake never throttled the CLI")
	}

	// A fresh tenant where Graph refuses hq's remediation.
	srv.Close()
	srv = fakegraph.New()
	srv.Fail = func(method, path string, body map[string]any) *fakegraph.Failure {
		if method == http.MethodPost && path == fakegraph.HealthScripts && body["displayName"] == "MDE proxy — hq" {
			return &fakegraph.Failure{Status: http.StatusBadRequest, Code: "BadRequest", Message: "detectionScriptContent is too large"}
		}
		return nil
	}
	code, out, stderr = mdeproxyc()
	if code != exitFail || !strings.Contains(stderr, `profile hq: remediation "MDE proxy — hq"`) || !strings.Contains(stderr, "BadRequest: detectionScriptContent is too large") ||
		!strings.HasSuffix(out, "21 create, 1 failed\n") {
		t.Errorf("a Graph error: exit %d\n%s%s", code, out, stderr)
	}

	if code, _, stderr := mdeproxyc("--format", "yaml"); code != exitUsage || !strings.Contains(stderr, "unknown format") {
		t.Errorf("--format yaml: exit %d, %s", code, stderr)
	}
	var errb bytes.Buffer
	if code := run([]string{"publish", "../../examples/contoso"}, &bytes.Buffer{}, &errb); code != exitUsage || !strings.Contains(errb.String(), "publish intune") {
		t.Errorf("publish without a channel: exit %d, %s", code, errb.String())
	}
}
