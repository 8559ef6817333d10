// Package console is Vigil's HTTP surface: health for load balancers, Prometheus metrics,
// the versioned JSON API under /api/v1 (described by the OpenAPI document it serves), and
// the embedded web app. Every route but /healthz, the login page and form, and the static
// assets needs a session cookie or a bearer token; roles decide what each may change.
package console

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"sort"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/vigil-sec/vigil/internal/alert"
	"github.com/vigil-sec/vigil/internal/auth"
	"github.com/vigil-sec/vigil/internal/event"
	"github.com/vigil-sec/vigil/internal/incident"
	"github.com/vigil-sec/vigil/internal/pipeline"
	"github.com/vigil-sec/vigil/internal/store"
)

// Data is what the console reads and writes in the store.
type Data interface {
	Query(ctx context.Context, q store.Query) (store.Page, error)
	Get(ctx context.Context, source, uid string) (*event.Event, error)
	store.LifecycleStore
	store.ActivityStore
	store.StateStore
}

// Incidents reads the incidents the grouper built.
type Incidents interface {
	Incidents(ctx context.Context, q store.IncidentQuery) (store.IncidentPage, error)
	Incident(ctx context.Context, id string) (incident.Incident, error)
}

// History reads an entity's index rows (the entity page's hour-of-week and first-seen).
type History interface {
	History(ctx context.Context, entity event.Entity, from, to time.Time, limit int) ([]store.HistoryRow, error)
}

// OutputStatus is one output's delivery health.
type OutputStatus struct {
	Name        string  `json:"name"`
	Type        string  `json:"type"`
	Depth       int     `json:"depth"`
	LagSeconds  float64 `json:"lag_seconds"`
	DeadLetters int     `json:"dead_letters"`
	LastError   string  `json:"last_error,omitempty"`
}

// Options configure the server. Data, Auth and Health are required; the rest are
// optional and their routes answer empty lists (or 404) without them.
type Options struct {
	// Token is the configured api.token: it keeps working as an admin bearer token.
	Token  string
	Auth   *auth.Service
	Data   Data
	Health *pipeline.Health
	// Incidents, History, Triage and EntityTriage come from the incidents stage.
	Incidents Incidents
	History   History
	// Triage returns an alert's triage summary; EntityTriage an entity's over the days
	// before at.
	Triage       func(ctx context.Context, a alert.Alert) (any, error)
	EntityTriage func(ctx context.Context, e event.Entity, at time.Time) (any, error)
	Outputs      func() []OutputStatus
	// Locate places an address the events carry no coordinates for (the geo databases).
	Locate   func(ip string) (event.Location, bool)
	Rules    *Rules
	Gatherer prometheus.Gatherer
	// Assets holds the web app: index.html, login.html and the files under /assets/.
	Assets fs.FS
	// TLS, when set, makes Serve speak HTTPS and the session cookie Secure.
	TLS    *tls.Config
	Clock  func() time.Time
	Logger *slog.Logger
}

// Server serves the console.
type Server struct {
	opts   Options
	mux    *http.ServeMux
	routes map[string]auth.Role // pattern → least role; "" for public
}

// role names of the route table: public routes need no principal.
const public auth.Role = ""

