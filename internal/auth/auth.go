// Package auth is the console's identity layer: local users with argon2id password
// hashes, server-side sessions with a CSRF token each, API tokens for automation, roles
// (viewer, analyst, admin), and login rate limiting per user and per address. Sessions and
// tokens are stored under the SHA-256 of their secret, so the store never holds a usable
// credential; nothing here logs or returns a secret except to the one caller that made it.
package auth

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"time"

	"github.com/goccy/go-json"

	"github.com/vigil-sec/vigil/internal/store"
)

// Role is what a principal may do.
type Role string

// Roles, from least to most.
const (
	Viewer  Role = "viewer"  // every read
	Analyst Role = "analyst" // viewer, and acknowledge, close and comment
	Admin   Role = "admin"   // everything: rules, users, tokens
)

// Rank orders roles; an unknown role is -1.
func (r Role) Rank() int {
	switch r {
	case Viewer:
		return 0
	case Analyst:
		return 1
	case Admin:
		return 2
	}
	return -1
}

// Allows reports whether r includes need.
func (r Role) Allows(need Role) bool { return r.Rank() >= 0 && r.Rank() >= need.Rank() }

// Errors callers branch on.
var (
	ErrBadLogin   = errors.New("auth: wrong user name or password")
	ErrNoSession  = errors.New("auth: no such session, or it expired")
	ErrNoToken    = errors.New("auth: no such API token")
	ErrUserExists = errors.New("auth: a user of that name exists")
	ErrBadRequest = errors.New("auth: invalid request")
)

// RateLimited is a login refused because of too many failures; Wait is when to retry.
type RateLimited struct{ Wait time.Duration }

func (e *RateLimited) Error() string {
	return fmt.Sprintf("auth: too many failed logins; retry in %s", e.Wait.Round(time.Second))
}

// Principal is who made a request.
type Principal struct {
	User string
	Role Role
	// Via is "session" or "token"; CSRF is the session's CSRF token ("" for a token).
	Via  string
	CSRF string
}

// Options configure the service.
type Options struct {
	Store       store.StateStore
	SessionTTL  time.Duration // a session's whole life; default 12h
	IdleTimeout time.Duration // a session unused this long ends; default 30m
	// MaxFailures failed logins per user name or per address in Window are allowed
	// before further attempts are refused until the window ends (defaults 5 per user,
	// 20 per address, 15m).
	MaxUserFailures, MaxAddrFailures int
	Window                           time.Duration
	Clock                            func() time.Time
	Logger                           *slog.Logger
}

// Service authenticates users, sessions and tokens.
type Service struct {
	opts          Options
	users, addrs  *limiter
	dummyHash     string // checked for unknown users, so a login takes as long either way
	touchInterval time.Duration
}

// New returns a service over opts.Store.
func New(opts Options) *Service {
	if opts.SessionTTL <= 0 {
		opts.SessionTTL = 12 * time.Hour
	}
	if opts.IdleTimeout <= 0 {
		opts.IdleTimeout = 30 * time.Minute
	}
	if opts.MaxUserFailures <= 0 {
		opts.MaxUserFailures = 5
	}
	if opts.MaxAddrFailures <= 0 {
		opts.MaxAddrFailures = 20
	}
	if opts.Window <= 0 {
		opts.Window = 15 * time.Minute
	}
	if opts.Clock == nil {
		opts.Clock = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	return &Service{
		opts: opts, users: newLimiter(opts.MaxUserFailures, opts.Window), addrs: newLimiter(opts.MaxAddrFailures, opts.Window),
		dummyHash: HashPassword(randomString(16)), touchInterval: min(time.Minute, opts.IdleTimeout/4),
	}
}

const (
	userPrefix    = "auth/user/"
	sessionPrefix = "auth/session/"
	tokenPrefix   = "auth/token/"
)

// User is a local account; Hash never leaves this package's callers' storage.
type User struct {
	Name    string    `json:"username"`
	Role    Role      `json:"role"`
	Hash    string    `json:"hash,omitempty"`
	Created time.Time `json:"created"`
}

type session struct {
	User     string    `json:"user"`
	Role     Role      `json:"role"`
	CSRF     string    `json:"csrf"`
	Created  time.Time `json:"created"`
	LastSeen time.Time `json:"last_seen"`
}

// Token describes an API token; the token itself is shown once, at creation.
type Token struct {
	ID       string    `json:"id"`
	Name     string    `json:"name"`
	Role     Role      `json:"role"`
	By       string    `json:"created_by"`
	Created  time.Time `json:"created"`
	LastUsed time.Time `json:"last_used,omitzero"`
	hash     string
}

type tokenRecord struct {
	ID       string    `json:"id"`
	Name     string    `json:"name"`
	Role     Role      `json:"role"`
	By       string    `json:"by"`
	Created  time.Time `json:"created"`
	LastUsed time.Time `json:"last_used,omitzero"`
}

func digest(secret string) string {
	h := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(h[:])
}

func (s *Service) put(ctx context.Context, key string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("auth: encode: %w", err)
	}
	if err := s.opts.Store.PutState(ctx, key, b); err != nil {
		return fmt.Errorf("auth: store: %w", err)
	}
	return nil
}

