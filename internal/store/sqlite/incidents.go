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
	"github.com/vigil-sec/vigil/internal/incident"
	"github.com/vigil-sec/vigil/internal/store"
)

// PutIncidents inserts or replaces incidents by id in one transaction, with the alerts and
// entities they hold (for the queries by alert and entity). The ids an incident Replaces
// (incidents merged into it, or its own earlier id) are deleted; their comments and latest
// status move to it.
func (s *Store) PutIncidents(ctx context.Context, incs []incident.Incident) error {
	if len(incs) == 0 {
		return nil
	}
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlite: put incidents: %w", err)
	}
	defer tx.Rollback()
	var seq int64
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(seq), 0) FROM incidents`).Scan(&seq); err != nil {
		return fmt.Errorf("sqlite: put incidents: %w", err)
	}
	now := time.Now().UnixMilli()
	for _, in := range incs {
		for _, old := range in.Replaces {
			if old == in.ID {
				continue
			}
			// Links to the old id (and to the ids it had replaced) lead to this one.
			if _, err := tx.ExecContext(ctx, `UPDATE incident_members SET incident = ? WHERE kind = 'replaced' AND incident = ?`, in.ID, old); err != nil {
				return fmt.Errorf("sqlite: put incident %s: %w", in.ID, err)
			}
			if err := deleteIncident(ctx, tx, old); err != nil {
				return err
			}
			if err := addMember(ctx, tx, "replaced", old, in.ID); err != nil {
				return err
			}
			if err := carryLifecycle(ctx, tx, old, in.ID); err != nil {
				return err
			}
		}
		data, err := json.Marshal(in)
		if err != nil {
			return fmt.Errorf("sqlite: put incident %s: encode: %w", in.ID, err)
		}
		seq++
		if _, err := tx.ExecContext(ctx, `INSERT INTO incidents (id, time, seq, first_seen, score, alerts, data, stored)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (id) DO UPDATE SET time = excluded.time, first_seen = excluded.first_seen,
				score = excluded.score, alerts = excluded.alerts, data = excluded.data`,
			in.ID, in.LastSeen.UnixMilli(), seq, in.FirstSeen.UnixMilli(), in.Score, len(in.AlertIDs), data, now); err != nil {
			return fmt.Errorf("sqlite: put incident %s: %w", in.ID, err)
		}
		// Its alerts and entities are written again; the ids it replaced stay linked, and
		// its own id, if it was once replaced, is its own again.
		if _, err := tx.ExecContext(ctx, `DELETE FROM incident_members WHERE (incident = ? AND kind != 'replaced') OR (kind = 'replaced' AND key = ?)`, in.ID, in.ID); err != nil {
			return fmt.Errorf("sqlite: put incident %s: members: %w", in.ID, err)
		}
		for _, id := range in.AlertIDs {
			if err := addMember(ctx, tx, "alert", id, in.ID); err != nil {
				return err
			}
		}
		for _, e := range in.Entities {
			if err := addMember(ctx, tx, "entity", e.Key(), in.ID); err != nil {
				return err
			}
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("sqlite: put incidents: commit: %w", err)
	}
	return nil
}

func addMember(ctx context.Context, tx *sql.Tx, kind, key, id string) error {
	if _, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO incident_members (kind, key, incident) VALUES (?, ?, ?)`, kind, key, id); err != nil {
		return fmt.Errorf("sqlite: put incident %s: %s member: %w", id, kind, err)
	}
	return nil
}

