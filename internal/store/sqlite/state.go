package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// PutState stores value under key.
func (s *Store) PutState(ctx context.Context, key string, value []byte) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO state (key, value, updated) VALUES (?, ?, ?)
		ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated = excluded.updated`,
		key, value, time.Now().UnixMilli())
	if err != nil {
		return fmt.Errorf("sqlite: put state %s: %w", key, err)
	}
	return nil
}

// GetState reads key; ok is false when it is not set.
func (s *Store) GetState(ctx context.Context, key string) ([]byte, bool, error) {
	var v []byte
	err := s.db.QueryRowContext(ctx, `SELECT value FROM state WHERE key = ?`, key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("sqlite: get state %s: %w", key, err)
	}
	return v, true, nil
}

// DeleteState removes key.
func (s *Store) DeleteState(ctx context.Context, key string) error {
	if _, err := s.db.ExecContext(ctx, `DELETE FROM state WHERE key = ?`, key); err != nil {
		return fmt.Errorf("sqlite: delete state %s: %w", key, err)
	}
	return nil
}

// ListState returns every key with the prefix and its value.
func (s *Store) ListState(ctx context.Context, prefix string) (map[string][]byte, error) {
	// A range scan, not LIKE: keys may contain % and _.
	rows, err := s.db.QueryContext(ctx, `SELECT key, value FROM state WHERE key >= ? AND key < ?`, prefix, prefix+"\U0010FFFF")
	if err != nil {
		return nil, fmt.Errorf("sqlite: list state %s: %w", prefix, err)
	}
	defer rows.Close()
	out := map[string][]byte{}
	for rows.Next() {
		var k string
		var v []byte
		if err := rows.Scan(&k, &v); err != nil {
			return nil, fmt.Errorf("sqlite: list state %s: %w", prefix, err)
		}
		if strings.HasPrefix(k, prefix) {
			out[k] = v
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: list state %s: %w", prefix, err)
	}
	return out, nil
}
