package sqlite

import (
	"context"
	"fmt"

	"github.com/vigil-sec/vigil/internal/event"
)

// LastSeq is the seq of the newest events row, 0 when there is none. Rows get
// max(seq)+1, so an event stored after the call has a larger one.
func (s *Store) LastSeq(ctx context.Context) (int64, error) {
	var seq int64
	if err := s.db.QueryRowContext(ctx, `SELECT COALESCE(MAX(seq), 0) FROM events`).Scan(&seq); err != nil {
		return 0, fmt.Errorf("sqlite: last seq: %w", err)
	}
	return seq, nil
}

// StoredAfter returns up to limit events with seq above after, in seq (storing) order.
func (s *Store) StoredAfter(ctx context.Context, after int64, limit int) ([]*event.Event, int64, error) {
	limit = pageLimit(limit)
	rows, err := s.db.QueryContext(ctx, `SELECT seq, block, off, len FROM events WHERE seq > ? ORDER BY seq LIMIT ?`, after, limit)
	if err != nil {
		return nil, after, fmt.Errorf("sqlite: events stored after %d: %w", after, err)
	}
	type loc struct {
		seq, block int64
		off, n     int
	}
	var locs []loc
	for rows.Next() {
		var l loc
		if err := rows.Scan(&l.seq, &l.block, &l.off, &l.n); err != nil {
			rows.Close()
			return nil, after, fmt.Errorf("sqlite: events stored after %d: %w", after, err)
		}
		locs = append(locs, l)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, after, fmt.Errorf("sqlite: events stored after %d: %w", after, err)
	}
	out := make([]*event.Event, 0, len(locs))
	last := after
	for _, l := range locs {
		ev, err := s.load(ctx, l.block, l.off, l.n)
		if err != nil {
			return nil, after, err
		}
		out = append(out, ev)
		last = l.seq
	}
	return out, last, nil
}
