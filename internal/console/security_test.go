package console

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vigil-sec/vigil/internal/auth"
)

func TestCSRFRequiredForCookieWrites(t *testing.T) {
	f := newFixture(t)
	as := f.seed(1)
	cookie, csrf := f.login("analyst-user")
	path := "/api/v1/alerts/" + as[0].ID + "/acknowledge"
	for _, bad := range []string{"", "wrong", csrf[:len(csrf)-1]} {
		rec := f.do(call{method: "POST", path: path, cookie: cookie, csrf: bad})
		if rec.Code != http.StatusForbidden {
			t.Errorf("acknowledge with X-CSRF-Token %q: %d, want 403", bad, rec.Code)
		}
	}
	if rec := f.do(call{method: "POST", path: path, cookie: cookie, csrf: csrf}); rec.Code != http.StatusOK {
		t.Errorf("acknowledge with the CSRF token: %d %s", rec.Code, rec.Body)
	}
	// A bearer token needs none.
	if rec := f.do(call{method: "POST", path: path, bearer: f.tokens[auth.Analyst]}); rec.Code != http.StatusOK {
		t.Errorf("acknowledge with a bearer token: %d", rec.Code)
	}
	// Logout is state-changing too.
	if rec := f.do(call{method: "POST", path: "/api/v1/logout", cookie: cookie}); rec.Code != http.StatusForbidden {
		t.Errorf("logout without CSRF: %d", rec.Code)
	}
	if rec := f.do(call{method: "POST", path: "/api/v1/logout", cookie: cookie, csrf: csrf}); rec.Code != http.StatusNoContent {
		t.Errorf("logout: %d", rec.Code)
	}
	if rec := f.do(call{method: "GET", path: "/api/v1/me", cookie: cookie}); rec.Code != http.StatusUnauthorized {
		t.Errorf("me after logout: %d, want 401", rec.Code)
	}
}

func TestLoginRateLimit(t *testing.T) {
	f := newFixture(t)
	wrong := `{"username":"viewer-user","password":"not the password"}`
	for i := range 5 {
		if rec := f.do(call{method: "POST", path: "/api/v1/login", body: wrong, addr: "192.0.2.1:1000"}); rec.Code != http.StatusUnauthorized {
			t.Fatalf("failure %d: %d", i, rec.Code)
		}
	}
	// The right password is refused too while the user is locked.
	rec := f.do(call{method: "POST", path: "/api/v1/login", body: `{"username":"viewer-user","password":"` + password + `"}`, addr: "192.0.2.2:1000"})
	if rec.Code != http.StatusTooManyRequests {
		t.Fatalf("6th login: %d, want 429", rec.Code)
	}
	if ra, err := strconv.Atoi(rec.Header().Get("Retry-After")); err != nil || ra < 1 || ra > 15*60+1 {
		t.Errorf("Retry-After %q", rec.Header().Get("Retry-After"))
	}
	// Another user is not locked; one address trying many names is (20 failures).
	f.login("admin-user")
	for i := range 20 {
		f.do(call{method: "POST", path: "/api/v1/login", body: `{"username":"guess` + strconv.Itoa(i) + `","password":"x"}`, addr: "198.51.100.9:1"})
	}
	rec = f.do(call{method: "POST", path: "/api/v1/login", body: `{"username":"analyst-user","password":"` + password + `"}`, addr: "198.51.100.9:2"})
	if rec.Code != http.StatusTooManyRequests {
		t.Errorf("login from an address with 20 failures: %d, want 429", rec.Code)
	}
}

func TestSessionExpiry(t *testing.T) {
	f := newFixture(t)
	clock := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	f.auth = auth.New(auth.Options{Store: f.st, IdleTimeout: 30 * time.Minute, SessionTTL: 2 * time.Hour, Clock: func() time.Time { return clock }})
	f.srv.opts.Auth = f.auth
	cookie, _ := f.login("viewer-user")
	me := func() int { return f.do(call{method: "GET", path: "/api/v1/me", cookie: cookie}).Code }
	// Used every 20 minutes, it lives until its TTL.
	for clock.Add(20 * time.Minute).Before(time.Date(2026, 1, 1, 2, 0, 0, 0, time.UTC)) {
		clock = clock.Add(20 * time.Minute)
		if c := me(); c != http.StatusOK {
			t.Fatalf("at %s: %d", clock.Format(time.Kitchen), c)
		}
	}
	clock = time.Date(2026, 1, 1, 2, 0, 0, 0, time.UTC)
	if c := me(); c != http.StatusUnauthorized {
		t.Errorf("after the TTL: %d, want 401", c)
	}
	cookie, _ = f.login("viewer-user")
	clock = clock.Add(31 * time.Minute)
	if c := me(); c != http.StatusUnauthorized {
		t.Errorf("after 31 idle minutes: %d, want 401", c)
	}
	// A forged or random cookie is nothing.
	cookie = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
	if c := me(); c != http.StatusUnauthorized {
		t.Errorf("forged cookie: %d", c)
	}
}

