package publish

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/mdeproxyc/mdeproxyc/internal/fakegraph"
)

// hostile is the text a hostile Graph puts in its errors: an escape sequence
// that would recolour a terminal, and a line that GitHub Actions would run
// as a workflow command.
const hostile = "\x1b[31mred\x1b]0;title\a\n::error::pwned\r\n::add-mask::x"

// clean reports what in s would act on a terminal or a CI log.
func clean(t *testing.T, what, s string) {
	t.Helper()
	for _, bad := range []string{"\x1b", "\a", "\r", "\n::"} {
		if strings.Contains(s, bad) {
			t.Errorf("%s holds %q raw:\n%s", what, bad, s)
		}
	}
	if strings.HasPrefix(s, "::") {
		t.Errorf("%s starts a workflow command:\n%s", what, s)
	}
}

// TestTokenStaysOnTheGraphOrigin: a nextLink or a redirect to another host
// (another port of the loopback address is another origin) is an error that
// names that host, and no request, with or without the token, reaches it.
func TestTokenStaysOnTheGraphOrigin(t *testing.T) {
	for _, mode := range []string{"nextLink", "redirect"} {
		t.Run(mode, func(t *testing.T) {
			h := newHarness(t)
			h.srv.ThrottleEvery = 0
			sink := fakegraph.NewSink()
			defer sink.Close()
			h.run(t, baseFleet, Options{}) // objects, so that lists have pages
			if mode == "nextLink" {
				h.srv.NextLinkBase = sink.URL
			} else {
				h.srv.RedirectTo = sink.URL
			}
			_, err := Run(context.Background(), h.client, compileFleet(t, baseFleet), withRender(t, Options{}))
			var oe *OriginError
			if !errors.As(err, &oe) || !strings.Contains(err.Error(), sink.URL) || !strings.Contains(err.Error(), "not followed") {
				t.Fatalf("err = %v; want an OriginError naming %s", err, sink.URL)
			}
			if n := len(sink.Requests()); n > 0 {
				t.Errorf("%d requests reached the other host (first Authorization: %q)", n, sink.Requests()[0].Get("Authorization"))
			}
		})
	}
}

// TestSameOriginNextLinkIsFollowed: the origin check compares scheme, host
// and port, so Graph's own nextLinks (the default port written out or not,
// the host in another case) are followed.
func TestSameOriginNextLinkIsFollowed(t *testing.T) {
	c := &Client{BaseURL: "https://graph.microsoft.com"}
	for _, u := range []string{"https://graph.microsoft.com/v1.0/x?$skiptoken=1", "https://GRAPH.microsoft.com:443/beta/y"} {
		if _, err := c.sameOrigin("nextLink", u); err != nil {
			t.Errorf("%s: %v", u, err)
		}
	}
	for _, u := range []string{"http://graph.microsoft.com/v1.0/x", "https://graph.microsoft.com:8443/x", "https://graph.microsoft.com.evil.example/x", "https://user@graph.microsoft.com/x"} {
		if _, err := c.sameOrigin("nextLink", u); err == nil {
			t.Errorf("%s was accepted", u)
		}
	}
}

// TestEndlessPagingStops: a Graph that pages for ever is stopped at the page
// cap with an error that says so.
func TestEndlessPagingStops(t *testing.T) {
	h := newHarness(t)
	h.srv.ThrottleEvery = 0
	h.srv.EndlessPages = true
	h.client.MaxPages = 50
	_, err := Run(context.Background(), h.client, compileFleet(t, baseFleet), withRender(t, Options{}))
	if err == nil || !strings.Contains(err.Error(), "after 50 pages") {
		t.Fatalf("err = %v", err)
	}
	if n := len(h.srv.Log()); n != 50 {
		t.Errorf("%d pages read; want the cap, 50", n)
	}
}

// TestRetryAfterIsCappedWithoutOverflow: Retry-After values that overflow a
// Duration in seconds wait the cap, not nothing.
func TestRetryAfterIsCappedWithoutOverflow(t *testing.T) {
	max := 2 * time.Minute
	for ra, want := range map[string]time.Duration{
		"9300000000":           max,
		"99999999999999999999": max,
		"9223372036":           max,
		"3":                    3 * time.Second,
		"0":                    0,
		"-5":                   time.Second, // not a delay: backoff
		"":                     time.Second,
	} {
		h := http.Header{}
		if ra != "" {
			h.Set("Retry-After", ra)
		}
		if got := retryAfter(h, 1, max); got != want {
			t.Errorf("Retry-After %q: wait %v; want %v", ra, got, want)
		}
	}
	if got := retryAfter(http.Header{}, 80, max); got != max {
		t.Errorf("backoff at try 80: %v; want the cap", got)
	}

	h := newHarness(t)
	h.srv.ThrottleEvery = 3
	h.srv.RetryAfter = "9300000000"
	h.run(t, baseFleet, Options{})
	if len(h.sleeps) == 0 {
		t.Fatal("never throttled")
	}
	for _, d := range h.sleeps {
		if d != max {
			t.Errorf("waited %v for Retry-After 9300000000; want the cap %v", d, max)
		}
	}
}

