package sqlite

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/goccy/go-json"

	"github.com/vigil-sec/vigil/internal/alert"
	"github.com/vigil-sec/vigil/internal/store"
)

// PutAlerts inserts or replaces alerts by id in one transaction.
func (s *Store) PutAlerts(ctx context.Context, alerts []alert.Alert) ([]alert.Alert, error) {
	if len(alerts) == 0 {
		return nil, nil
	}
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("sqlite: put alerts: %w", err)
	}
	defer tx.Rollback()
	var seq int64
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(seq), 0) FROM alerts`).Scan(&seq); err != nil {
		return nil, fmt.Errorf("sqlite: put alerts: %w", err)
	}
	now := time.Now().UnixMilli()
	var fresh []alert.Alert
	for _, a := range alerts {
		data, err := json.Marshal(a)
		if err != nil {
			return nil, fmt.Errorf("sqlite: put alert %s: encode: %w", a.ID, err)
		}
		seq++
		res, err := tx.ExecContext(ctx, `INSERT INTO alerts (id, time, seq, rule_id, severity, entity_type, entity_name, data, stored)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (id) DO NOTHING`,
			a.ID, a.Time.UnixMilli(), seq, a.Rule.ID, a.Severity.Rank(), string(a.Entity.Type), a.Entity.Name, data, now)
		if err != nil {
			return nil, fmt.Errorf("sqlite: put alert %s: %w", a.ID, err)
		}
		if n, _ := res.RowsAffected(); n == 1 {
			fresh = append(fresh, a)
			continue
		}
		if _, err := tx.ExecContext(ctx, `UPDATE alerts SET time = ?, severity = ?, data = ? WHERE id = ?`,
			a.Time.UnixMilli(), a.Severity.Rank(), data, a.ID); err != nil {
			return nil, fmt.Errorf("sqlite: update alert %s: %w", a.ID, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("sqlite: put alerts: commit: %w", err)
	}
	return fresh, nil
}

// Alerts returns a page of alerts ordered by time (and insertion for equal times).
func (s *Store) Alerts(ctx context.Context, q store.AlertQuery) (store.AlertPage, error) {
	limit := pageLimit(q.Limit)
	var f pageFilter
	f.span(q.From, q.To, q.Entity)
	if q.MinSeverity != "" {
		f.add("severity >= ?", q.MinSeverity.Rank())
	}
	if q.RuleID != "" {
		f.add("rule_id = ?", q.RuleID)
	}
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
