//go:build unix

package main

import (
	"bytes"
	"net/http"
	"os"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mdeproxyc/mdeproxyc/internal/fakegraph"
	"github.com/mdeproxyc/mdeproxyc/publish"
)

// TestPublishSIGTERMAccounts: a SIGTERM in the middle of the writes lets the
// request in flight finish, prints what was created, assigned and left
// unassigned, and exits 143.
func TestPublishSIGTERMAccounts(t *testing.T) {
	srv := fakegraph.New()
	defer srv.Close()
	t.Setenv(publish.TokenEnv, fakegraph.Token)
	posts := 0
	srv.Fail = func(method, path string, body map[string]any) *fakegraph.Failure {
		if method == http.MethodPost && path == fakegraph.Scripts {
			if posts++; posts == 2 {
				_ = syscall.Kill(os.Getpid(), syscall.SIGTERM)
				time.Sleep(100 * time.Millisecond) // the signal is delivered while the request is in flight
			}
		}
		return nil
	}
	var out, errb bytes.Buffer
	// runMain, not run: the signal is caught as the process's main does.
	code := runMain([]string{"publish", "intune", "../../examples/contoso", "--graph-url", srv.URL}, &out, &errb)
	if code != 143 || !strings.Contains(errb.String(), "interrupted (terminated)") {
		t.Fatalf("exit %d\n%s%s", code, out.String(), errb.String())
	}
	if !regexp.MustCompile(`interrupted: 5 created, 0 updated, 4 assigned, 0 deleted; 1 left unassigned, 16 not reached`).MatchString(out.String()) ||
		!strings.Contains(out.String(), "left unassigned: ") {
		t.Errorf("no account of the writes:\n%s", out.String())
	}
}
