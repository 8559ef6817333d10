package auth

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/goccy/go-json"
)

// tokenMark begins every token this package makes, so a leaked one is easy to find.
const tokenMark = "vigil_"

// CreateToken makes an API token named name with role, created by by. It returns the
// token's id and the token itself, which is not stored and cannot be shown again.
func (s *Service) CreateToken(ctx context.Context, name string, role Role, by string) (string, string, error) {
	if !validName(name) {
		return "", "", fmt.Errorf("%w: name: 1 to 64 characters, no spaces or slashes", ErrBadRequest)
	}
	if role.Rank() < 0 {
		return "", "", fmt.Errorf("%w: role: viewer, analyst or admin", ErrBadRequest)
	}
	secret := tokenMark + randomString(32)
	rec := tokenRecord{ID: randomString(9), Name: name, Role: role, By: by, Created: s.opts.Clock().UTC()}
	if err := s.put(ctx, tokenPrefix+digest(secret), rec); err != nil {
		return "", "", err
	}
	s.opts.Logger.Info("console: API token created", "id", rec.ID, "name", name, "role", string(role), "by", by)
	return rec.ID, secret, nil
}

// Token returns the principal of an API token, ErrNoToken when it is unknown.
func (s *Service) Token(ctx context.Context, secret string) (Principal, error) {
	if !strings.HasPrefix(secret, tokenMark) || len(secret) > 128 {
		return Principal{}, ErrNoToken
	}
	key := tokenPrefix + digest(secret)
	var rec tokenRecord
	ok, err := s.get(ctx, key, &rec)
	if err != nil {
		return Principal{}, err
	}
	if !ok {
		return Principal{}, ErrNoToken
	}
	if now := s.opts.Clock(); now.Sub(rec.LastUsed) >= s.touchInterval {
		rec.LastUsed = now.UTC()
		if err := s.put(ctx, key, rec); err != nil {
			return Principal{}, err
		}
	}
	return Principal{User: "token:" + rec.Name, Role: rec.Role, Via: "token"}, nil
}

// Tokens lists the API tokens, newest first, without their secrets.
func (s *Service) Tokens(ctx context.Context) ([]Token, error) {
	m, err := s.opts.Store.ListState(ctx, tokenPrefix)
	if err != nil {
		return nil, fmt.Errorf("auth: list tokens: %w", err)
	}
	out := []Token{}
	for k, b := range m {
		var r tokenRecord
		if err := json.Unmarshal(b, &r); err != nil {
			return nil, fmt.Errorf("auth: decode token: %w", err)
		}
		out = append(out, Token{ID: r.ID, Name: r.Name, Role: r.Role, By: r.By, Created: r.Created, LastUsed: r.LastUsed, hash: k})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Created.After(out[j].Created) })
	return out, nil
}

// DeleteToken revokes the token of id; ErrNoToken when there is none.
func (s *Service) DeleteToken(ctx context.Context, id string) error {
	ts, err := s.Tokens(ctx)
	if err != nil {
		return err
	}
	for _, t := range ts {
		if t.ID == id {
			if err := s.opts.Store.DeleteState(ctx, t.hash); err != nil {
				return fmt.Errorf("auth: delete token: %w", err)
			}
			s.opts.Logger.Info("console: API token revoked", "id", id, "name", t.Name)
			return nil
		}
	}
	return ErrNoToken
}
