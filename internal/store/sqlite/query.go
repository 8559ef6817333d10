package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/goccy/go-json"

	"github.com/vigil-sec/vigil/internal/event"
	"github.com/vigil-sec/vigil/internal/store"
)

// Checkpoint returns the source's last checkpoint, nil if none.
func (s *Store) Checkpoint(ctx context.Context, source string) (store.Checkpoint, error) {
	var cp []byte
	err := s.db.QueryRowContext(ctx, `SELECT data FROM checkpoints WHERE source = ?`, source).Scan(&cp)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("sqlite: checkpoint %s: %w", source, err)
	}
	return cp, nil
}

// Query returns a page of events.
func (s *Store) Query(ctx context.Context, q store.Query) (store.Page, error) {
	limit := pageLimit(q.Limit)
	var f pageFilter
	f.eventSpan(q.From, q.To, q.Entity)
	if q.Category != "" {
		f.add("category = ?", string(q.Category))
	}
	if q.ClassUID != 0 {
		f.add("class_uid = ?", q.ClassUID)
	}
	if q.Source != "" {
		f.add("source = ?", q.Source)
	}
	sqlText, args, err := f.sql(`SELECT seq, time, block, off, len FROM events`, q.Cursor, q.Ascending, limit)
	if err != nil {
		return store.Page{}, err
	}
	rows, err := s.db.QueryContext(ctx, sqlText, args...)
	if err != nil {
		return store.Page{}, fmt.Errorf("sqlite: query: %w", err)
	}
	defer rows.Close()
	type loc struct {
		seq, time, block int64
		off, n           int
	}
	var locs []loc
	for rows.Next() {
		var l loc
		if err := rows.Scan(&l.seq, &l.time, &l.block, &l.off, &l.n); err != nil {
			return store.Page{}, fmt.Errorf("sqlite: query: %w", err)
		}
		locs = append(locs, l)
	}
	if err := rows.Err(); err != nil {
		return store.Page{}, fmt.Errorf("sqlite: query: %w", err)
	}
	rows.Close()
	var page store.Page
	if len(locs) > limit {
		last := locs[limit-1]
		page.Next = strconv.FormatInt(last.time, 10) + "." + strconv.FormatInt(last.seq, 10)
		locs = locs[:limit]
	}
	for _, l := range locs {
		ev, err := s.load(ctx, l.block, l.off, l.n)
		if err != nil {
			return store.Page{}, err
		}
		page.Events = append(page.Events, ev)
	}
	return page, nil
}

func parseCursor(c string) (int64, int64, error) {
	a, b, ok := strings.Cut(c, ".")
	t, err1 := strconv.ParseInt(a, 10, 64)
	seq, err2 := strconv.ParseInt(b, 10, 64)
	if !ok || err1 != nil || err2 != nil {
		return 0, 0, fmt.Errorf("sqlite: bad cursor %q", c)
	}
	return t, seq, nil
}

// Get returns one event.
func (s *Store) Get(ctx context.Context, source, uid string) (*event.Event, error) {
	var block int64
	var off, n int
	err := s.db.QueryRowContext(ctx, `SELECT block, off, len FROM events WHERE source = ? AND uid = ?`, source, uid).Scan(&block, &off, &n)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, store.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("sqlite: get %s/%s: %w", source, uid, err)
	}
	return s.load(ctx, block, off, n)
}

// load decodes one event out of its block.
func (s *Store) load(ctx context.Context, block int64, off, n int) (*event.Event, error) {
	data, ok := s.cache.get(block)
	if !ok {
		var compressed []byte
		if err := s.db.QueryRowContext(ctx, `SELECT data FROM blocks WHERE id = ?`, block).Scan(&compressed); err != nil {
			return nil, fmt.Errorf("sqlite: read block %d: %w", block, err)
		}
		var err error
		if data, err = s.dec.DecodeAll(compressed, nil); err != nil {
			return nil, fmt.Errorf("sqlite: decompress block %d: %w", block, err)
		}
		s.cache.put(block, data)
	}
	if off < 0 || off+n > len(data) {
		return nil, fmt.Errorf("sqlite: block %d: event at %d+%d outside %d bytes", block, off, n, len(data))
	}
	var ev event.Event
	if err := json.Unmarshal(data[off:off+n], &ev); err != nil {
		return nil, fmt.Errorf("sqlite: decode event in block %d: %w", block, err)
	}
	return &ev, nil
}

// Summary counts distinct values per field for one entity since a time.
func (s *Store) Summary(ctx context.Context, entity event.Entity, since time.Time, fields []string) (map[string][]store.ValueCount, error) {
	cols := summaryColumns()
	out := map[string][]store.ValueCount{}
	for _, f := range fields {
		col, ok := cols[f]
		if !ok {
			return nil, fmt.Errorf("sqlite: summary: unknown field %q (known: %s)", f, strings.Join(store.SummaryFields(), ", "))
		}
		rows, err := s.db.QueryContext(ctx, `SELECT `+col+`, COUNT(*) FROM events
			WHERE entity_type = ? AND entity_name = ? AND time >= ? AND `+col+` != ''
			GROUP BY `+col+` ORDER BY 2 DESC, 1 LIMIT 50`,
			string(entity.Type), entity.Name, since.UnixMilli())
		if err != nil {
			return nil, fmt.Errorf("sqlite: summary %s: %w", f, err)
		}
		var vcs []store.ValueCount
		for rows.Next() {
			var vc store.ValueCount
			if err := rows.Scan(&vc.Value, &vc.Count); err != nil {
				rows.Close()
				return nil, fmt.Errorf("sqlite: summary %s: %w", f, err)
			}
			vcs = append(vcs, vc)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("sqlite: summary %s: %w", f, err)
		}
		out[f] = vcs
	}
	return out, nil
}

// DeleteBefore removes events older than t and the blocks no event points to any more.
func (s *Store) DeleteBefore(ctx context.Context, t time.Time) (int, error) {
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("sqlite: retention: %w", err)
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, `DELETE FROM events WHERE time < ?`, t.UnixMilli())
	if err != nil {
		return 0, fmt.Errorf("sqlite: retention: %w", err)
	}
	n, _ := res.RowsAffected()
	if n > 0 {
		if _, err := tx.ExecContext(ctx, `DELETE FROM blocks WHERE id NOT IN (SELECT DISTINCT block FROM events)`); err != nil {
			return 0, fmt.Errorf("sqlite: retention: blocks: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("sqlite: retention: %w", err)
	}
	s.cache.clear()
	return int(n), nil
}
