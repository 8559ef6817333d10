package webhook

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/vigil-sec/vigil/internal/alert"
	"github.com/vigil-sec/vigil/internal/output"
)

// Sender posts alerts to one webhook.
type Sender struct {
	cfg    Config
	client *http.Client
	log    *slog.Logger
	now    func() time.Time
}

// New returns the sender of cfg. client may be nil (a client with cfg.Timeout).
func New(cfg Config, client *http.Client, log *slog.Logger) (*Sender, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("webhook %s: %w", cfg.Name, err)
	}
	if client == nil {
		client = &http.Client{Timeout: cfg.Timeout.D()}
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Sender{cfg: cfg, client: client, log: log.With("output", cfg.Name), now: time.Now}, nil
}

// Name is the output's name.
func (s *Sender) Name() string { return s.cfg.Name }

// Deliver posts the batch: one request for json, one per alert for Slack and Teams (in
// order; a failure stops there and the queue resends the batch, so a chat may show an
// alert twice). A 2xx answer is success; 400, 413, 415 and 422 (the receiver refuses the
// content) are permanent; every other answer is retried.
func (s *Sender) Deliver(ctx context.Context, alerts []alert.Alert) error {
	if s.cfg.Format == FormatJSON {
		return s.post(ctx, newJSONBody(s.now(), alerts), len(alerts))
	}
	for _, a := range alerts {
		var msg map[string]any
		if s.cfg.Format == FormatSlack {
			msg = slackMessage(a, s.cfg.ConsoleURL)
		} else {
			msg = teamsMessage(a, s.cfg.ConsoleURL)
		}
		if err := s.post(ctx, msg, 1); err != nil {
			return fmt.Errorf("alert %s: %w", a.ID, err)
		}
	}
	return nil
}

func (s *Sender) post(ctx context.Context, payload any, n int) error {
	body, err := json.Marshal(payload)
	if err != nil {
		return output.Permanent(fmt.Errorf("webhook %s: encode %d alerts: %w", s.cfg.Name, n, err))
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.cfg.URL, bytes.NewReader(body))
	if err != nil {
		return output.Permanent(fmt.Errorf("webhook %s: request: %w", s.cfg.Name, err))
	}
	for k, v := range s.cfg.Headers {
		req.Header.Set(k, v)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Vigil")
	if s.cfg.Secret != "" {
		ts := strconv.FormatInt(s.now().Unix(), 10)
		req.Header.Set(HeaderTimestamp, ts)
		req.Header.Set(HeaderSignature, Sign([]byte(s.cfg.Secret.Reveal()), ts, body))
	}
	resp, err := s.client.Do(req)
	if err != nil {
		// The URL may carry a secret (Slack, Teams): name the output, not the URL.
		var uerr *url.Error
		if errors.As(err, &uerr) {
			err = uerr.Err
		}
		return fmt.Errorf("webhook %s: post %d alerts: %w", s.cfg.Name, n, err)
	}
	defer resp.Body.Close()
	snippet, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20)) // reuse the connection
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return nil
	}
	err = fmt.Errorf("webhook %s: post %d alerts: %s: %s", s.cfg.Name, n, resp.Status, bytes.TrimSpace(snippet))
	switch resp.StatusCode {
	case http.StatusBadRequest, http.StatusRequestEntityTooLarge, http.StatusUnsupportedMediaType, http.StatusUnprocessableEntity:
		// The receiver refuses this content: retrying it alone, then setting it aside,
		// lets the alerts behind it through.
		return output.Permanent(err)
	}
	// 5xx, 408 and 429 pass; 401, 403 and 404 are a wrong secret, token or URL, which the
	// operator fixes: retrying keeps the alerts instead of dead-lettering every one.
	return err
}

// Check opens a TCP connection to the URL's host, as `vigil config check --online` does:
// it posts nothing, so no receiver sees a test message.
func (s *Sender) Check(ctx context.Context) error {
	u, err := url.Parse(s.cfg.URL)
	if err != nil {
		return fmt.Errorf("webhook %s: url: %w", s.cfg.Name, err)
	}
	host := u.Host
	if u.Port() == "" {
		host = net.JoinHostPort(u.Hostname(), map[string]string{"http": "80", "https": "443"}[u.Scheme])
	}
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout.D())
	defer cancel()
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", host)
	if err != nil {
		return fmt.Errorf("webhook %s: connect %s: %w", s.cfg.Name, host, err)
	}
	return c.Close()
}

var _ output.Sender = (*Sender)(nil)
