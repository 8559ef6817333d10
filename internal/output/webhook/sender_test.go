package webhook

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigil-sec/vigil/internal/alert"
	"github.com/vigil-sec/vigil/internal/event"
	"github.com/vigil-sec/vigil/internal/output"
)

const secret = "s3cret-key"

type request struct {
	header http.Header
	body   []byte
}

// server records requests and answers with status.
type server struct {
	*httptest.Server
	mu     sync.Mutex
	reqs   []request
	status int
}

func newServer(t *testing.T) *server {
	s := &server{status: http.StatusNoContent}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		s.mu.Lock()
		s.reqs = append(s.reqs, request{header: r.Header.Clone(), body: body})
		status := s.status
		s.mu.Unlock()
		w.WriteHeader(status)
		fmt.Fprint(w, http.StatusText(status))
	}))
	t.Cleanup(s.Close)
	return s
}

func sample(n int) []alert.Alert {
	out := make([]alert.Alert, n)
	for i := range out {
		out[i] = alert.Alert{ID: fmt.Sprintf("a%02d", i), Title: "Sign-in <from> new country & ASN", Score: 80,
			Severity: alert.SeverityHigh, Rule: alert.Rule{ID: "new-country", Kind: alert.KindBehavior},
			Entity: event.UserEntity("bob@contoso.example"), Reason: "first sign-in from BR",
			Attack: []string{"T1078.004"}, Time: time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC), Occurrences: 2}
	}
	return out
}