// carryLifecycle moves what analysts did on a replaced incident to the one that took it
// over: its comments, and its status when it was set later than the new id's (the latest
// decision about the story stands), so a merge or re-anchor loses no acknowledgement.
func carryLifecycle(ctx context.Context, tx *sql.Tx, old, id string) error {
	if _, err := tx.ExecContext(ctx, `UPDATE comments SET id = ? WHERE kind = ? AND id = ?`, id, store.KindIncident, old); err != nil {
		return fmt.Errorf("sqlite: carry comments of incident %s to %s: %w", old, id, err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO lifecycle (kind, id, state, by, at, reason)
		SELECT kind, ?, state, by, at, reason FROM lifecycle WHERE kind = ? AND id = ?
		ON CONFLICT (kind, id) DO UPDATE SET state = excluded.state, by = excluded.by, at = excluded.at, reason = excluded.reason
			WHERE excluded.at > lifecycle.at`, id, store.KindIncident, old); err != nil {
		return fmt.Errorf("sqlite: carry status of incident %s to %s: %w", old, id, err)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM lifecycle WHERE kind = ? AND id = ?`, store.KindIncident, old); err != nil {
		return fmt.Errorf("sqlite: carry status of incident %s to %s: %w", old, id, err)
	}
	return nil
}

func deleteIncident(ctx context.Context, tx *sql.Tx, id string) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM incidents WHERE id = ?`, id); err != nil {
		return fmt.Errorf("sqlite: delete replaced incident %s: %w", id, err)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM incident_members WHERE incident = ?`, id); err != nil {
		return fmt.Errorf("sqlite: delete replaced incident %s: %w", id, err)
	}
	return nil
}

// Incidents returns a page of incidents ordered by last seen (and storing order).
func (s *Store) Incidents(ctx context.Context, q store.IncidentQuery) (store.IncidentPage, error) {
	limit := pageLimit(q.Limit)
	var f pageFilter
	f.span(q.From, q.To, event.Entity{})
	if !q.Entity.IsZero() {
		f.add("id IN (SELECT incident FROM incident_members WHERE kind = 'entity' AND key = ?)", q.Entity.Key())
	}
	if q.AlertID != "" {
		f.add("id IN (SELECT incident FROM incident_members WHERE kind = 'alert' AND key = ?)", q.AlertID)
	}
	if q.MinScore > 0 {
		f.add("score >= ?", q.MinScore)
	}
	if !q.Singles {
		f.add("alerts >= 2")
	}
	text, args, err := f.sql(`SELECT time, seq, data FROM incidents`, q.Cursor, q.Ascending, limit)
	if err != nil {
		return store.IncidentPage{}, err
	}
	rows, err := s.db.QueryContext(ctx, text, args...)
	if err != nil {
		return store.IncidentPage{}, fmt.Errorf("sqlite: incidents: %w", err)
	}
	defer rows.Close()
	var page store.IncidentPage
	var lastT, lastSeq int64
	for rows.Next() {
		var t, seq int64
		var data []byte
		if err := rows.Scan(&t, &seq, &data); err != nil {
			return store.IncidentPage{}, fmt.Errorf("sqlite: incidents: %w", err)
		}
		if len(page.Incidents) == limit {
			page.Next = strconv.FormatInt(lastT, 10) + "." + strconv.FormatInt(lastSeq, 10)
			break
		}
		var in incident.Incident
		if err := json.Unmarshal(data, &in); err != nil {
			return store.IncidentPage{}, fmt.Errorf("sqlite: incidents: decode: %w", err)
		}
		page.Incidents = append(page.Incidents, in)
		lastT, lastSeq = t, seq
	}
	if err := rows.Err(); err != nil {
		return store.IncidentPage{}, fmt.Errorf("sqlite: incidents: %w", err)
	}
	return page, nil
}

// Incident returns one incident by id.
// An id that a merge or re-anchor replaced gives the incident that took it over (its own
// id in ID), so a link to an incident keeps working as the story grows.
func (s *Store) Incident(ctx context.Context, id string) (incident.Incident, error) {
	var data []byte
	err := s.db.QueryRowContext(ctx, `SELECT data FROM incidents WHERE id = ?`, id).Scan(&data)
	if errors.Is(err, sql.ErrNoRows) {
		err = s.db.QueryRowContext(ctx, `SELECT i.data FROM incident_members m JOIN incidents i ON i.id = m.incident
			WHERE m.kind = 'replaced' AND m.key = ?`, id).Scan(&data)
	}
	if errors.Is(err, sql.ErrNoRows) {
		return incident.Incident{}, store.ErrNotFound
	}
	if err != nil {
		return incident.Incident{}, fmt.Errorf("sqlite: incident %s: %w", id, err)
	}
	var in incident.Incident
	if err := json.Unmarshal(data, &in); err != nil {
		return incident.Incident{}, fmt.Errorf("sqlite: incident %s: decode: %w", id, err)
	}
	return in, nil
}