// No response and no log line carries a password, a session id, a token or a hash.
func TestSecretsNotReturnedOrLogged(t *testing.T) {
	f := newFixture(t)
	f.seed(2)
	cookie, csrf := f.login("admin-user")
	var bodies strings.Builder
	rec := f.do(call{method: "POST", path: "/api/v1/tokens", body: `{"name":"automation","role":"analyst"}`, cookie: cookie, csrf: csrf})
	var made struct{ ID, Token string }
	json.Unmarshal(rec.Body.Bytes(), &made)
	if rec.Code != http.StatusCreated || !strings.HasPrefix(made.Token, "vigil_") {
		t.Fatalf("create token: %d %s", rec.Code, rec.Body)
	}
	for _, path := range []string{"/api/v1/users", "/api/v1/tokens", "/api/v1/me", "/api/v1/overview", "/api/v1/alerts", "/api/v1/sources", "/api/v1/openapi.json"} {
		bodies.WriteString(f.do(call{method: "GET", path: path, cookie: cookie}).Body.String())
		bodies.WriteString(f.do(call{method: "GET", path: path, bearer: made.Token}).Body.String())
	}
	f.do(call{method: "POST", path: "/api/v1/login", body: `{"username":"admin-user","password":"a wrong secret guess"}`})
	f.do(call{method: "POST", path: "/api/v1/users", body: `{"username":"newbie","password":"another-secret-password","role":"viewer"}`, cookie: cookie, csrf: csrf})
	if rec := f.do(call{method: "DELETE", path: "/api/v1/tokens/" + made.ID, cookie: cookie, csrf: csrf}); rec.Code != http.StatusNoContent {
		t.Errorf("revoke: %d", rec.Code)
	}
	if rec := f.do(call{method: "GET", path: "/api/v1/me", bearer: made.Token}); rec.Code != http.StatusUnauthorized {
		t.Errorf("revoked token: %d", rec.Code)
	}
	out, logs := bodies.String(), f.logs.String()
	if !strings.Contains(logs, "login") {
		t.Fatal("the test logger saw no login: it is not wired")
	}
	for _, secret := range []string{password, "a wrong secret guess", "another-secret-password", made.Token, cookie, legacyToken, "$argon2id$", f.tokens[auth.Admin]} {
		if strings.Contains(out, secret) {
			t.Errorf("a response holds secret %.12q…", secret)
		}
		if strings.Contains(logs, secret) {
			t.Errorf("the log holds secret %.12q…", secret)
		}
	}
	if !strings.Contains(out, `"csrf_token"`) || !strings.Contains(out, `"automation"`) {
		t.Error("me or the token listing is missing from the walk")
	}
}

func TestSecurityHeaders(t *testing.T) {
	f := newFixture(t)
	rec := f.do(call{method: "GET", path: "/login"})
	csp := rec.Header().Get("Content-Security-Policy")
	if strings.Contains(csp, "unsafe-inline") || !strings.Contains(csp, "script-src 'self'") || !strings.Contains(csp, "frame-ancestors 'none'") {
		t.Errorf("CSP %q", csp)
	}
	if rec.Header().Get("X-Content-Type-Options") != "nosniff" || rec.Header().Get("X-Frame-Options") != "DENY" {
		t.Errorf("headers %v", rec.Header())
	}
	if !strings.Contains(rec.Body.String(), "login") {
		t.Errorf("login page: %s", rec.Body)
	}
	cookie, _ := f.login("viewer-user")
	if rec := f.do(call{method: "GET", path: "/", cookie: cookie}); rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "app") {
		t.Errorf("app with a session: %d %s", rec.Code, rec.Body)
	}
	if rec := f.do(call{method: "GET", path: "/assets/../../etc/passwd"}); rec.Code == http.StatusOK {
		t.Errorf("asset path escape: %d", rec.Code)
	}
}
