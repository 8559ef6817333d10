package console

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/vigil-sec/vigil/internal/alert"
	"github.com/vigil-sec/vigil/internal/event"
	"github.com/vigil-sec/vigil/internal/normalize"
	"github.com/vigil-sec/vigil/internal/pipeline"
	"github.com/vigil-sec/vigil/internal/store/sqlite"
)

const token = "test-token-0123456789abcdef"

func newServer(t *testing.T) (*Server, *sqlite.Store) {
	t.Helper()
	st, err := sqlite.Open(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	reg := prometheus.NewRegistry()
	p, err := pipeline.New(pipeline.Options{Config: pipeline.DefaultConfig(), Store: st, Normalizer: normalize.New(), Metrics: pipeline.NewMetrics(reg)})
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(Options{Token: token, Health: p.Health(), Alerts: st, Gatherer: reg})
	if err != nil {
		t.Fatal(err)
	}
	return s, st
}

func TestEveryRouteButHealthNeedsTheToken(t *testing.T) {
	s, _ := newServer(t)
	for route, needsAuth := range s.Routes() {
		method, path, _ := strings.Cut(route, " ")
		for _, auth := range []string{"", "Bearer wrong-token-0123456789abc", "Bearer " + token} {
			req := httptest.NewRequest(method, path, nil)
			if auth != "" {
				req.Header.Set("Authorization", auth)
			}
			rec := httptest.NewRecorder()
			s.ServeHTTP(rec, req)
			ok := auth == "Bearer "+token || !needsAuth
			if ok && rec.Code != http.StatusOK || !ok && rec.Code != http.StatusUnauthorized {
				t.Errorf("%s with %q: %d", route, auth, rec.Code)
			}
			if rec.Header().Get("Content-Security-Policy") == "" {
				t.Errorf("%s: no Content-Security-Policy", route)
			}
			if strings.Contains(rec.Body.String(), token) {
				t.Errorf("%s: the response carries the token", route)
			}
		}
	}
	if _, err := New(Options{Token: "short"}); err == nil {
		t.Error("a short token was accepted")
	}
}

func TestAlertsAPI(t *testing.T) {
	s, st := newServer(t)
	base := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
	var as []alert.Alert
	for i := range 5 {
		as = append(as, alert.Alert{ID: string(rune('a' + i)), Time: base.Add(time.Duration(i) * time.Minute), Severity: []alert.Severity{"low", "high"}[i%2],
			Rule: alert.Rule{ID: "r", Kind: alert.KindSigma}, Entity: event.UserEntity("ada@contoso.com")})
	}
	if _, err := st.PutAlerts(context.Background(), as); err != nil {
		t.Fatal(err)
	}
	get := func(q string) (int, AlertsResponse) {
		req := httptest.NewRequest("GET", "/api/v1/alerts?"+q, nil)
		req.Header.Set("Authorization", "Bearer "+token)
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		var r AlertsResponse
		json.Unmarshal(rec.Body.Bytes(), &r)
		return rec.Code, r
	}
	if code, r := get("severity=high"); code != 200 || len(r.Alerts) != 2 {
		t.Errorf("severity=high: %d, %d alerts", code, len(r.Alerts))
	}
	code, r := get("limit=2")
	if code != 200 || len(r.Alerts) != 2 || r.Next == "" {
		t.Fatalf("limit=2: %d %+v", code, r)
	}
	if _, r2 := get("limit=2&cursor=" + r.Next); len(r2.Alerts) != 2 || r2.Alerts[0].ID == r.Alerts[0].ID {
		t.Errorf("the next page repeats the first: %+v", r2)
	}
	for _, bad := range []string{"limit=0", "severity=urgent", "entity=nobody", "since=yesterday"} {
		if code, _ := get(bad); code != http.StatusBadRequest {
			t.Errorf("%s: %d, want 400", bad, code)
		}
	}
}