func (s *Service) get(ctx context.Context, key string, v any) (bool, error) {
	b, ok, err := s.opts.Store.GetState(ctx, key)
	if err != nil {
		return false, fmt.Errorf("auth: read: %w", err)
	}
	if !ok {
		return false, nil
	}
	if err := json.Unmarshal(b, v); err != nil {
		return false, fmt.Errorf("auth: decode: %w", err)
	}
	return true, nil
}

// validName is a user or token name: 1–64 printable characters without spaces or slashes.
func validName(n string) bool {
	if n == "" || len(n) > 64 {
		return false
	}
	for _, r := range n {
		if r <= ' ' || r == '/' || r == 0x7f {
			return false
		}
	}
	return true
}

// EnsureAdmin creates user name as an admin when no user exists yet, with password, or a
// generated one when password is empty. It returns the password when it created the user
// (the caller prints it once), "" when users existed.
func (s *Service) EnsureAdmin(ctx context.Context, name, password string) (string, error) {
	users, err := s.opts.Store.ListState(ctx, userPrefix)
	if err != nil {
		return "", fmt.Errorf("auth: list users: %w", err)
	}
	if len(users) > 0 {
		return "", nil
	}
	if password == "" {
		password = RandomPassword()
	}
	if err := s.CreateUser(ctx, name, password, Admin); err != nil {
		return "", err
	}
	s.opts.Logger.Info("console: created the first admin user", "user", name)
	return password, nil
}

// CreateUser adds a local user.
func (s *Service) CreateUser(ctx context.Context, name, password string, role Role) error {
	if !validName(name) {
		return fmt.Errorf("%w: username: 1 to 64 characters, no spaces or slashes", ErrBadRequest)
	}
	if len(password) < 12 || len(password) > 1024 {
		return fmt.Errorf("%w: password: 12 to 1024 characters", ErrBadRequest)
	}
	if role.Rank() < 0 {
		return fmt.Errorf("%w: role: viewer, analyst or admin", ErrBadRequest)
	}
	var u User
	if ok, err := s.get(ctx, userPrefix+name, &u); err != nil {
		return err
	} else if ok {
		return ErrUserExists
	}
	return s.put(ctx, userPrefix+name, User{Name: name, Role: role, Hash: HashPassword(password), Created: s.opts.Clock().UTC()})
}

