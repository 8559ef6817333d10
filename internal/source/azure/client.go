package azure

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/vigil-sec/vigil/internal/source"
)

// maxPage bounds one page's body: Graph's largest pages (1,000 sign-ins) are a few MB.
const maxPage = 256 << 20

// Page is one page of a Graph or ARM list: its records as raw JSON and the link to the
// next page ("" on the last).
type Page struct {
	Values   []json.RawMessage
	NextLink string
}

// HTTPError is a reply other than 200, with the service's error code and message.
type HTTPError struct {
	Status  int
	Code    string // "Authorization_RequestDenied", "AuthorizationFailed", …
	Message string
	URL     string // without its query
}

func (e *HTTPError) Error() string {
	if e.Code == "" && e.Message == "" {
		return fmt.Sprintf("GET %s: HTTP %d", e.URL, e.Status)
	}
	return fmt.Sprintf("GET %s: HTTP %d %s: %s", e.URL, e.Status, e.Code, e.Message)
}

// Client makes authenticated GETs against one API (Graph or ARM) within a request budget.
type Client struct {
	HTTP   *http.Client
	Tokens *Tokens
	Budget *Limiter
	// Base is the API's base URL (the configured endpoint); Home is the cloud's own host
	// for it. A next link must point at Base or Home: one at Home is rewritten onto
	// Base (the service writes its public host even behind a proxy), any other host is
	// refused, so the bearer token never goes anywhere else.
	Base, Home string
}

// GetPage fetches one page of a list. A throttling reply (429, 503, 504) is a
// *source.RetryAfter with the server's wait; a 401 is tried once more with a fresh
// token; 401 and 403 are then source.Permanent around an
// *HTTPError; a body that ends early or does not parse is an error, so the caller keeps
// its cursor and the page is read again.
func (c *Client) GetPage(ctx context.Context, rawURL string) (Page, error) {
	resp, body, err := c.get(ctx, rawURL)
	if err == nil && resp.StatusCode == http.StatusUnauthorized {
		// The service refused a token the cache still holds good (clock skew, a revoked
		// session): one more try with a fresh token is part of this request.
		if err = c.Tokens.Renew(); err == nil {
			resp, body, err = c.get(ctx, rawURL)
		}
	}
	if err != nil {
		return Page{}, err
	}
	if resp.StatusCode != http.StatusOK {
		return Page{}, classify(resp, body, redact(rawURL))
	}
	if len(body) > maxPage {
		return Page{}, fmt.Errorf("GET %s: page larger than %d bytes", redact(rawURL), maxPage)
	}
	var p struct {
		Value     *[]json.RawMessage `json:"value"`
		ODataNext string             `json:"@odata.nextLink"`
		Next      string             `json:"nextLink"`
	}
	if err := json.Unmarshal(body, &p); err != nil {
		return Page{}, fmt.Errorf("GET %s: decode page (%d bytes): %w", redact(rawURL), len(body), err)
	}
	if p.Value == nil {
		return Page{}, fmt.Errorf("GET %s: page has no value array", redact(rawURL))
	}
	next := p.ODataNext
	if next == "" {
		next = p.Next
	}
	if next != "" {
		if next, err = c.follow(next); err != nil {
			return Page{}, fmt.Errorf("GET %s: %w", redact(rawURL), err)
		}
	}
	return Page{Values: *p.Value, NextLink: next}, nil
}

// follow checks a next link against Base and Home (see Client).
func (c *Client) follow(next string) (string, error) {
	if c.Base == "" {
		return next, nil
	}
	n, err := url.Parse(next)
	if err != nil || !n.IsAbs() {
		return "", fmt.Errorf("next link %q is not an absolute URL", redact(next))
	}
	base, err := url.Parse(c.Base)
	if err != nil {
		return "", fmt.Errorf("base %q: %w", c.Base, err)
	}
	if strings.EqualFold(n.Host, base.Host) && n.Scheme == base.Scheme {
		return next, nil
	}
	if home, err := url.Parse(c.Home); err == nil && c.Home != "" && strings.EqualFold(n.Host, home.Host) && n.Scheme == home.Scheme {
		n.Scheme, n.Host = base.Scheme, base.Host
		n.Path = strings.TrimSuffix(base.Path, "/") + n.Path
		return n.String(), nil
	}
	return "", fmt.Errorf("next link points at %s, not %s: refused, a token is sent with it", n.Host, base.Host)
}

// get sends one authenticated GET within the budget and reads its body.
func (c *Client) get(ctx context.Context, rawURL string) (*http.Response, []byte, error) {
	if err := c.Budget.Wait(ctx); err != nil {
		return nil, nil, err
	}
	tok, err := c.Tokens.Token(ctx)
	if err != nil {
		return nil, nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return nil, nil, fmt.Errorf("request %s: %w", redact(rawURL), err)
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Accept", "application/json")
	resp, err := c.HTTP.Do(req)
	if err != nil {
		// *url.Error quotes the URL; the query holds only filters, never a secret.
		return nil, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxPage+1))
	if err != nil {
		return nil, nil, fmt.Errorf("GET %s: read body: %w", redact(rawURL), err)
	}
	return resp, body, nil
}

// classify turns a failed reply into the error the supervisor acts on.
func classify(resp *http.Response, body []byte, where string) error {
	var e struct {
		Error struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	_ = json.Unmarshal(body, &e)
	he := &HTTPError{Status: resp.StatusCode, Code: e.Error.Code, Message: firstLine(e.Error.Message), URL: where}
	switch resp.StatusCode {
	case http.StatusTooManyRequests, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return &source.RetryAfter{Wait: throttleWait(resp.Header, time.Now()), Err: he}
	case http.StatusUnauthorized, http.StatusForbidden:
		return source.Permanent(he)
	}
	return he
}

// redact drops a URL's query (the filters and skip tokens make log lines long and say
// nothing about the failure).
func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(bad URL)"
	}
	u.RawQuery, u.User, u.Fragment = "", nil, ""
	return u.String()
}

// IsForbidden reports whether err is a 403 (a missing permission or licence).
func IsForbidden(err error) (*HTTPError, bool) {
	var he *HTTPError
	if errors.As(err, &he) && he.Status == http.StatusForbidden {
		return he, true
	}
	return nil, false
}
