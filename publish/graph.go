package publish

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// DefaultGraphURL is the Microsoft Graph endpoint of the global cloud.
const DefaultGraphURL = "https://graph.microsoft.com"

// TokenSource returns a bearer token for Microsoft Graph.
type TokenSource func(ctx context.Context) (string, error)

// Client sends requests to Microsoft Graph: it adds the bearer token, retries
// throttled requests and follows @odata.nextLink (docs/intune-publish.md).
type Client struct {
	// BaseURL is the Graph root without a version (https://graph.microsoft.com).
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
}

// GraphError is a request Graph refused: the HTTP status and Graph's own
// error code and message.
type GraphError struct {
	Method, URL string
	Status      int
	Code        string
	Message     string
}

func (e *GraphError) Error() string {
	code := e.Code
	if code == "" {
		code = http.StatusText(e.Status)
	}
	msg := e.Message
	if msg == "" {
		msg = "(no message)"
	}
	return fmt.Sprintf("%s %s: HTTP %d, Graph error %s: %s", e.Method, e.URL, e.Status, code, msg)
}

// Do sends one request with a JSON body (nil for none) and decodes a JSON
// answer into out (nil to discard it). path is relative to BaseURL
// ("/v1.0/deviceManagement/...") or an absolute URL Graph gave (a nextLink).
func (c *Client) Do(ctx context.Context, method, path string, body []byte, out any) error {
	u := path
	if !strings.HasPrefix(path, "http://") && !strings.HasPrefix(path, "https://") {
		u = strings.TrimRight(c.BaseURL, "/") + path
	}
	attempts := c.MaxAttempts
	if attempts <= 0 {
		attempts = 5
	}
	for try := 1; ; try++ {
		status, data, header, err := c.send(ctx, method, u, body)
		if err != nil {
			return fmt.Errorf("%s %s: %w", method, u, err)
		}
		if status < 300 {
			if out == nil || len(bytes.TrimSpace(data)) == 0 {
				return nil
			}
			if err := json.Unmarshal(data, out); err != nil {
				return fmt.Errorf("%s %s: the answer is not the JSON expected: %v", method, u, err)
			}
			return nil
		}
		// Graph asks clients to wait and retry on 429 and 503 (and 504 is
		// the same condition seen through a gateway).
		retryable := status == http.StatusTooManyRequests || status == http.StatusServiceUnavailable || status == http.StatusGatewayTimeout
		if retryable && try < attempts {
			if err := c.wait(ctx, retryAfter(header, try)); err != nil {
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
	req, err := http.NewRequestWithContext(ctx, method, u, r)
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
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return 0, nil, nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	return resp.StatusCode, data, resp.Header, err
}

// retryAfter is the wait Graph asked for in seconds, or an exponential
// backoff (1, 2, 4… seconds) when it did not say.
func retryAfter(h http.Header, try int) time.Duration {
	if s, err := strconv.Atoi(strings.TrimSpace(h.Get("Retry-After"))); err == nil && s >= 0 {
		return time.Duration(s) * time.Second
	}
	return time.Second << (try - 1)
}

func (c *Client) wait(ctx context.Context, d time.Duration) error {
	max := c.MaxWait
	if max <= 0 {
		max = 2 * time.Minute
	}
	d = min(d, max)
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

// List reads every page of a collection, following @odata.nextLink.
func (c *Client) List(ctx context.Context, path string) ([]map[string]any, error) {
	var all []map[string]any
	seen := map[string]bool{}
	for next := path; next != ""; {
		if seen[next] {
			return nil, fmt.Errorf("GET %s: Graph returned the same @odata.nextLink twice", next)
		}
		seen[next] = true
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

// pathEscape escapes one path segment (an object ID).
func pathEscape(s string) string { return url.PathEscape(s) }
