package azure

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/vigil-sec/vigil/internal/source"
)

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	cases := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"", 0, false},
		{"7", 7 * time.Second, true},
		{" 2.5 ", 2500 * time.Millisecond, true},
		{"-3", 0, false},
		{"soon", 0, false},
		{now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second, true},
		{now.Add(-time.Minute).Format(http.TimeFormat), 0, true},
		{"999999", time.Hour, true}, // capped
	}
	for _, c := range cases {
		got, ok := ParseRetryAfter(c.in, now)
		if got != c.want || ok != c.ok {
			t.Errorf("ParseRetryAfter(%q) = %s, %v; want %s, %v", c.in, got, ok, c.want, c.ok)
		}
	}
}

func TestBackoffAndJitterStayInBounds(t *testing.T) {
	for n := 0; n < 12; n++ {
		d := Backoff(n, time.Second, time.Minute)
		ceil := min(time.Second<<n, time.Minute)
		if d < ceil/2 || d > ceil {
			t.Fatalf("Backoff(%d) = %s, want in [%s, %s]", n, d, ceil/2, ceil)
		}
	}
	for i := 0; i < 100; i++ {
		if d := Jitter(10*time.Second, 0.2); d < 8*time.Second || d > 12*time.Second {
			t.Fatalf("Jitter = %s, want within ±20%% of 10s", d)
		}
	}
}

func TestClassifyReplies(t *testing.T) {
	reply := func(code int, h http.Header) *http.Response {
		if h == nil {
			h = http.Header{}
		}
		return &http.Response{StatusCode: code, Header: h}
	}
	body := []byte(`{"error":{"code":"Authorization_RequestDenied","message":"Insufficient privileges to complete the operation.\nline two"}}`)

	err := classify(reply(429, http.Header{"Retry-After": {"17"}}), body, "https://graph/x")
	var ra *source.RetryAfter
	if !errors.As(err, &ra) || ra.Wait != 17*time.Second {
		t.Fatalf("429: got %v, want RetryAfter 17s", err)
	}
	err = classify(reply(503, http.Header{"X-Ms-Retry-After-Ms": {"1500"}}), nil, "u")
	if !errors.As(err, &ra) || ra.Wait != 1500*time.Millisecond {
		t.Fatalf("503: got %v, want RetryAfter 1.5s", err)
	}
	err = classify(reply(504, nil), nil, "u")
	if !errors.As(err, &ra) || ra.Wait < 24*time.Second || ra.Wait > 36*time.Second {
		t.Fatalf("504 without header: got %v, want the default wait jittered", err)
	}
	err = classify(reply(403, nil), body, "https://graph/x")
	he, ok := IsForbidden(err)
	if !ok || !errors.Is(err, source.ErrPermanent) || he.Code != "Authorization_RequestDenied" || strings.Contains(he.Message, "line two") {
		t.Fatalf("403: got %v (%+v)", err, he)
	}
	if err := classify(reply(500, nil), nil, "u"); errors.Is(err, source.ErrPermanent) || errors.As(err, &ra) {
		t.Fatalf("500 must be a plain transient error, got %v", err)
	}
}

func TestCredentialsValidateNamesKeys(t *testing.T) {
	cases := []struct {
		c    Credentials
		want []string
	}{
		{Credentials{}, []string{"tenant_id: required", "client_id: required", "client_secret: required"}},
		{Credentials{Auth: AuthCertificate, TenantID: "t", ClientID: "c"}, []string{"certificate_file: required"}},
		{Credentials{Auth: "password", TenantID: "t"}, []string{"auth: unknown method"}},
		{Credentials{Auth: AuthManagedIdentity, TenantID: "t", Cloud: "mars"}, []string{"cloud: unknown cloud"}},
		{Credentials{TenantID: "t", ClientID: "c", ClientSecret: "s", LoginEndpoint: "http://login"}, []string{"login_endpoint:"}},
	}
	for _, c := range cases {
		err := c.c.Validate()
		for _, w := range c.want {
			if err == nil || !strings.Contains(err.Error(), w) {
				t.Errorf("Validate(%+v) = %v, want it to say %q", c.c, err, w)
			}
		}
	}
	ok := Credentials{TenantID: "t", ClientID: "c", ClientSecret: "s", Cloud: "usgov"}
	if err := ok.Validate(); err != nil {
		t.Fatal(err)
	}
	if ok.LoginURL() != "https://login.microsoftonline.us/" {
		t.Fatalf("usgov login = %s", ok.LoginURL())
	}
}

