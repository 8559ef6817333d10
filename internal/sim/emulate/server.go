package emulate

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/vigil-sec/vigil/internal/sim"
)

// Options configure an emulator. Zero values take the defaults documented on each field.
type Options struct {
	Clock        Clock // simulated time; nil = the wall clock
	Seed         uint64
	TenantID     string // the one tenant served; required
	ClientID     string // the one application that may sign in; required
	ClientSecret string // its secret; a wrong one gets AADSTS7000215; required
	// Subscriptions are served by GET /subscriptions and per-subscription Activity Log;
	// any other subscription gets 403 AuthorizationFailed. Empty: every subscription
	// the added Activity Log records name (Record.Scope).
	Subscriptions []string
	// Delay is how long after its event time a record becomes visible, per kind; kinds
	// not set take defaultDelays().
	Delay map[sim.Kind]DelayRange
	// DuplicateRate is the share of records served a second time, in a later poll.
	DuplicateRate float64
	// Budget is Graph's per (client, tenant) request allowance before 429 with
	// Retry-After; default 5 per 10 s, Graph's identity-reports limit per app per tenant.
	Budget Budget
	// ARMBudget is the same for ARM reads; default 250 per 10 s (ARM's read bucket).
	ARMBudget Budget
	// PageSize is the page size when $top is absent; default each API's maximum
	// (1000 for Graph's audit logs, 200 for the Activity Log), capped at it.
	PageSize int
	// TokenLifetime is how long an issued access token is accepted, in wall time;
	// default 1 h (Entra's expires_in of 3599 s).
	TokenLifetime time.Duration
	// Wall is the wall clock for token expiry and budget windows; nil = time.Now.
	// Throttling and tokens live in the client's time, not the simulation's.
	Wall   func() time.Time
	Logger *slog.Logger
}

// Budget is a request allowance per fixed window.
type Budget struct {
	Requests int
	Per      time.Duration
}

// Server is the emulator: one TLS listener serving login, Graph and ARM.
type Server struct {
	opts   Options
	delays map[sim.Kind]DelayRange
	log    *slog.Logger
	wall   func() time.Time
	faults *Faults

	mu         sync.RWMutex // records
	streams    map[string]*stream
	seq        uint64
	added      map[sim.Kind]int
	ignored    int
	duplicates int
	seenSubs   []string // Activity Log record scopes, in first-seen order

	authMu  sync.Mutex
	tokens  map[string]tokenInfo
	windows map[string]*budgetWindow

	stats *statsBook

	ln      net.Listener
	srv     *http.Server
	url     string
	certPEM []byte
	pool    *x509.CertPool
	client  *http.Client
	done    chan error
}