// Users lists the users, by name, without their hashes.
func (s *Service) Users(ctx context.Context) ([]User, error) {
	m, err := s.opts.Store.ListState(ctx, userPrefix)
	if err != nil {
		return nil, fmt.Errorf("auth: list users: %w", err)
	}
	out := []User{}
	for _, b := range m {
		var u User
		if err := json.Unmarshal(b, &u); err != nil {
			return nil, fmt.Errorf("auth: decode user: %w", err)
		}
		u.Hash = ""
		out = append(out, u)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// Login checks a user name and password from addr and starts a session. It returns the
// session id (the cookie's value) and the principal with the session's CSRF token.
func (s *Service) Login(ctx context.Context, name, password, addr string) (string, Principal, error) {
	now := s.opts.Clock()
	ukey := strings.ToLower(name)
	if w := max(s.users.wait(ukey, now), s.addrs.wait(addr, now)); w > 0 {
		return "", Principal{}, &RateLimited{Wait: w}
	}
	var u User
	ok, err := s.get(ctx, userPrefix+name, &u)
	if err != nil {
		return "", Principal{}, err
	}
	hash := s.dummyHash
	if ok {
		hash = u.Hash
	}
	match, err := CheckPassword(hash, password)
	if err != nil {
		return "", Principal{}, err
	}
	if !ok || !match {
		s.users.fail(ukey, now)
		s.addrs.fail(addr, now)
		s.opts.Logger.Warn("console: failed login", "user", name, "address", addr)
		return "", Principal{}, ErrBadLogin
	}
	s.users.reset(ukey)
	id := randomString(32)
	sess := session{User: u.Name, Role: u.Role, CSRF: randomString(24), Created: now.UTC(), LastSeen: now.UTC()}
	if err := s.put(ctx, sessionPrefix+digest(id), sess); err != nil {
		return "", Principal{}, err
	}
	s.opts.Logger.Info("console: login", "user", u.Name, "address", addr)
	return id, Principal{User: u.Name, Role: u.Role, Via: "session", CSRF: sess.CSRF}, nil
}

// Session returns the principal of session id, ErrNoSession when it does not exist, is
// older than the session TTL or was idle longer than the idle timeout (then it is deleted).
func (s *Service) Session(ctx context.Context, id string) (Principal, error) {
	if id == "" || len(id) > 128 {
		return Principal{}, ErrNoSession
	}
	key := sessionPrefix + digest(id)
	var sess session
	ok, err := s.get(ctx, key, &sess)
	if err != nil {
		return Principal{}, err
	}
	if !ok {
		return Principal{}, ErrNoSession
	}
	now := s.opts.Clock()
	if now.Sub(sess.Created) >= s.opts.SessionTTL || now.Sub(sess.LastSeen) >= s.opts.IdleTimeout {
		if err := s.opts.Store.DeleteState(ctx, key); err != nil {
			return Principal{}, fmt.Errorf("auth: end session: %w", err)
		}
		return Principal{}, ErrNoSession
	}
	if now.Sub(sess.LastSeen) >= s.touchInterval {
		sess.LastSeen = now.UTC()
		if err := s.put(ctx, key, sess); err != nil {
			return Principal{}, err
		}
	}
	// The user's current role, so a change takes effect on the next request.
	var u User
	if ok, err := s.get(ctx, userPrefix+sess.User, &u); err != nil {
		return Principal{}, err
	} else if !ok {
		return Principal{}, ErrNoSession
	}
	return Principal{User: sess.User, Role: u.Role, Via: "session", CSRF: sess.CSRF}, nil
}

// Logout ends session id.
func (s *Service) Logout(ctx context.Context, id string) error {
	if err := s.opts.Store.DeleteState(ctx, sessionPrefix+digest(id)); err != nil {
		return fmt.Errorf("auth: end session: %w", err)
	}
	return nil
}

// SetPassword replaces user name's password (creating the user with role when it does not
// exist): `vigil demo` gives its admin a fresh password on every start.
func (s *Service) SetPassword(ctx context.Context, name, password string, role Role) error {
	var u User
	ok, err := s.get(ctx, userPrefix+name, &u)
	if err != nil {
		return err
	}
	if !ok {
		return s.CreateUser(ctx, name, password, role)
	}
	if len(password) < 12 || len(password) > 1024 {
		return fmt.Errorf("%w: password: 12 to 1024 characters", ErrBadRequest)
	}
	u.Hash = HashPassword(password)
	return s.put(ctx, userPrefix+name, u)
}
