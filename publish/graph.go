package publish

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/mdeproxyc/mdeproxyc/diag"
)

// DefaultGraphURL is the Microsoft Graph endpoint of the global cloud.
const DefaultGraphURL = "https://graph.microsoft.com"

// TokenSource returns a bearer token for Microsoft Graph.
type TokenSource func(ctx context.Context) (string, error)

// Client sends requests to Microsoft Graph: it adds the bearer token, retries
// throttled requests and follows @odata.nextLink (docs/intune-publish.md).
// The token goes only to the origin (scheme, host, port) of BaseURL: a
// nextLink or a redirect anywhere else is an error and nothing is sent there.
type Client struct {
	// BaseURL is the Graph root without a version (https://graph.microsoft.com);
	// CheckGraphURL is what the command accepts.
	BaseURL string
	Token   TokenSource
	HTTP    *http.Client
	// MaxAttempts bounds the tries of one request, throttled or not; 0 means 5.
	MaxAttempts int
	// Sleep waits before a retry; nil uses a timer that honours ctx. Tests
	// replace it to record the waits without spending them.
	Sleep func(ctx context.Context, d time.Duration) error
	// MaxWait caps one wait, whatever Retry-After asks; 0 means 2 minutes.
	MaxWait time.Duration
	// MaxPages bounds the pages of one list; 0 means DefaultMaxPages.
	MaxPages int
}

// DefaultMaxPages bounds a list: Graph's pages hold 25 to 1,000 objects, so
// this is millions of objects, far above any tenant's Intune policies, and
// a server that pages for ever stops here with an error.
const DefaultMaxPages = 2000

// GraphError is a request Graph refused: the HTTP status and Graph's own
// error code and message.
type GraphError struct {
	Method, URL string
	Status      int
	Code        string
	Message     string
}

// Error names the request and what Graph said, Graph's text escaped
// (diag.Escape): it comes from the network and is printed to terminals and CI
// logs, where an escape sequence or a line starting "::error::" would act.
func (e *GraphError) Error() string {
	code := e.Code
	if code == "" {
		code = http.StatusText(e.Status)
	}
	msg := e.Message
	if msg == "" {
		msg = "(no message)"
	}
	return fmt.Sprintf("%s %s: HTTP %d, Graph error %s: %s", e.Method, diag.Escape(e.URL), e.Status, diag.Escape(code), diag.Escape(msg))
}

// OriginError is a URL Graph gave (a nextLink, a redirect) that leaves the
// origin of --graph-url; the request is not sent.
type OriginError struct {
	What, Host, Want string
}

func (e *OriginError) Error() string {
	return fmt.Sprintf("%s points to %s, not to %s: not followed, so that the Graph token goes nowhere else", e.What, diag.Escape(e.Host), e.Want)
}

// CheckGraphURL checks a --graph-url: https (plain http only for a loopback
// address, where tests and local proxies listen), no user info, no query or
// fragment, no path but "/". It returns the URL without a trailing slash.
func CheckGraphURL(raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.Opaque != "" {
		return "", fmt.Errorf("--graph-url %s is not an absolute URL; allowed: https://HOST[:PORT], such as %s", strconv.Quote(raw), DefaultGraphURL)
	}
	if u.User != nil {
		// Not echoed: it may hold a password.
		return "", errors.New("--graph-url must not hold a user name or password; allowed: https://HOST[:PORT]")
	}
	if u.RawQuery != "" || u.ForceQuery || u.Fragment != "" {
		return "", fmt.Errorf("--graph-url %s has a query or fragment; allowed: https://HOST[:PORT]", strconv.Quote(raw))
	}
	if p := strings.TrimRight(u.EscapedPath(), "/"); p != "" {
		return "", fmt.Errorf("--graph-url %s has a path (%s); allowed: https://HOST[:PORT] (publish adds /v1.0 and /beta itself)", strconv.Quote(raw), strconv.Quote(p))
	}
	switch u.Scheme {
	case "https":
	case "http":
		if !loopback(u.Hostname()) {
			return "", fmt.Errorf("--graph-url %s is plain http: the token would cross the network in clear; allowed: https, or http to a loopback address (127.0.0.1, ::1, localhost)", strconv.Quote(raw))
		}
	default:
		return "", fmt.Errorf("--graph-url %s: scheme %s; allowed: https (http for loopback only)", strconv.Quote(raw), strconv.Quote(u.Scheme))
	}
	return u.Scheme + "://" + u.Host, nil
}

func loopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// origin is a URL's scheme, host and port, lower-cased, the default port
// written out.
func origin(u *url.URL) string {
	port := u.Port()
	if port == "" {
		port = map[string]string{"https": "443", "http": "80"}[strings.ToLower(u.Scheme)]
	}
	return strings.ToLower(u.Scheme) + "://" + strings.ToLower(u.Hostname()) + ":" + port
}

// sameOrigin checks that u (from Graph) is on the origin of BaseURL.
func (c *Client) sameOrigin(what, u string) (*url.URL, error) {
	base, err := url.Parse(c.BaseURL)
	if err != nil {
		return nil, err
	}
	p, err := url.Parse(u)
	if err != nil {
		return nil, fmt.Errorf("%s %s is not a URL", what, strconv.Quote(u))
	}
	if origin(p) != origin(base) || p.User != nil {
		return nil, &OriginError{What: what, Host: p.Scheme + "://" + p.Host, Want: base.Scheme + "://" + base.Host}
	}
	return p, nil
}

// Do sends one request with a JSON body (nil for none) and decodes a JSON
// answer into out (nil to discard it). path is relative to BaseURL
// ("/v1.0/deviceManagement/...") or an absolute URL Graph gave (a nextLink),
// which must be on BaseURL's origin.
func (c *Client) Do(ctx context.Context, method, path string, body []byte, out any) error {
	u := path
	if strings.Contains(path, "://") {
		if _, err := c.sameOrigin("Graph's @odata.nextLink", path); err != nil {
			return fmt.Errorf("%s %s: %w", method, diag.Escape(path), err)
		}
	} else {
		u = strings.TrimRight(c.BaseURL, "/") + path
	}
	attempts := c.MaxAttempts
	if attempts <= 0 {
		attempts = 5
	}
	for try := 1; ; try++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		status, data, header, err := c.send(ctx, method, u, body)
		if err != nil {
			return fmt.Errorf("%s %s: %w", method, diag.Escape(u), err)
		}
		if status < 300 {
			if out == nil || len(bytes.TrimSpace(data)) == 0 {
				return nil
			}
			if err := json.Unmarshal(data, out); err != nil {
				return fmt.Errorf("%s %s: the answer is not the JSON expected: %s", method, diag.Escape(u), diag.Escape(err.Error()))
			}
			return nil
		}
		// Graph asks clients to wait and retry on 429 and 503 (and 504 is
		// the same condition seen through a gateway).
		retryable := status == http.StatusTooManyRequests || status == http.StatusServiceUnavailable || status == http.StatusGatewayTimeout
		if retryable && try < attempts {
			if err := c.wait(ctx, retryAfter(header, try, c.maxWait())); err != nil {
				return err
			}
			continue
		}
		ge := &GraphError{Method: method, URL: u, Status: status}
		var e struct {
			Error struct {
				Code    string `json:"code"`
				Message string `json:"message"`
			} `json:"error"`
		}
		if json.Unmarshal(data, &e) == nil {
			ge.Code, ge.Message = e.Error.Code, e.Error.Message
		}
		if retryable {
			ge.Message += fmt.Sprintf(" (still throttled after %d attempts)", try)
		}
		return ge
	}
}

