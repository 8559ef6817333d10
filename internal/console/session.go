package console

import (
	"context"
	"crypto/subtle"
	"errors"
	"io/fs"
	"net"
	"net/http"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/vigil-sec/vigil/internal/auth"
)

// cookieName is the session cookie.
const cookieName = "vigil_session"

type principalKey struct{}

// principal is the authenticated caller of a request that passed authenticated.
func principal(r *http.Request) auth.Principal {
	p, _ := r.Context().Value(principalKey{}).(auth.Principal)
	return p
}

// identify finds the request's principal: a bearer token (the configured api.token is an
// admin; otherwise an API token), else the session cookie. ok is false when neither is
// valid; err is a store failure.
func (s *Server) identify(r *http.Request) (auth.Principal, bool, error) {
	if h := r.Header.Get("Authorization"); h != "" {
		bearer, ok := strings.CutPrefix(h, "Bearer ")
		if !ok {
			return auth.Principal{}, false, nil
		}
		if s.opts.Token != "" && subtle.ConstantTimeCompare([]byte(bearer), []byte(s.opts.Token)) == 1 {
			return auth.Principal{User: "api-token", Role: auth.Admin, Via: "token"}, true, nil
		}
		p, err := s.opts.Auth.Token(r.Context(), bearer)
		if errors.Is(err, auth.ErrNoToken) {
			return auth.Principal{}, false, nil
		}
		return p, err == nil, err
	}
	c, err := r.Cookie(cookieName)
	if err != nil {
		return auth.Principal{}, false, nil
	}
	p, err := s.opts.Auth.Session(r.Context(), c.Value)
	if errors.Is(err, auth.ErrNoSession) {
		return auth.Principal{}, false, nil
	}
	return p, err == nil, err
}

// stateChanging methods need a CSRF token when made with the session cookie.
func stateChanging(method string) bool {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return false
	}
	return true
}

// authenticated lets a request through when it has a principal whose role includes need,
// and, for a state-changing request made with the session cookie, the session's CSRF
// token in X-CSRF-Token.
func (s *Server) authenticated(need auth.Role, next http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, ok, err := s.identify(r)
		if err != nil {
			s.internalError(w, r, "authentication", err)
			return
		}
		if !ok {
			if r.Method == http.MethodGet && !strings.HasPrefix(r.URL.Path, "/api/") && r.URL.Path != "/metrics" {
				http.Redirect(w, r, "/login", http.StatusSeeOther)
				return
			}
			w.Header().Set("WWW-Authenticate", `Bearer realm="vigil"`)
			writeError(w, http.StatusUnauthorized, "sign in at /login, or send Authorization: Bearer <api token>")
			return
		}
		if p.Via == "session" && stateChanging(r.Method) &&
			subtle.ConstantTimeCompare([]byte(r.Header.Get("X-CSRF-Token")), []byte(p.CSRF)) != 1 {
			writeError(w, http.StatusForbidden, "the X-CSRF-Token header is missing or wrong: send the csrf_token from /api/v1/me or the login answer")
			return
		}
		if !p.Role.Allows(need) {
			writeError(w, http.StatusForbidden, "this needs the "+string(need)+" role; you are "+string(p.Role))
			return
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), principalKey{}, p)))
	})
}

// Me is the answer of /api/v1/me and of a login.
type Me struct {
	User      string    `json:"user"`
	Role      auth.Role `json:"role"`
	CSRFToken string    `json:"csrf_token,omitempty"`
}

func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Username string `json:"username"`
		Password string `json:"password"`
	}
	if err := readJSON(w, r, &body); err != nil {
		writeError(w, http.StatusBadRequest, err.Error()+`; send {"username":"…","password":"…"}`)
		return
	}
	addr, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		addr = r.RemoteAddr
	}
	id, p, err := s.opts.Auth.Login(r.Context(), body.Username, body.Password, addr)
	var rl *auth.RateLimited
	switch {
	case errors.As(err, &rl):
		w.Header().Set("Retry-After", strconv.Itoa(int(rl.Wait.Round(time.Second)/time.Second)+1))
		writeError(w, http.StatusTooManyRequests, "too many failed sign-ins; wait and try again (see Retry-After)")
		return
	case errors.Is(err, auth.ErrBadLogin):
		writeError(w, http.StatusUnauthorized, "wrong user name or password")
		return
	case err != nil:
		s.internalError(w, r, "sign-in", err)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: cookieName, Value: id, Path: "/", HttpOnly: true, Secure: s.opts.TLS != nil, SameSite: http.SameSiteStrictMode})
	writeJSON(w, http.StatusOK, Me{User: p.User, Role: p.Role, CSRFToken: p.CSRF})
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request) {
	if c, err := r.Cookie(cookieName); err == nil && principal(r).Via == "session" {
		if err := s.opts.Auth.Logout(r.Context(), c.Value); err != nil {
			s.internalError(w, r, "sign-out", err)
			return
		}
	}
	http.SetCookie(w, &http.Cookie{Name: cookieName, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, Secure: s.opts.TLS != nil, SameSite: http.SameSiteStrictMode})
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) me(w http.ResponseWriter, r *http.Request) {
	p := principal(r)
	writeJSON(w, http.StatusOK, Me{User: p.User, Role: p.Role, CSRFToken: p.CSRF})
}

// loginPage serves the embedded login.html.
func (s *Server) loginPage(w http.ResponseWriter, r *http.Request) {
	s.serveFile(w, r, "login.html")
}

// app serves the single-page app's index.html for any non-API path; unknown API paths
// are 404s in JSON.
func (s *Server) app(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, "/api/") {
		writeError(w, http.StatusNotFound, "no such API route; see /api/v1/openapi.json")
		return
	}
	s.serveFile(w, r, "index.html")
}

// asset serves a static file of the app under /assets/.
func (s *Server) asset(w http.ResponseWriter, r *http.Request) {
	p := path.Clean("assets/" + r.PathValue("path"))
	if !strings.HasPrefix(p, "assets/") {
		http.NotFound(w, r)
		return
	}
	s.serveFile(w, r, p)
}

func (s *Server) serveFile(w http.ResponseWriter, r *http.Request, name string) {
	if s.opts.Assets == nil {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(http.StatusNotFound)
		w.Write([]byte("this build has no web console assets; the API is under /api/v1\n"))
		return
	}
	b, err := fs.ReadFile(s.opts.Assets, name)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	if strings.HasPrefix(name, "assets/") {
		w.Header().Set("Cache-Control", "public, max-age=300")
	}
	http.ServeContent(w, r, path.Base(name), time.Time{}, strings.NewReader(string(b)))
}