// New validates opts and returns an emulator that is not yet listening.
func New(opts Options) (*Server, error) {
	switch {
	case opts.TenantID == "":
		return nil, errors.New("emulate: tenant id is required")
	case opts.ClientID == "":
		return nil, errors.New("emulate: client id is required")
	case opts.ClientSecret == "":
		return nil, errors.New("emulate: client secret is required")
	case opts.DuplicateRate < 0 || opts.DuplicateRate > 1:
		return nil, fmt.Errorf("emulate: duplicate rate must be in [0,1], got %g", opts.DuplicateRate)
	case opts.PageSize < 0:
		return nil, fmt.Errorf("emulate: page size must not be negative, got %d", opts.PageSize)
	}
	if opts.Clock == nil {
		opts.Clock = wallClock{}
	}
	if opts.Budget.Requests <= 0 || opts.Budget.Per <= 0 {
		opts.Budget = Budget{Requests: 5, Per: 10 * time.Second}
	}
	if opts.ARMBudget.Requests <= 0 || opts.ARMBudget.Per <= 0 {
		opts.ARMBudget = Budget{Requests: 250, Per: 10 * time.Second}
	}
	if opts.TokenLifetime <= 0 {
		opts.TokenLifetime = time.Hour
	}
	wall := opts.Wall
	if wall == nil {
		wall = time.Now
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	delays := defaultDelays()
	for k, d := range opts.Delay {
		if d.Min < 0 || d.Max < d.Min {
			return nil, fmt.Errorf("emulate: delay for %s: need 0 <= min <= max, got %s..%s", k, d.Min, d.Max)
		}
		delays[k] = d
	}
	return &Server{
		opts: opts, delays: delays, log: log, wall: wall, faults: &Faults{},
		streams: map[string]*stream{}, added: map[sim.Kind]int{},
		tokens: map[string]tokenInfo{}, windows: map[string]*budgetWindow{},
		stats: newStatsBook(),
	}, nil
}

// Start listens on 127.0.0.1:0 with TLS, under a self-signed certificate made now.
func (s *Server) Start() error {
	if s.ln != nil {
		return errors.New("emulate: already started")
	}
	cert, certPEM, err := selfSignedCert(s.wall())
	if err != nil {
		return fmt.Errorf("emulate: start: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(certPEM) {
		return errors.New("emulate: start: own certificate does not parse")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("emulate: listen: %w", err)
	}
	s.certPEM, s.pool = certPEM, pool
	s.url = "https://" + ln.Addr().String()
	// HTTP/1.1 only: the reset and truncation faults take over the connection.
	tlsCfg := &tls.Config{Certificates: []tls.Certificate{cert}, NextProtos: []string{"http/1.1"}, MinVersion: tls.VersionTLS12}
	s.ln = tls.NewListener(ln, tlsCfg)
	s.srv = &http.Server{
		Handler:           http.HandlerFunc(s.route),
		ReadHeaderTimeout: 10 * time.Second,
		TLSNextProto:      map[string]func(*http.Server, *tls.Conn, http.Handler){},
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelDebug),
	}
	s.client = &http.Client{Transport: &http.Transport{
		TLSClientConfig:     &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12},
		MaxIdleConnsPerHost: 16,
	}}
	s.done = make(chan error, 1)
	go func() { s.done <- s.srv.Serve(s.ln) }()
	s.log.Info("emulator listening", "url", s.url, "tenant", s.opts.TenantID, "subscriptions", len(s.opts.Subscriptions))
	return nil
}

// URL is the base of login, Graph and ARM: https://127.0.0.1:PORT (no trailing slash).
func (s *Server) URL() string { return s.url }

// CertPool trusts the emulator's certificate.
func (s *Server) CertPool() *x509.CertPool { return s.pool }

// CertPEM is the emulator's certificate, for a ca_file.
func (s *Server) CertPEM() []byte { return s.certPEM }

// Client is an http.Client that trusts the emulator.
func (s *Server) Client() *http.Client { return s.client }

// Faults are the fault switches, safe to flip while serving.
func (s *Server) Faults() *Faults { return s.faults }

// Close stops listening and closes open connections.
func (s *Server) Close() error {
	if s.srv == nil {
		return nil
	}
	err := s.srv.Close()
	if serveErr := <-s.done; serveErr != nil && !errors.Is(serveErr, http.ErrServerClosed) && err == nil {
		err = serveErr
	}
	if t, ok := s.client.Transport.(*http.Transport); ok {
		t.CloseIdleConnections()
	}
	s.srv = nil
	if err != nil {
		return fmt.Errorf("emulate: close: %w", err)
	}
	return nil
}

// route dispatches on the path, case-insensitively as Graph and ARM do.
func (s *Server) route(w http.ResponseWriter, r *http.Request) {
	segs := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	low := make([]string, len(segs))
	for i, p := range segs {
		low[i] = strings.ToLower(p)
	}
	switch {
	case len(low) == 4 && low[1] == "v2.0" && low[2] == ".well-known" && low[3] == "openid-configuration":
		s.serve(w, r, "openid", s.openIDConfig(r, segs[0]))
	case len(low) == 3 && low[0] == "common" && low[1] == "discovery" && low[2] == "instance":
		s.serve(w, r, "discovery", s.instanceDiscovery(r))
	case len(low) == 4 && low[1] == "oauth2" && low[2] == "v2.0" && low[3] == "token":
		s.serve(w, r, "token", s.token(r, segs[0]))
	case len(low) >= 2 && (low[0] == "v1.0" || low[0] == "beta"):
		s.graph(w, r, low[0], strings.Join(low[1:], "/"))
	case len(low) >= 1 && low[0] == "subscriptions":
		s.arm(w, r, segs, low)
	default:
		s.serve(w, r, "unknown", graphError(http.StatusNotFound, "ResourceNotFound",
			fmt.Sprintf("Resource not found for the segment '%s'.", segs[0]), s.wall()))
	}
}