// TestGraphTextIsEscaped: Graph's error code and message, a hostile object
// id and a hostile marker never reach the text plan or an error raw.
func TestGraphTextIsEscaped(t *testing.T) {
	h := newHarness(t)
	h.srv.ThrottleEvery = 0
	h.srv.Fail = func(method, path string, body map[string]any) *fakegraph.Failure {
		if method == http.MethodPost && path == fakegraph.Scripts {
			return &fakegraph.Failure{Status: http.StatusBadRequest, Code: "Bad\x1b[2JCode", Message: hostile}
		}
		return nil
	}
	// A marked object with a hostile profile name in its marker (no space
	// or line break, which the marker refuses, but escapes).
	h.srv.Seed(fakegraph.HealthScripts, map[string]any{
		"@odata.type": "#microsoft.graph.deviceHealthScript", "displayName": "x\x1b[31m",
		"description": "d\nmdeproxyc-profile: evil\x1b]0;owned\a::error::x",
	})
	res := h.run(t, baseFleet, Options{})
	var text strings.Builder
	if err := res.Write(&text, "text"); err != nil {
		t.Fatal(err)
	}
	clean(t, "the text plan", text.String())
	if !strings.Contains(text.String(), `Bad\x1b[2JCode`) || !strings.Contains(text.String(), `\n::error::pwned`) {
		t.Errorf("the text plan does not show Graph's error escaped:\n%s", text.String())
	}
	for _, it := range res.Items {
		clean(t, "an item's error", it.Error)
	}
	var js strings.Builder
	if err := res.Write(&js, "json"); err != nil {
		t.Fatal(err)
	}
	clean(t, "the JSON plan", js.String())
}

// TestOddIDsAreNotUsedInPaths: ids Graph gives are matched against the id
// syntax before they go into a request path: an empty id (DELETE on the
// collection), "..", a '/' or an escape sequence is an error naming the id,
// and no request is made with it.
func TestOddIDsAreNotUsedInPaths(t *testing.T) {
	for _, id := range []string{"", "..", "a/../../x", "x?y=1", "\x1b[31m", strings.Repeat("a", 129)} {
		h := newHarness(t)
		h.srv.ThrottleEvery = 0
		h.srv.SeedID(fakegraph.HealthScripts, id, map[string]any{
			"@odata.type": "#microsoft.graph.deviceHealthScript", "displayName": "orphan", "description": "d\nmdeproxyc-profile: gone",
		})
		h.srv.SeedID(fakegraph.Scripts, id, map[string]any{
			"@odata.type": "#microsoft.graph.deviceManagementScript", "displayName": "ours", "description": "d\nmdeproxyc-profile: alpha",
		})
		res := h.run(t, baseFleet, Options{Prune: true})
		for _, r := range h.srv.Seen() {
			method, path, _ := strings.Cut(r, " ")
			for _, c := range []string{fakegraph.Configurations, fakegraph.Scripts, fakegraph.HealthScripts} {
				rest, ok := strings.CutPrefix(path, c)
				if !ok {
					continue
				}
				seg, _, _ := strings.Cut(strings.TrimPrefix(rest, "/"), "/")
				if rest == "/" || rest != "" && !idSyntax.MatchString(seg) || method == http.MethodDelete && rest == "" {
					t.Errorf("id %q: request %s", id, r)
				}
			}
		}
		var errs []string
		for _, it := range res.Items {
			if it.Error != "" {
				errs = append(errs, it.Profile+"/"+it.Object+": "+it.Error)
			}
			clean(t, "an item's error", it.Error)
		}
		got := strings.Join(errs, "\n")
		if len(errs) != 2 || !strings.Contains(got, "alpha/platform script") || !strings.Contains(got, "gone/remediation") || !strings.Contains(got, "not an Intune object id") {
			t.Errorf("id %q: errors\n%s", id, got)
		}
	}
}

// TestCheckGraphURL: https, plain http to loopback only, no user info (not
// echoed), no query, no path.
func TestCheckGraphURL(t *testing.T) {
	for raw, want := range map[string]string{
		"https://graph.microsoft.com":   "https://graph.microsoft.com",
		"https://graph.microsoft.us/":   "https://graph.microsoft.us",
		"http://127.0.0.1:8080":         "http://127.0.0.1:8080",
		"http://[::1]:8080/":            "http://[::1]:8080",
		"http://localhost:1":            "http://localhost:1",
		"https://graph.microsoft.com:8": "https://graph.microsoft.com:8",
	} {
		if got, err := CheckGraphURL(raw); err != nil || got != want {
			t.Errorf("CheckGraphURL(%q) = %q, %v; want %q", raw, got, err, want)
		}
	}
	for raw, why := range map[string]string{
		"http://graph.microsoft.com":               "plain http",
		"http://10.0.0.1":                          "plain http",
		"https://admin:s3cret@graph.microsoft.com": "user name or password",
		"https://graph.microsoft.com/?x=1":         "query",
		"https://graph.microsoft.com#f":            "query or fragment",
		"https://graph.microsoft.com/v1.0":         "path",
		"ftp://graph.microsoft.com":                "scheme",
		"graph.microsoft.com":                      "not an absolute URL",
	} {
		_, err := CheckGraphURL(raw)
		if err == nil || !strings.Contains(err.Error(), why) {
			t.Errorf("CheckGraphURL(%q) = %v; want an error saying %q", raw, err, why)
		}
		if err != nil && strings.Contains(err.Error(), "s3cret") {
			t.Errorf("the error echoes the password: %v", err)
		}
	}
}