// maxHistory bounds one History read.
const maxHistory = 100000

// History returns the index rows of an entity's events in a time range.
func (s *Store) History(ctx context.Context, entity event.Entity, from, to time.Time, limit int) ([]store.HistoryRow, error) {
	if limit <= 0 || limit > maxHistory {
		limit = maxHistory
	}
	where, args := "entity_type = ? AND entity_name = ?", []any{string(entity.Type), entity.Name}
	switch entity.Type {
	case event.EntityIP:
		where, args = "ip = ?", []any{entity.Name}
	case event.EntityUserAgent:
		where, args = "user_agent = ?", []any{entity.Name}
	}
	args = append(args, from.UnixMilli(), to.UnixMilli(), limit)
	rows, err := s.db.QueryContext(ctx, `SELECT time, source, uid, entity_type, entity_name, category, operation, service,
		ip, country, asn, account, region, user_agent, app, mfa, status, rgroup, auth, resource
		FROM events WHERE `+where+` AND time >= ? AND time < ? ORDER BY time, seq LIMIT ?`, args...)
	if err != nil {
		return nil, fmt.Errorf("sqlite: history of %s: %w", entity.Key(), err)
	}
	defer rows.Close()
	var out []store.HistoryRow
	for rows.Next() {
		var r store.HistoryRow
		var et, cat string
		if err := rows.Scan(&r.Time, &r.Source, &r.UID, &et, &r.Entity.Name, &cat, &r.Operation, &r.Service,
			&r.IP, &r.Country, &r.ASN, &r.Account, &r.Region, &r.UserAgent, &r.App, &r.MFA, &r.Status,
			&r.ResourceGroup, &r.Auth, &r.Resource); err != nil {
			return nil, fmt.Errorf("sqlite: history of %s: %w", entity.Key(), err)
		}
		r.Entity.Type, r.Category = event.EntityType(et), event.Category(cat)
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: history of %s: %w", entity.Key(), err)
	}
	return out, nil
}

// TargetEvents returns the directory events whose target is the named identity.
func (s *Store) TargetEvents(ctx context.Context, name string, before time.Time, limit int) ([]*event.Event, error) {
	if limit <= 0 || limit > 10000 {
		limit = 10000
	}
	rows, err := s.db.QueryContext(ctx, `SELECT block, off, len FROM events WHERE target = ? AND target != '' AND time < ? ORDER BY time, seq LIMIT ?`,
		strings.ToLower(name), before.UnixMilli(), limit)
	if err != nil {
		return nil, fmt.Errorf("sqlite: directory events of %s: %w", name, err)
	}
	type loc struct {
		block  int64
		off, n int
	}
	var locs []loc
	for rows.Next() {
		var l loc
		if err := rows.Scan(&l.block, &l.off, &l.n); err != nil {
			rows.Close()
			return nil, fmt.Errorf("sqlite: directory events of %s: %w", name, err)
		}
		locs = append(locs, l)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: directory events of %s: %w", name, err)
	}
	out := make([]*event.Event, 0, len(locs))
	for _, l := range locs {
		ev, err := s.load(ctx, l.block, l.off, l.n)
		if err != nil {
			return nil, err
		}
		out = append(out, ev)
	}
	return out, nil
}

// triageTarget is, for a directory change of membership or role, the identity it was
// made to (lower-cased), so an identity's groups and roles are found by index.
func triageTarget(ev *event.Event) string {
	switch ev.Vigil.Category {
	case event.CategoryGroupMemberAdd, event.CategoryGroupMemberRemove, event.CategoryRoleAssignment, event.CategoryRoleRemoval:
	default:
		return ""
	}
	if u := ev.User; u != nil {
		for _, v := range []string{u.EmailAddr, u.Name, u.UID} {
			if v != "" {
				return strings.ToLower(v)
			}
		}
	}
	for _, r := range ev.Resources {
		if strings.Contains(r.Name, "@") {
			return strings.ToLower(r.Name)
		}
	}
	return ""
}

var (
	_ store.IncidentStore = (*Store)(nil)
	_ store.HistoryStore  = (*Store)(nil)
)
