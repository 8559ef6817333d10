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

	"github.com/vigil-sec/vigil/internal/alert"
	"github.com/vigil-sec/vigil/internal/event"
	"github.com/vigil-sec/vigil/internal/store"
)

// SetStatus records (kind, id)'s lifecycle state, replacing the previous one.
func (s *Store) SetStatus(ctx context.Context, kind, id string, st store.Status) error {
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	_, err := s.db.ExecContext(ctx, `INSERT INTO lifecycle (kind, id, state, by, at, reason) VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (kind, id) DO UPDATE SET state = excluded.state, by = excluded.by, at = excluded.at, reason = excluded.reason`,
		kind, id, st.State, st.By, st.At.UnixMilli(), st.Reason)
	if err != nil {
		return fmt.Errorf("sqlite: set status of %s %s: %w", kind, id, err)
	}
	return nil
}

// Statuses returns the recorded status of each of ids.
func (s *Store) Statuses(ctx context.Context, kind string, ids []string) (map[string]store.Status, error) {
	out := map[string]store.Status{}
	for len(ids) > 0 {
		n := min(len(ids), 500)
		chunk := ids[:n]
		ids = ids[n:]
		args := []any{kind}
		for _, id := range chunk {
			args = append(args, id)
		}
		rows, err := s.db.QueryContext(ctx, `SELECT id, state, by, at, reason FROM lifecycle WHERE kind = ? AND id IN (?`+strings.Repeat(",?", n-1)+`)`, args...)
		if err != nil {
			return nil, fmt.Errorf("sqlite: statuses: %w", err)
		}
		for rows.Next() {
			var id string
			var st store.Status
			var at int64
			if err := rows.Scan(&id, &st.State, &st.By, &at, &st.Reason); err != nil {
				rows.Close()
				return nil, fmt.Errorf("sqlite: statuses: %w", err)
			}
			st.At = time.UnixMilli(at).UTC()
			out[id] = st
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return nil, fmt.Errorf("sqlite: statuses: %w", err)
		}
	}
	return out, nil
}

// AddComment appends a comment to (kind, id).
func (s *Store) AddComment(ctx context.Context, kind, id string, c store.Comment) error {
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	if _, err := s.db.ExecContext(ctx, `INSERT INTO comments (kind, id, by, at, text) VALUES (?, ?, ?, ?, ?)`,
		kind, id, c.By, c.At.UnixMilli(), c.Text); err != nil {
		return fmt.Errorf("sqlite: comment on %s %s: %w", kind, id, err)
	}
	return nil
}

