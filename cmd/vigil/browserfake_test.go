package main

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigil-sec/vigil/internal/console/web"
)

// fakeConsole is a throwaway stand-in for the console's API (CONSOLE_API.md), used until
// the real routes land, so the pages can be driven in the browser.
type fakeConsole struct {
	mu    sync.Mutex
	state map[string]string
}

func (f *fakeConsole) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'")
	p := r.URL.Path
	js := func(v any) { w.Header().Set("Content-Type", "application/json"); json.NewEncoder(w).Encode(v) }
	authed := false
	if c, err := r.Cookie("vigil_session"); err == nil && c.Value == "s1" {
		authed = true
	}
	switch {
	case strings.HasPrefix(p, "/assets/"):
		http.FileServerFS(web.FS).ServeHTTP(w, r)
		return
	case p == "/login":
		b, _ := fs.ReadFile(web.FS, "login.html")
		w.Header().Set("Content-Type", "text/html")
		w.Write(b)
		return
	case p == "/api/v1/login":
		var in struct{ Username, Password string }
		json.NewDecoder(r.Body).Decode(&in)
		if in.Password != "pw" {
			w.WriteHeader(401)
			js(map[string]string{"error": "wrong user name or password"})
			return
		}
		http.SetCookie(w, &http.Cookie{Name: "vigil_session", Value: "s1", Path: "/", HttpOnly: true, SameSite: http.SameSiteStrictMode})
		js(map[string]string{"user": in.Username, "role": "admin", "csrf_token": "c1"})
		return
	}
	if !authed {
		if strings.HasPrefix(p, "/api/") {
			w.WriteHeader(401)
			js(map[string]string{"error": "sign in"})
			return
		}
		http.Redirect(w, r, "/login", http.StatusSeeOther)
		return
	}
	if r.Method == "POST" && r.Header.Get("X-CSRF-Token") != "c1" {
		w.WriteHeader(403)
		js(map[string]string{"error": "CSRF token missing"})
		return
	}
	now := time.Now().UTC()
	ago := func(h float64) string { return now.Add(-time.Duration(h * float64(time.Hour))).Format(time.RFC3339) }
	ent := map[string]string{"type": "user", "name": "ada@contoso.com"}
	alertOf := func(i int) map[string]any {
		sev := []string{"critical", "high", "medium", "low"}[i%4]
		f.mu.Lock()
		st := f.state[fmt.Sprint(i)]
		f.mu.Unlock()
		if st == "" {
			st = "new"
		}
		return map[string]any{"id": fmt.Sprintf("a%d", i), "time": ago(float64(i)), "title": fmt.Sprintf("Suspicious step %d", i), "severity": sev, "score": 90 - i,
			"rule": map[string]string{"id": "r1", "kind": "sigma", "title": "Rule one"}, "entity": ent, "event_uids": []string{"e1"}, "reason": "because", "attack": []string{"T1078.004"},
			"status": map[string]any{"state": st}}
	}
	switch {
	case p == "/":
		b, _ := fs.ReadFile(web.FS, "index.html")
		w.Header().Set("Content-Type", "text/html")
		w.Write(b)
	case p == "/api/v1/me":
		js(map[string]string{"user": "admin", "role": "admin", "csrf_token": "c1"})
	case p == "/api/v1/overview":
		var hours []map[string]any
		for i := 48; i > 0; i-- {
			hours = append(hours, map[string]any{"time": ago(float64(i)), "count": 100 + i*7%50})
		}
		js(map[string]any{"alerts_by_severity": map[string]int{"critical": 2, "high": 5, "medium": 9, "low": 3}, "alerts_by_status": map[string]int{"new": 12, "acknowledged": 4, "closed": 3},
			"incidents":       []any{map[string]any{"id": "i1", "title": "Ada: token theft then role grant", "score": 88, "severity": "high", "last_seen": ago(1)}},
			"sources":         []any{map[string]any{"name": "entra", "state": "running", "events_per_second": 12.5, "lag": "2m0s", "last_poll": ago(0.01), "errors": 0}},
			"events_per_hour": hours})
	case p == "/api/v1/map":
		js(map[string]any{"points": []any{
			map[string]any{"lat": 51.5, "lon": -0.12, "country": "GB", "city": "London", "events": 900, "entities": 80, "anomalous": false},
			map[string]any{"lat": 40.7, "lon": -74, "country": "US", "city": "New York", "events": 400, "entities": 30, "anomalous": false},
			map[string]any{"lat": 55.75, "lon": 37.6, "country": "RU", "city": "Moscow", "events": 4, "entities": 1, "anomalous": true, "alert_ids": []string{"a1"}},
		}})
	case p == "/api/v1/alerts":
		var items []any
		for i := 1; i <= 6; i++ {
			items = append(items, alertOf(i))
		}
		js(map[string]any{"items": items})
	case strings.HasPrefix(p, "/api/v1/alerts/"):
		rest := strings.TrimPrefix(p, "/api/v1/alerts/a")
		id, action, _ := strings.Cut(rest, "/")
		if action == "acknowledge" {
			f.mu.Lock()
			f.state[id] = "acknowledged"
			f.mu.Unlock()
		}
		var i int
		fmt.Sscan(id, &i)
		a := alertOf(i)
		a["incident_id"] = "i1"
		a["comments"] = []any{}
		a["triage"] = map[string]any{"entity": ent, "from": ago(168), "to": ago(0), "events": 420, "history": map[string]any{"countries": []any{map[string]any{"value": "GB", "count": 400}}}, "new": map[string]any{"countries": []string{"RU"}}, "unusual_sign_in": true}
		js(a)
	case p == "/api/v1/incidents":
		js(map[string]any{"items": []any{map[string]any{"id": "i1", "title": "Ada: token theft then role grant", "score": 88, "severity": "high", "entities": []any{ent}, "first_seen": ago(5), "last_seen": ago(1), "status": map[string]any{"state": "new"}}}})
	case p == "/api/v1/incidents/i1":
		var chain []any
		for i := 1; i <= 4; i++ {
			chain = append(chain, map[string]any{"time": ago(float64(5 - i)), "alert_id": fmt.Sprintf("a%d", i), "title": fmt.Sprintf("Suspicious step %d", i), "rule": "r1", "severity": "high", "score": 80, "entity": ent, "technique": "T1078"})
		}
		js(map[string]any{"id": "i1", "title": "Ada: token theft then role grant", "score": 88, "severity": "high", "status": map[string]any{"state": "new"}, "entities": []any{ent},
			"first_seen": ago(5), "last_seen": ago(1), "story": "A sign-in from a new country, then a role grant.", "chain": chain, "alerts": []any{alertOf(1), alertOf(2)}, "comments": []any{}})
	case p == "/api/v1/entity":
		how := make([]int, 168)
		for d := 0; d < 5; d++ {
			for h := 8; h < 18; h++ {
				how[d*24+h] = 5 + h%4
			}
		}
		js(map[string]any{"entity": ent, "triage": map[string]any{"history": map[string]any{"countries": []any{map[string]any{"value": "GB", "count": 400}}, "operations": []any{map[string]any{"value": "Sign-in activity", "count": 300}}}},
			"hour_of_week": how, "first_seen": []any{map[string]any{"feature": "country", "value": "RU", "time": ago(2)}}, "alerts": []any{alertOf(1)}, "incidents": []any{map[string]any{"id": "i1", "title": "Ada", "score": 88, "last_seen": ago(1)}}})
	case p == "/api/v1/entity/timeline", p == "/api/v1/events":
		js(map[string]any{"items": []any{map[string]any{"time": now.UnixMilli(), "api": map[string]any{"operation": "Sign-in activity"}, "metadata": map[string]any{"uid": "e1"}, "vigil": map[string]any{"collector": "entra", "category": "authentication", "entity": ent}}}})
	case p == "/api/v1/events/entra/e1":
		js(map[string]any{"time": now.UnixMilli(), "api": map[string]any{"operation": "Sign-in activity"}, "metadata": map[string]any{"uid": "e1"}, "vigil": map[string]any{"collector": "entra"}, "raw": `{"id":"e1","userPrincipalName":"ada@contoso.com"}`})
	case p == "/api/v1/sources":
		js(map[string]any{"items": []any{map[string]any{"name": "entra", "state": "running", "endpoints": []string{"graph.microsoft.com"}, "permissions": []string{"AuditLog.Read.All"}}}})
	case p == "/api/v1/outputs", p == "/api/v1/rules":
		js(map[string]any{"items": []any{}})
	default:
		w.WriteHeader(404)
		js(map[string]string{"error": "no such route " + p})
	}
}

func TestConsolePagesAgainstFake(t *testing.T) {
	srv := httptest.NewServer(&fakeConsole{state: map[string]string{}})
	defer srv.Close()
	consoleScenario(t, srv.URL, "admin", "pw")
}
