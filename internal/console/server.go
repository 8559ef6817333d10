// Package console is Vigil's HTTP surface: health for load balancers, Prometheus metrics,
// and the versioned JSON API under /api/v1 that `vigil status`, automation and the web UI
// read. Every route but /healthz needs a bearer token; the token is compared in constant
// time and never logged.
package console

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/vigil-sec/vigil/internal/alert"
	"github.com/vigil-sec/vigil/internal/event"
	"github.com/vigil-sec/vigil/internal/pipeline"
	"github.com/vigil-sec/vigil/internal/store"
)

// Options configure the server.
type Options struct {
	Token    string // bearer token of the API and metrics; required
	Health   *pipeline.Health
	Alerts   store.AlertStore
	Gatherer prometheus.Gatherer
	Clock    func() time.Time
	Logger   *slog.Logger
}

// Server serves the API.
type Server struct {
	opts Options
	mux  *http.ServeMux
}

// New returns a server; it refuses to run without a token.
func New(opts Options) (*Server, error) {
	if len(opts.Token) < 16 {
		return nil, errors.New("console: an API token of at least 16 characters is required (api.token or api.token_file)")
	}
	if opts.Clock == nil {
		opts.Clock = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	s := &Server{opts: opts, mux: http.NewServeMux()}
	s.mux.HandleFunc("GET /healthz", s.healthz)
	s.mux.Handle("GET /metrics", s.auth(promhttp.HandlerFor(opts.Gatherer, promhttp.HandlerOpts{})))
	s.mux.Handle("GET /api/v1/sources", s.auth(http.HandlerFunc(s.sources)))
	s.mux.Handle("GET /api/v1/alerts", s.auth(http.HandlerFunc(s.alerts)))
	return s, nil
}

// Routes lists the registered routes and whether each needs authentication, so a test
// can walk them all.
func (s *Server) Routes() map[string]bool {
	return map[string]bool{"GET /healthz": false, "GET /metrics": true, "GET /api/v1/sources": true, "GET /api/v1/alerts": true}
}

// ServeHTTP adds the security headers every response carries.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cache-Control", "no-store")
	s.mux.ServeHTTP(w, r)
}

// Serve serves on l until ctx ends, then shuts down gracefully.
func (s *Server) Serve(ctx context.Context, l net.Listener) error {
	srv := &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute}
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

func (s *Server) auth(next http.Handler) http.Handler {
	want := []byte("Bearer " + s.opts.Token)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got := []byte(r.Header.Get("Authorization"))
		if subtle.ConstantTimeCompare(got, want) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="vigil"`)
			writeError(w, http.StatusUnauthorized, "unauthorized", "a valid bearer token is required (Authorization: Bearer <api token>)")
			return
		}
		next.ServeHTTP(w, r)
	})
}

func (s *Server) healthz(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// SourcesResponse is GET /api/v1/sources.
type SourcesResponse struct {
	Sources   []pipeline.SourceStatus `json:"sources"`
	Watermark time.Time               `json:"watermark,omitzero"`
	Alerts    map[alert.Severity]int  `json:"alerts_by_severity"`
	// Finished is true once every source finished and detection read to the end.
	Finished bool `json:"finished"`
}

func (s *Server) sources(w http.ResponseWriter, _ *http.Request) {
	h := s.opts.Health
	writeJSON(w, http.StatusOK, SourcesResponse{Sources: h.Sources(s.opts.Clock()), Watermark: h.Watermark(), Alerts: h.Alerts(), Finished: h.Finished()})
}

// AlertsResponse is GET /api/v1/alerts.
type AlertsResponse struct {
	Alerts []alert.Alert `json:"alerts"`
	Next   string        `json:"next,omitempty"`
}

func (s *Server) alerts(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	aq := store.AlertQuery{Cursor: q.Get("cursor"), RuleID: q.Get("rule")}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			writeError(w, http.StatusBadRequest, "bad_request", "limit: a number from 1 to 1000")
			return
		}
		aq.Limit = n
	}
	if v := q.Get("severity"); v != "" {
		aq.MinSeverity = alert.Severity(strings.ToLower(v))
		if aq.MinSeverity.Rank() < 0 {
			writeError(w, http.StatusBadRequest, "bad_request", "severity: informational, low, medium, high or critical")
			return
		}
	}
	if v := q.Get("entity"); v != "" {
		t, name, ok := strings.Cut(v, ":")
		if !ok {
			writeError(w, http.StatusBadRequest, "bad_request", "entity: TYPE:NAME, e.g. user:ada@contoso.com")
			return
		}
		aq.Entity = event.Entity{Type: event.EntityType(t), Name: name}
	}
	for _, k := range []string{"since", "until"} {
		v := q.Get(k)
		if v == "" {
			continue
		}
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			writeError(w, http.StatusBadRequest, "bad_request", k+": an RFC 3339 time")
			return
		}
		if k == "since" {
			aq.From = t
		} else {
			aq.To = t
		}
	}
	page, err := s.opts.Alerts.Alerts(r.Context(), aq)
	if err != nil {
		s.opts.Logger.Error("api: list alerts", "error", err.Error())
		writeError(w, http.StatusInternalServerError, "internal", "the alerts could not be read; see the daemon's log")
		return
	}
	if page.Alerts == nil {
		page.Alerts = []alert.Alert{}
	}
	writeJSON(w, http.StatusOK, AlertsResponse{Alerts: page.Alerts, Next: page.Next})
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(v)
}

func writeError(w http.ResponseWriter, code int, kind, msg string) {
	writeJSON(w, code, map[string]any{"error": map[string]string{"code": kind, "message": msg}})
}
