package publish

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/mdeproxyc/mdeproxyc/internal/fakegraph"
)

// TestInterruptFinishesTheRequestAndAccounts: a cancellation (the command's
// SIGINT/SIGTERM) arriving while beta's platform script is being created
// lets that request finish, sends nothing after it, and the result says what
// was created and assigned and which object was left unassigned.
func TestInterruptFinishesTheRequestAndAccounts(t *testing.T) {
	h := newHarness(t)
	h.srv.ThrottleEvery = 0
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	h.srv.Fail = func(method, path string, body map[string]any) *fakegraph.Failure {
		if method == http.MethodPost && path == fakegraph.Scripts && body["displayName"] == "MDE proxy — beta" {
			cancel()
		}
		return nil
	}
	res, err := Run(ctx, h.client, compileFleet(t, baseFleet), withRender(t, Options{}))
	if err != nil {
		t.Fatal(err)
	}
	if !res.Interrupted {
		t.Fatal("the result is not marked interrupted")
	}
	ids := idsOf(t, h.srv)
	betaScript := ids["beta"+fakegraph.Scripts]
	if betaScript == "" {
		t.Fatal("the request in flight did not finish: beta's platform script is not in Graph")
	}
	if a := h.srv.Assignments(fakegraph.Scripts, betaScript); len(a) != 0 {
		t.Errorf("beta's platform script was assigned after the interrupt: %v", a)
	}
	last := h.srv.Writes()[len(h.srv.Writes())-1]
	if last.Method != http.MethodPost || last.Path != fakegraph.Scripts {
		t.Errorf("a request was sent after the interrupted one: %s %s", last.Method, last.Path)
	}
	a := res.Account()
	if a.Created != 5 || a.Assigned != 4 || a.Updated != 0 || a.NotReached != 4 || !slices.Equal(a.Unassigned, []string{"beta platform script " + betaScript}) {
		t.Errorf("account %+v", a)
	}
	var text strings.Builder
	if err := res.Write(&text, "text"); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"interrupted: 5 created, 0 updated, 4 assigned, 0 deleted; 1 left unassigned, 4 not reached",
		"left unassigned: beta platform script " + betaScript,
		"skipped    delta",
	} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("the text lacks %q:\n%s", want, text.String())
		}
	}
}

// TestInterruptDuringPruneSkipsTheOtherDeletes: a cancellation arriving while
// --prune deletes the first orphan lets that DELETE finish and marks the
// orphans after it skipped (not failed), and the result interrupted.
func TestInterruptDuringPruneSkipsTheOtherDeletes(t *testing.T) {
	h := newHarness(t)
	h.srv.ThrottleEvery = 0
	h.run(t, baseFleet, Options{})
	h.srv.ResetLog()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	h.srv.Fail = func(method, path string, body map[string]any) *fakegraph.Failure {
		if method == http.MethodDelete {
			cancel()
		}
		return nil
	}
	res, err := Run(ctx, h.client, compileFleet(t, fleet("", "10.1.0.1:3128", false)), withRender(t, Options{Prune: true}))
	if err != nil {
		t.Fatal(err)
	}
	if !res.Interrupted {
		t.Fatal("the result is not marked interrupted")
	}
	if w := writes(h.srv); len(w) != 1 || !strings.HasPrefix(w[0], "DELETE ") {
		t.Errorf("writes after the interrupt: %q", w)
	}
	got := strings.Join(actions(res), "\n")
	if !strings.Contains(got, "delta/configuration:delete\ndelta/platform script:skipped\ndelta/remediation:skipped") {
		t.Errorf("plan:\n%s", got)
	}
}