// New returns a server.
func New(opts Options) (*Server, error) {
	if opts.Token != "" && len(opts.Token) < 16 {
		return nil, errors.New("console: api.token must be at least 16 characters")
	}
	if opts.Auth == nil || opts.Data == nil || opts.Health == nil {
		return nil, errors.New("console: the auth service, the store and the pipeline's health are required")
	}
	if opts.Clock == nil {
		opts.Clock = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Gatherer == nil {
		opts.Gatherer = prometheus.NewRegistry()
	}
	s := &Server{opts: opts, mux: http.NewServeMux(), routes: map[string]auth.Role{}}
	s.register()
	return s, nil
}

func (s *Server) register() {
	h := func(pattern string, role auth.Role, fn http.HandlerFunc) {
		s.routes[pattern] = role
		if role == public {
			s.mux.Handle(pattern, fn)
			return
		}
		s.mux.Handle(pattern, s.authenticated(role, fn))
	}
	h("GET /healthz", public, s.healthz)
	h("GET /login", public, s.loginPage)
	h("GET /assets/{path...}", public, s.asset)
	h("POST /api/v1/login", public, s.login)
	h("GET /{path...}", auth.Viewer, s.app)
	h("GET /metrics", auth.Viewer, promhttp.HandlerFor(s.opts.Gatherer, promhttp.HandlerOpts{}).ServeHTTP)
	h("GET /api/v1/openapi.json", auth.Viewer, s.openapi)

	h("POST /api/v1/logout", auth.Viewer, s.logout)
	h("GET /api/v1/me", auth.Viewer, s.me)
	h("GET /api/v1/overview", auth.Viewer, s.overview)
	h("GET /api/v1/map", auth.Viewer, s.worldMap)
	h("GET /api/v1/events", auth.Viewer, s.events)
	h("GET /api/v1/events/{source}/{uid}", auth.Viewer, s.eventDetail)

	h("GET /api/v1/alerts", auth.Viewer, s.alerts)
	h("GET /api/v1/alerts/{id}", auth.Viewer, s.alertDetail)
	h("POST /api/v1/alerts/{id}/acknowledge", auth.Analyst, s.alertAcknowledge)
	h("POST /api/v1/alerts/{id}/close", auth.Analyst, s.alertClose)
	h("POST /api/v1/alerts/{id}/comments", auth.Analyst, s.alertComment)

	h("GET /api/v1/incidents", auth.Viewer, s.incidents)
	h("GET /api/v1/incidents/{id}", auth.Viewer, s.incidentDetail)
	h("POST /api/v1/incidents/{id}/acknowledge", auth.Analyst, s.incidentAcknowledge)
	h("POST /api/v1/incidents/{id}/close", auth.Analyst, s.incidentClose)
	h("POST /api/v1/incidents/{id}/comments", auth.Analyst, s.incidentComment)

	h("GET /api/v1/entity", auth.Viewer, s.entity)
	h("GET /api/v1/entity/timeline", auth.Viewer, s.entityTimeline)
	h("GET /api/v1/sources", auth.Viewer, s.sources)
	h("GET /api/v1/outputs", auth.Viewer, s.outputs)

	h("GET /api/v1/rules", auth.Viewer, s.rules)
	h("POST /api/v1/rules", auth.Admin, s.ruleUpload)
	h("POST /api/v1/rules/{id}/enable", auth.Admin, s.ruleEnable)
	h("POST /api/v1/rules/{id}/disable", auth.Admin, s.ruleDisable)

	h("GET /api/v1/users", auth.Admin, s.users)
	h("POST /api/v1/users", auth.Admin, s.userCreate)
	h("GET /api/v1/tokens", auth.Admin, s.tokens)
	h("POST /api/v1/tokens", auth.Admin, s.tokenCreate)
	h("DELETE /api/v1/tokens/{id}", auth.Admin, s.tokenDelete)
}

// Route is one registered route and the least role it needs ("" for public).
type Route struct {
	Pattern string
	Role    auth.Role
}

// Routes lists the registered routes, sorted, so a test can walk them all.
func (s *Server) Routes() []Route {
	out := make([]Route, 0, len(s.routes))
	for p, r := range s.routes {
		out = append(out, Route{p, r})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Pattern < out[j].Pattern })
	return out
}

// contentSecurityPolicy allows the app's own scripts, styles and images and nothing
// inline, no framing, no form posts elsewhere.
const contentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; " +
	"form-action 'self'; base-uri 'none'; frame-ancestors 'none'"

// ServeHTTP adds the security headers every response carries.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", contentSecurityPolicy)
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	h.Set("Cache-Control", "no-store")
	if s.opts.TLS != nil {
		h.Set("Strict-Transport-Security", "max-age=31536000")
	}
	s.mux.ServeHTTP(w, r)
}

// Serve serves on l (over TLS when configured) until ctx ends, then shuts down gracefully.
func (s *Server) Serve(ctx context.Context, l net.Listener) error {
	srv := &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute,
		ErrorLog: slog.NewLogLogger(s.opts.Logger.Handler(), slog.LevelDebug)}
	if s.opts.TLS != nil {
		l = tls.NewListener(l, s.opts.TLS)
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(l) }()
	select {
	case err := <-errc:
		return fmt.Errorf("console: serve: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("console: shut down: %w", err)
	}
	return nil
}

func (s *Server) healthz(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}