func (c *Client) send(ctx context.Context, method, u string, body []byte) (int, []byte, http.Header, error) {
	var r io.Reader
	if body != nil {
		r = bytes.NewReader(body)
	}
	// A request once sent is finished even when ctx is cancelled (a
	// signal): an abandoned POST may or may not have created its object,
	// a finished one says which. The client's timeout bounds it.
	req, err := http.NewRequestWithContext(context.WithoutCancel(ctx), method, u, r)
	if err != nil {
		return 0, nil, nil, err
	}
	tok, err := c.Token(ctx)
	if err != nil {
		return 0, nil, nil, fmt.Errorf("getting a Graph token: %w", err)
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	hc := http.Client{}
	if c.HTTP != nil {
		hc = *c.HTTP
	}
	// A redirect off the origin is refused before it is followed: Go's
	// client would drop the token there, but the request is not ours to send.
	hc.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if len(via) >= 10 {
			return errors.New("stopped after 10 redirects")
		}
		_, err := c.sameOrigin("a redirect", req.URL.String())
		return err
	}
	resp, err := hc.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return 0, nil, nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	return resp.StatusCode, data, resp.Header, err
}

func (c *Client) maxWait() time.Duration {
	if c.MaxWait <= 0 {
		return 2 * time.Minute
	}
	return c.MaxWait
}

// retryAfter is the wait Graph asked for in seconds, capped at max before
// it is turned into a Duration (a huge Retry-After must not overflow into no
// wait at all), or an exponential backoff (1, 2, 4… seconds) when it did not
// say.
func retryAfter(h http.Header, try int, max time.Duration) time.Duration {
	if s, err := strconv.ParseUint(strings.TrimSpace(h.Get("Retry-After")), 10, 64); err == nil {
		if s > uint64(max/time.Second) {
			return max
		}
		return time.Duration(s) * time.Second
	} else if errors.Is(err, strconv.ErrRange) {
		return max
	}
	if try > 30 {
		return max
	}
	return min(time.Second<<(try-1), max)
}

// wait sleeps d, which retryAfter has already capped at maxWait.
func (c *Client) wait(ctx context.Context, d time.Duration) error {
	if c.Sleep != nil {
		return c.Sleep(ctx, d)
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// List reads every page of a collection, following @odata.nextLink on the
// same origin, at most MaxPages pages.
func (c *Client) List(ctx context.Context, path string) ([]map[string]any, error) {
	limit := c.MaxPages
	if limit <= 0 {
		limit = DefaultMaxPages
	}
	var all []map[string]any
	seen := map[string]bool{}
	pages := 0
	for next := path; next != ""; {
		if seen[next] {
			return nil, fmt.Errorf("GET %s: Graph returned the same @odata.nextLink twice", diag.Escape(next))
		}
		if pages == limit {
			return nil, fmt.Errorf("GET %s: Graph still gave an @odata.nextLink after %d pages (%d objects); stopped there, since no tenant's Intune list is that long", path, limit, len(all))
		}
		seen[next] = true
		pages++
		var page struct {
			Value    []map[string]any `json:"value"`
			NextLink string           `json:"@odata.nextLink"`
		}
		if err := c.Do(ctx, http.MethodGet, next, nil, &page); err != nil {
			return nil, err
		}
		all = append(all, page.Value...)
		next = page.NextLink
	}
	return all, nil
}

// Get reads one object.
func (c *Client) Get(ctx context.Context, path string) (map[string]any, error) {
	var obj map[string]any
	err := c.Do(ctx, http.MethodGet, path, nil, &obj)
	return obj, err
}

// idSyntax is what an Intune object id from Graph may be before it goes into
// a request path: Graph gives GUIDs (and assignment ids of GUIDs joined by
// '_'). No '/', '.', '%' or control character can reach a path this way: an
// empty id would name the collection itself, ".." its parent.
var idSyntax = regexp.MustCompile(`^[0-9A-Za-z_-]{1,128}$`)

// checkID checks an id from Graph against idSyntax.
func checkID(what, id string) error {
	if !idSyntax.MatchString(id) {
		return fmt.Errorf("Graph gave the %s the id %s, which is not an Intune object id (allowed: 1 to 128 letters, digits, '-' and '_'); it is not used in a request", what, strconv.Quote(id))
	}
	return nil
}

// pathEscape escapes one path segment (an object ID already checked).
func pathEscape(s string) string { return url.PathEscape(s) }
