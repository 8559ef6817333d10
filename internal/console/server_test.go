package console

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/vigil-sec/vigil/internal/alert"
	"github.com/vigil-sec/vigil/internal/auth"
	"github.com/vigil-sec/vigil/internal/event"
	"github.com/vigil-sec/vigil/internal/normalize"
	"github.com/vigil-sec/vigil/internal/pipeline"
	"github.com/vigil-sec/vigil/internal/store/sqlite"
)

const (
	legacyToken = "test-token-0123456789abcdef"
	password    = "correct horse battery staple"
)

// fixture is a console over a fresh store with a user and an API token of each role.
type fixture struct {
	t      *testing.T
	srv    *Server
	st     *sqlite.Store
	auth   *auth.Service
	tokens map[auth.Role]string
	now    time.Time
	logs   *bytes.Buffer
}

func newFixture(t *testing.T, mod ...func(*Options)) *fixture {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	reg := prometheus.NewRegistry()
	p, err := pipeline.New(pipeline.Options{Config: pipeline.DefaultConfig(), Store: st, Normalizer: normalize.New(), Metrics: pipeline.NewMetrics(reg)})
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{t: t, st: st, tokens: map[auth.Role]string{}, now: time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC), logs: &bytes.Buffer{}}
	log := slogTo(f.logs)
	f.auth = auth.New(auth.Options{Store: st, Logger: log})
	for _, role := range []auth.Role{auth.Viewer, auth.Analyst, auth.Admin} {
		if err := f.auth.CreateUser(ctx, string(role)+"-user", password, role); err != nil {
			t.Fatal(err)
		}
		_, tok, err := f.auth.CreateToken(ctx, string(role)+"-token", role, "test")
		if err != nil {
			t.Fatal(err)
		}
		f.tokens[role] = tok
	}
	rules, err := NewRules(ctx, nil, st, t.TempDir(), log)
	if err != nil {
		t.Fatal(err)
	}
	opts := Options{Token: legacyToken, Auth: f.auth, Data: st, Health: p.Health(), Incidents: st, History: st, Rules: rules,
		Gatherer: reg, Clock: func() time.Time { return f.now }, Logger: log,
		Assets: fstest.MapFS{"index.html": {Data: []byte("<html>app</html>")}, "login.html": {Data: []byte("<html>login</html>")},
			"assets/app.js": {Data: []byte("console.log(1)")}}}
	for _, m := range mod {
		m(&opts)
	}
	if f.srv, err = New(opts); err != nil {
		t.Fatal(err)
	}
	return f
}

// do sends a request; auth is "" (none), "Bearer …", or a session given by cookie and
// csrf.
type call struct {
	method, path, body, ctype string
	bearer                    string
	cookie, csrf              string
	addr                      string
}

func (f *fixture) do(c call) *httptest.ResponseRecorder {
	f.t.Helper()
	req := httptest.NewRequest(c.method, c.path, strings.NewReader(c.body))
	if c.body != "" {
		ct := c.ctype
		if ct == "" {
			ct = "application/json"
		}
		req.Header.Set("Content-Type", ct)
	}
	if c.bearer != "" {
		req.Header.Set("Authorization", "Bearer "+c.bearer)
	}
	if c.cookie != "" {
		req.AddCookie(&http.Cookie{Name: cookieName, Value: c.cookie})
	}
	if c.csrf != "" {
		req.Header.Set("X-CSRF-Token", c.csrf)
	}
	if c.addr != "" {
		req.RemoteAddr = c.addr
	}
	rec := httptest.NewRecorder()
	f.srv.ServeHTTP(rec, req)
	return rec
}

// login signs user in and returns the session cookie and CSRF token.
func (f *fixture) login(user string) (string, string) {
	f.t.Helper()
	rec := f.do(call{method: "POST", path: "/api/v1/login", body: `{"username":"` + user + `","password":"` + password + `"}`})
	if rec.Code != http.StatusOK {
		f.t.Fatalf("login %s: %d %s", user, rec.Code, rec.Body)
	}
	var me Me
	json.Unmarshal(rec.Body.Bytes(), &me)
	for _, c := range rec.Result().Cookies() {
		if c.Name == cookieName {
			if !c.HttpOnly || c.SameSite != http.SameSiteStrictMode {
				f.t.Errorf("session cookie not HttpOnly and SameSite=Strict: %+v", c)
			}
			return c.Value, me.CSRFToken
		}
	}
	f.t.Fatal("login set no session cookie")
	return "", ""
}

// seed stores n alerts on one user, one event each, and returns them.
func (f *fixture) seed(n int) []alert.Alert {
	f.t.Helper()
	ctx := context.Background()
	var evs []*event.Event
	var as []alert.Alert
	lat, lon := 52.52, 13.4
	for i := range n {
		ev := &event.Event{ClassUID: 3002, Message: "sign-in " + string(rune('a'+i%26))}
		ev.SetTime(f.now.Add(-time.Duration(i+1) * time.Minute))
		ev.Metadata.UID = "uid-" + string(rune('a'+i%26)) + string(rune('0'+i/26))
		ev.Vigil.Category = event.CategoryLogin
		ev.Vigil.Entity = event.Entity{Type: event.EntityUser, Name: "ada@contoso.com"}
		ev.Actor.User.Name = "ada@contoso.com"
		ev.SrcEndpoint = event.Endpoint{IP: "203.0.113.7", Location: &event.Location{Country: "DE", City: "Berlin", Lat: &lat, Long: &lon}}
		ev.API.Operation = "ConsoleLogin"
		ev.Raw = []byte(`{"native":"record","n":` + string(rune('0'+i%10)) + `}`)
		evs = append(evs, ev)
		as = append(as, alert.Alert{ID: "alert-" + ev.Metadata.UID, Time: ev.Timestamp(), Title: "Sign-in from a new country",
			Rule: alert.Rule{ID: "rule-1", Kind: alert.KindSigma}, Severity: alert.SeverityHigh, Score: 70,
			Entity: ev.Vigil.Entity, EventUIDs: []string{ev.Metadata.UID}, Reason: "new country"})
	}
	if _, err := f.st.Append(ctx, "entra", evs, nil); err != nil {
		f.t.Fatal(err)
	}
	if _, err := f.st.PutAlerts(ctx, as); err != nil {
		f.t.Fatal(err)
	}
	return as
}