func TestCheckpointCarriesNewestIDs(t *testing.T) {
	base := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	st := &streamState{cursor: base, seen: map[string]time.Time{}}
	for i := 0; i < checkpointIDs+50; i++ {
		st.seen[string(rune('a'+i%26))+time.Duration(i).String()] = base.Add(time.Duration(i) * time.Second)
	}
	b, err := encodeCheckpoint(map[string]*streamState{"signins": st}, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	back, err := decodeCheckpoint(b)
	if err != nil {
		t.Fatal(err)
	}
	got := back["signins"]
	if !got.cursor.Equal(base) || len(got.seen) != checkpointIDs {
		t.Fatalf("cursor %s, %d ids; want %s, %d", got.cursor, len(got.seen), base, checkpointIDs)
	}
	for id, at := range st.seen {
		if _, kept := got.seen[id]; kept != !at.Before(base.Add(50*time.Second)) {
			t.Fatalf("id %s at %s: kept=%v; want only the newest %d", id, at, kept, checkpointIDs)
		}
	}
	if _, err := decodeCheckpoint([]byte(`{"version":9}`)); err == nil {
		t.Fatal("an unknown checkpoint version must be refused")
	}
}

func TestLimiterAllowsNoMoreThanNInAnyWindow(t *testing.T) {
	l := NewLimiter(5, 10*time.Second)
	t0 := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	for i := 0; i < 5; i++ {
		if d := l.reserve(t0.Add(time.Duration(i) * time.Second)); d != 0 {
			t.Fatalf("request %d of a budget of 5 had to wait %s", i+1, d)
		}
	}
	// The 6th may go only when the 1st has left the (5%-stretched) window.
	if d := l.reserve(t0.Add(6 * time.Second)); d != 4500*time.Millisecond {
		t.Fatalf("the 6th request at +6s waits %s, want 4.5s", d)
	}
	if d := l.reserve(t0.Add(10500 * time.Millisecond)); d != 0 {
		t.Fatalf("the 6th request at +10.5s waits %s", d)
	}
	if d := l.reserve(t0.Add(10600 * time.Millisecond)); d != 900*time.Millisecond {
		t.Fatalf("the 7th request waits %s, want until the 2nd leaves", d)
	}
	if d := NewLimiter(0, time.Second).reserve(t0); d != 0 {
		t.Fatalf("an unlimited budget made a request wait %s", d)
	}
	b := NewBudgets()
	if b.For("app@t/graph", 5, time.Second) != b.For("app@t/graph", 9, time.Second) || b.For("app@t/graph", 5, time.Second) == b.For("app@u/graph", 5, time.Second) {
		t.Fatal("budgets are not one per key")
	}
}

func TestNextLinksStayOnTheConfiguredHost(t *testing.T) {
	c := &Client{Base: "https://proxy.example:8443/graph", Home: "https://graph.microsoft.com"}
	cases := map[string]string{
		"https://proxy.example:8443/graph/v1.0/auditLogs/signIns?$skiptoken=x": "https://proxy.example:8443/graph/v1.0/auditLogs/signIns?$skiptoken=x",
		"https://graph.microsoft.com/v1.0/auditLogs/signIns?$skiptoken=y":      "https://proxy.example:8443/graph/v1.0/auditLogs/signIns?$skiptoken=y",
		"https://evil.example/v1.0/auditLogs/signIns":                          "",
		"http://graph.microsoft.com/v1.0/auditLogs/signIns":                    "",
		"/v1.0/relative": "",
	}
	for in, want := range cases {
		got, err := c.follow(in)
		if (want == "") != (err != nil) || got != want {
			t.Errorf("follow(%s) = %q, %v; want %q", in, got, err, want)
		}
	}
}

// BenchmarkCheckpointBigTenant is the checkpoint written with every page when each of
// seven streams remembers the most ids it may.
func BenchmarkCheckpointBigTenant(b *testing.B) {
	base := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	states := map[string]*streamState{}
	for s := 0; s < 7; s++ {
		st := &streamState{cursor: base, seen: map[string]time.Time{}}
		for i := 0; i < maxSeen; i++ {
			st.seen[fmt.Sprintf("%08x-0000-4000-8000-%012x", s, i)] = base.Add(time.Duration(i) * time.Millisecond)
		}
		states[fmt.Sprint("stream", s)] = st
	}
	page := map[string]time.Time{}
	for i := 0; i < 1000; i++ {
		page[fmt.Sprintf("page-%d", i)] = base.Add(time.Hour + time.Duration(i)*time.Millisecond)
	}
	b.Run("end-of-poll", func(b *testing.B) {
		for b.Loop() {
			if _, err := encodeCheckpoint(states, "", nil); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("page-of-1000", func(b *testing.B) {
		for b.Loop() {
			if _, err := encodeCheckpoint(states, "stream3", page); err != nil {
				b.Fatal(err)
			}
		}
	})
}