func newSender(t *testing.T, url, format string) *Sender {
	t.Helper()
	cfg := DefaultConfig()
	cfg.Name, cfg.URL, cfg.Format, cfg.Secret = "hook", url, format, secret
	cfg.Headers = map[string]string{"Authorization": "Bearer abc"}
	cfg.ConsoleURL = "https://vigil.example/"
	s, err := New(cfg, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestJSONSignedBatch(t *testing.T) {
	srv := newServer(t)
	s := newSender(t, srv.URL, FormatJSON)
	if err := s.Deliver(context.Background(), sample(3)); err != nil {
		t.Fatal(err)
	}
	if len(srv.reqs) != 1 {
		t.Fatalf("%d requests, want one per batch", len(srv.reqs))
	}
	r := srv.reqs[0]
	ts, sig := r.header.Get(HeaderTimestamp), r.header.Get(HeaderSignature)
	if err := Verify([]byte(secret), ts, sig, r.body, time.Now(), 5*time.Minute); err != nil {
		t.Fatalf("receiver-side check: %v (ts %q sig %q)", err, ts, sig)
	}
	if !strings.HasPrefix(sig, "sha256=") || r.header.Get("Authorization") != "Bearer abc" || r.header.Get("Content-Type") != "application/json" {
		t.Errorf("headers %v", r.header)
	}
	var body struct {
		Alerts []struct {
			ID      string `json:"id"`
			Version string `json:"version"`
			Score   int    `json:"score"`
		} `json:"alerts"`
	}
	if err := json.Unmarshal(r.body, &body); err != nil {
		t.Fatal(err)
	}
	if len(body.Alerts) != 3 || body.Alerts[2].ID != "a02" || body.Alerts[0].Version != "2" || body.Alerts[0].Score != 80 {
		t.Errorf("body %s", r.body)
	}
	// A tampered body or a wrong key fails; an old request is refused as a replay.
	if err := Verify([]byte(secret), ts, sig, append(r.body, ' '), time.Now(), time.Minute); !errors.Is(err, ErrBadSignature) {
		t.Errorf("tampered body: %v", err)
	}
	if err := Verify([]byte("other"), ts, sig, r.body, time.Now(), time.Minute); !errors.Is(err, ErrBadSignature) {
		t.Errorf("wrong key: %v", err)
	}
	if err := Verify([]byte(secret), ts, sig, r.body, time.Now().Add(10*time.Minute), 5*time.Minute); !errors.Is(err, ErrStale) {
		t.Errorf("replay 10 minutes later: %v", err)
	}
}

func TestSignKnownValue(t *testing.T) {
	// HMAC-SHA256("key", "1700000000.{}"), computed independently with openssl:
	// printf '1700000000.{}' | openssl dgst -sha256 -hmac key
	if got, want := Sign([]byte("key"), "1700000000", []byte("{}")), "sha256="+knownHMAC; got != want {
		t.Errorf("Sign = %s, want %s", got, want)
	}
}

func TestStatusClasses(t *testing.T) {
	srv := newServer(t)
	s := newSender(t, srv.URL, FormatJSON)
	for status, permanent := range map[int]bool{500: false, 503: false, 429: false, 408: false, 401: false, 403: false, 404: false, 400: true, 413: true, 422: true} {
		srv.mu.Lock()
		srv.status = status
		srv.mu.Unlock()
		err := s.Deliver(context.Background(), sample(1))
		if err == nil || output.IsPermanent(err) != permanent {
			t.Errorf("status %d: error %v, permanent %v, want %v", status, err, output.IsPermanent(err), permanent)
		}
	}
	srv.Close()
	if err := s.Deliver(context.Background(), sample(1)); err == nil || output.IsPermanent(err) {
		t.Errorf("receiver down: %v (want a retryable error)", err)
	}
}

func TestSlackAndTeams(t *testing.T) {
	for _, format := range []string{FormatSlack, FormatTeams} {
		t.Run(format, func(t *testing.T) {
			srv := newServer(t)
			s := newSender(t, srv.URL, format)
			if err := s.Deliver(context.Background(), sample(2)); err != nil {
				t.Fatal(err)
			}
			if len(srv.reqs) != 2 {
				t.Fatalf("%d requests, want one per alert", len(srv.reqs))
			}
			var m map[string]any
			if err := json.Unmarshal(srv.reqs[0].body, &m); err != nil {
				t.Fatal(err)
			}
			body := string(srv.reqs[0].body)
			switch format {
			case FormatSlack:
				text := m["blocks"].([]any)[0].(map[string]any)["text"].(map[string]any)["text"].(string)
				if !strings.HasPrefix(text, "*<https://vigil.example/alerts/a00|Sign-in &lt;from&gt; new country &amp; ASN>* (high, score 80)") {
					t.Errorf("slack section %q", text)
				}
			case FormatTeams:
				att := m["attachments"].([]any)[0].(map[string]any)
				card := att["content"].(map[string]any)
				if m["type"] != "message" || att["contentType"] != "application/vnd.microsoft.card.adaptive" || card["type"] != "AdaptiveCard" ||
					!strings.Contains(body, `"title":"Entity","value":"user:bob@contoso.example"`) {
					t.Errorf("teams message %s", body)
				}
			}
		})
	}
}

func TestConfigValidate(t *testing.T) {
	cfg := DefaultConfig()
	cfg.URL, cfg.Format = "ftp://x", "xml"
	cfg.Headers = map[string]string{"Bad Header": "x"}
	err := cfg.Validate()
	for _, key := range []string{"url:", "format:", "headers:"} {
		if err == nil || !strings.Contains(err.Error(), key) {
			t.Errorf("%v does not name %s", err, key)
		}
	}
	cfg = DefaultConfig()
	cfg.URL = "https://hooks.example/x"
	if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), "secret: required") {
		t.Errorf("json without secret: %v", err)
	}
	cfg.Secret = "k"
	if err := cfg.Validate(); err != nil {
		t.Error(err)
	}
}

const knownHMAC = "9d713ed406bb7076d4123f0dc2c39d2df5c654ed4b0cd56b52c8b4c940bd63ae"

func TestCheck(t *testing.T) {
	srv := newServer(t)
	s := newSender(t, srv.URL, FormatJSON)
	if err := s.Check(context.Background()); err != nil {
		t.Fatal(err)
	}
	if len(srv.reqs) != 0 {
		t.Error("Check posted a request")
	}
	srv.Close()
	if err := s.Check(context.Background()); err == nil {
		t.Error("Check passed with the receiver down")
	}
}