// Comments returns (kind, id)'s comments, oldest first.
func (s *Store) Comments(ctx context.Context, kind, id string) ([]store.Comment, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT by, at, text FROM comments WHERE kind = ? AND id = ? ORDER BY seq`, kind, id)
	if err != nil {
		return nil, fmt.Errorf("sqlite: comments of %s %s: %w", kind, id, err)
	}
	defer rows.Close()
	out := []store.Comment{}
	for rows.Next() {
		var c store.Comment
		var at int64
		if err := rows.Scan(&c.By, &at, &c.Text); err != nil {
			return nil, fmt.Errorf("sqlite: comments of %s %s: %w", kind, id, err)
		}
		c.At = time.UnixMilli(at).UTC()
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: comments of %s %s: %w", kind, id, err)
	}
	return out, nil
}

// AlertsByStatus returns a page of alerts filtered by lifecycle state and rule kind too.
func (s *Store) AlertsByStatus(ctx context.Context, q store.StatusAlertQuery) (store.AlertPage, error) {
	var extra []string
	var args []any
	switch q.State {
	case "":
	case store.StateNew:
		extra = append(extra, `NOT EXISTS (SELECT 1 FROM lifecycle l WHERE l.kind = 'alert' AND l.id = alerts.id AND l.state != 'new')`)
	case store.StateAcknowledged, store.StateClosed:
		extra = append(extra, `EXISTS (SELECT 1 FROM lifecycle l WHERE l.kind = 'alert' AND l.id = alerts.id AND l.state = ?)`)
		args = append(args, q.State)
	default:
		return store.AlertPage{}, fmt.Errorf("sqlite: alerts: unknown state %q", q.State)
	}
	if q.Kind != "" {
		extra = append(extra, "kind = ?")
		args = append(args, q.Kind)
	}
	return s.alertPage(ctx, q.AlertQuery, extra, args)
}

// AlertCounts counts the alerts of [from, to) by severity and by lifecycle state (an alert
// without a lifecycle row is new).
func (s *Store) AlertCounts(ctx context.Context, from, to time.Time) (store.AlertCounts, error) {
	c := store.AlertCounts{BySeverity: map[string]int{}, ByState: map[string]int{}}
	for _, sev := range []alert.Severity{alert.SeverityInfo, alert.SeverityLow, alert.SeverityMedium, alert.SeverityHigh, alert.SeverityCritical} {
		c.BySeverity[string(sev)] = 0
	}
	for _, st := range []string{store.StateNew, store.StateAcknowledged, store.StateClosed} {
		c.ByState[st] = 0
	}
	var f pageFilter
	f.span(from, to, event.Entity{})
	where := ""
	if len(f.where) > 0 {
		where = " WHERE " + strings.Join(f.where, " AND ")
	}
	rows, err := s.db.QueryContext(ctx, `SELECT severity, COUNT(*) FROM alerts`+where+` GROUP BY severity`, f.args...)
	if err != nil {
		return c, fmt.Errorf("sqlite: alert counts: %w", err)
	}
	total := 0
	names := []string{"informational", "low", "medium", "high", "critical"}
	for rows.Next() {
		var rank, n int
		if err := rows.Scan(&rank, &n); err != nil {
			rows.Close()
			return c, fmt.Errorf("sqlite: alert counts: %w", err)
		}
		if rank >= 0 && rank < len(names) {
			c.BySeverity[names[rank]] += n
		}
		total += n
	}
	err = rows.Err()
	rows.Close()
	if err != nil {
		return c, fmt.Errorf("sqlite: alert counts: %w", err)
	}
	lwhere := strings.ReplaceAll(where, "time", "a.time")
	rows, err = s.db.QueryContext(ctx, `SELECT l.state, COUNT(*) FROM lifecycle l JOIN alerts a ON a.id = l.id`+
		strings.Replace(lwhere, " WHERE ", " WHERE l.kind = 'alert' AND ", 1)+func() string {
		if lwhere == "" {
			return " WHERE l.kind = 'alert'"
		}
		return ""
	}()+` GROUP BY l.state`, f.args...)
	if err != nil {
		return c, fmt.Errorf("sqlite: alert counts by state: %w", err)
	}
	defer rows.Close()
	touched := 0
	for rows.Next() {
		var st string
		var n int
		if err := rows.Scan(&st, &n); err != nil {
			return c, fmt.Errorf("sqlite: alert counts by state: %w", err)
		}
		if st != store.StateNew {
			c.ByState[st] += n
			touched += n
		}
	}
	if err := rows.Err(); err != nil {
		return c, fmt.Errorf("sqlite: alert counts by state: %w", err)
	}
	c.ByState[store.StateNew] = total - touched
	return c, nil
}

// alertPage is Alerts with extra conditions (the lifecycle and kind filters).
func (s *Store) alertPage(ctx context.Context, q store.AlertQuery, extra []string, extraArgs []any) (store.AlertPage, error) {
	limit := pageLimit(q.Limit)
	var f pageFilter
	f.span(q.From, q.To, q.Entity)
	if q.MinSeverity != "" {
		f.add("severity >= ?", q.MinSeverity.Rank())
	}
	if q.RuleID != "" {
		f.add("rule_id = ?", q.RuleID)
	}
	f.where = append(f.where, extra...)
	f.args = append(f.args, extraArgs...)
	text, args, err := f.sql(`SELECT time, seq, data FROM alerts`, q.Cursor, q.Ascending, limit)
	if err != nil {
		return store.AlertPage{}, err
	}
	rows, err := s.db.QueryContext(ctx, text, args...)
	if err != nil {
		return store.AlertPage{}, fmt.Errorf("sqlite: alerts: %w", err)
	}
	defer rows.Close()
	var page store.AlertPage
	var lastT, lastSeq int64
	for rows.Next() {
		var t, seq int64
		var data []byte
		if err := rows.Scan(&t, &seq, &data); err != nil {
			return store.AlertPage{}, fmt.Errorf("sqlite: alerts: %w", err)
		}
		if len(page.Alerts) == limit {
			page.Next = strconv.FormatInt(lastT, 10) + "." + strconv.FormatInt(lastSeq, 10)
			break
		}
		var a alert.Alert
		if err := json.Unmarshal(data, &a); err != nil {
			return store.AlertPage{}, fmt.Errorf("sqlite: alerts: decode: %w", err)
		}
		page.Alerts = append(page.Alerts, a)
		lastT, lastSeq = t, seq
	}
	if err := rows.Err(); err != nil {
		return store.AlertPage{}, fmt.Errorf("sqlite: alerts: %w", err)
	}
	return page, nil
}

// Alert returns one alert by id, store.ErrNotFound when there is none.
func (s *Store) Alert(ctx context.Context, id string) (alert.Alert, error) {
	var data []byte
	err := s.db.QueryRowContext(ctx, `SELECT data FROM alerts WHERE id = ?`, id).Scan(&data)
	if errors.Is(err, sql.ErrNoRows) {
		return alert.Alert{}, store.ErrNotFound
	}
	if err != nil {
		return alert.Alert{}, fmt.Errorf("sqlite: alert %s: %w", id, err)
	}
	var a alert.Alert
	if err := json.Unmarshal(data, &a); err != nil {
		return alert.Alert{}, fmt.Errorf("sqlite: alert %s: decode: %w", id, err)
	}
	return a, nil
}

var _ store.LifecycleStore = (*Store)(nil)
