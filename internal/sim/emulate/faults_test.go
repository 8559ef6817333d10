package emulate

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestFaultSwitches(t *testing.T) {
	clock := NewManualClock(t0.Add(time.Hour))
	s := start(t, func(o *Options) { o.Clock = clock; noDelay(o); o.Budget = Budget{Requests: 100, Per: time.Minute} })
	for i := 0; i < 50; i++ {
		s.Add(signIn(i, t0.Add(time.Duration(i)*time.Second), "interactiveUser"))
	}
	tok := getToken(t, s, "https://graph.microsoft.com/.default")
	u := s.URL() + "/v1.0/auditLogs/signIns"
	// A fresh connection per request: Go's transport silently retries a GET whose
	// reused idle connection was reset, which would hide the fault.
	tr := s.Client().Transport.(*http.Transport).Clone()
	tr.DisableKeepAlives = true
	fresh := &http.Client{Transport: tr}
	do := func() (*http.Response, []byte, error) {
		req, _ := http.NewRequest(http.MethodGet, u, nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := fresh.Do(req)
		if err != nil {
			return nil, nil, err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		return resp, b, err
	}
	f := s.Faults()

	t.Run("throttle", func(t *testing.T) {
		f.SetThrottle(2, 7*time.Second)
		for i := 0; i < 2; i++ {
			if a := get(t, s, tok, u); a.status != 429 || a.header.Get("Retry-After") != "7" || a.errorCode(t) != "TooManyRequests" {
				t.Fatalf("throttled request %d: %d %q %s", i, a.status, a.header.Get("Retry-After"), a.body)
			}
		}
		if a := get(t, s, tok, u); a.status != 200 {
			t.Fatalf("after the throttled two: %d", a.status)
		}
	})
	t.Run("status", func(t *testing.T) {
		for _, c := range []struct {
			code int
			name string
		}{{500, "InternalServerError"}, {503, "ServiceUnavailable"}, {504, "GatewayTimeout"}} {
			f.SetStatus(c.code, 1)
			a := get(t, s, tok, u)
			if a.status != c.code || a.errorCode(t) != c.name || (c.code == 503) != (a.header.Get("Retry-After") != "") {
				t.Errorf("status %d: got %d %s Retry-After %q", c.code, a.status, a.body, a.header.Get("Retry-After"))
			}
		}
		if a := get(t, s, tok, u); a.status != 200 {
			t.Fatalf("after the status faults: %d", a.status)
		}
	})
	t.Run("reset", func(t *testing.T) {
		f.SetReset(1)
		resp, _, err := do()
		t.Logf("reset seen by the client as: %v", err)
		if err == nil || !strings.Contains(err.Error(), "reset") && !errors.Is(err, io.EOF) {
			t.Fatalf("reset: got %v, %v; want a connection reset", resp, err)
		}
		if _, _, err := do(); err != nil {
			t.Fatalf("after the reset: %v", err)
		}
	})
	t.Run("truncate", func(t *testing.T) {
		f.SetTruncate(1)
		resp, b, err := do()
		if err == nil {
			var v any
			err = json.Unmarshal(b, &v)
		}
		if !errors.Is(err, io.ErrUnexpectedEOF) {
			var se *json.SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("truncate: status %v, %d bytes, err %v; want a body cut short", resp, len(b), err)
			}
		}
		if _, b, err := do(); err != nil || !json.Valid(b) {
			t.Fatalf("after the truncation: %v", err)
		}
	})
	t.Run("slow", func(t *testing.T) {
		f.SetSlow(time.Minute)
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel()
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := s.Client().Do(req)
		if err == nil {
			resp.Body.Close()
			t.Fatalf("slow: answered %d within 100ms", resp.StatusCode)
		}
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("slow: %v, want the client's deadline", err)
		}
		f.Clear()
		if a := get(t, s, tok, u); a.status != 200 {
			t.Fatalf("after Clear: %d", a.status)
		}
	})
	st := s.Stats().Endpoints["signIns"]
	if st.Faults != 7 || st.Throttled != 2 {
		t.Errorf("stats = %+v, want 7 faults and 2 throttled", st)
	}
}

func TestFaultsSpareLogin(t *testing.T) {
	s := start(t, nil)
	s.Faults().SetStatus(503, 5)
	getToken(t, s, "https://graph.microsoft.com/.default") // fails the test if the fault hit it
}
