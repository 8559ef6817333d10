package auth

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/vigil-sec/vigil/internal/store/sqlite"
)

func TestPasswordHash(t *testing.T) {
	h := HashPassword("a long enough secret")
	if !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") || strings.Contains(h, "secret") {
		t.Fatalf("hash %q", h)
	}
	if h == HashPassword("a long enough secret") {
		t.Error("two hashes of one password are equal: no salt")
	}
	for pw, want := range map[string]bool{"a long enough secret": true, "a long enough secreT": false, "": false} {
		if ok, err := CheckPassword(h, pw); err != nil || ok != want {
			t.Errorf("check %q: %v %v", pw, ok, err)
		}
	}
	for _, bad := range []string{"", "$argon2id$", "$bcrypt$v=19$m=1,t=1,p=1$AA$AA", "$argon2id$v=19$m=99999999,t=1,p=1$AA$AA", "$argon2id$v=19$m=8,t=1,p=1$!!$AA"} {
		if _, err := CheckPassword(bad, "x"); err == nil {
			t.Errorf("hash %q accepted", bad)
		}
	}
}

func TestEnsureAdminTokensAndRoles(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	s := New(Options{Store: st})
	pw, err := s.EnsureAdmin(ctx, "admin", "")
	if err != nil || len(pw) < 20 {
		t.Fatalf("first admin: %q %v", pw, err)
	}
	if again, err := s.EnsureAdmin(ctx, "admin", ""); err != nil || again != "" {
		t.Errorf("second start made a password: %q %v", again, err)
	}
	if _, p, err := s.Login(ctx, "admin", pw, "192.0.2.1"); err != nil || p.Role != Admin {
		t.Fatalf("login: %+v %v", p, err)
	}
	if err := s.CreateUser(ctx, "admin", "another password!", Viewer); !errors.Is(err, ErrUserExists) {
		t.Errorf("duplicate user: %v", err)
	}
	if err := s.CreateUser(ctx, "bob", "short", Viewer); !errors.Is(err, ErrBadRequest) {
		t.Errorf("short password: %v", err)
	}
	if err := s.CreateUser(ctx, "bob", "long enough password", "root"); !errors.Is(err, ErrBadRequest) {
		t.Errorf("unknown role: %v", err)
	}
	id, tok, err := s.CreateToken(ctx, "ci", Analyst, "admin")
	if err != nil {
		t.Fatal(err)
	}
	if p, err := s.Token(ctx, tok); err != nil || p.Role != Analyst || p.Via != "token" {
		t.Errorf("token: %+v %v", p, err)
	}
	raw, _ := st.ListState(ctx, "auth/")
	for k, v := range raw {
		if strings.Contains(k+string(v), tok) || strings.Contains(k+string(v), pw) {
			t.Errorf("the store holds a secret under %s", k)
		}
	}
	if err := s.DeleteToken(ctx, id); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Token(ctx, tok); !errors.Is(err, ErrNoToken) {
		t.Errorf("revoked token: %v", err)
	}
	if !Admin.Allows(Analyst) || Viewer.Allows(Analyst) || Role("x").Allows(Viewer) {
		t.Error("role order")
	}
}

func TestLimiterForgetsAfterWindow(t *testing.T) {
	l := newLimiter(2, time.Minute)
	now := time.Now()
	l.fail("k", now)
	l.fail("k", now)
	if w := l.wait("k", now.Add(10*time.Second)); w != 50*time.Second {
		t.Errorf("wait %s", w)
	}
	if w := l.wait("k", now.Add(time.Minute)); w != 0 {
		t.Errorf("after the window: %s", w)
	}
	for i := range limiterKeys + 10 {
		l.fail(string(rune(i)), now)
	}
	if len(l.keys) > limiterKeys {
		t.Errorf("%d keys kept", len(l.keys))
	}
}
