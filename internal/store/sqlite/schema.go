package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/mattn/go-sqlite3"
)

// migrations are applied in order, each in its own transaction, and recorded in
// schema_version. Never edit a released migration: append a new one.
func migrations() []string {
	return []string{
		// 1: events indexed by time, entity and category; records compressed in blocks.
		`CREATE TABLE blocks (id INTEGER PRIMARY KEY, data BLOB NOT NULL);
		CREATE TABLE events (
			seq INTEGER PRIMARY KEY,
			source TEXT NOT NULL,
			uid TEXT NOT NULL,
			time INTEGER NOT NULL,
			class_uid INTEGER NOT NULL,
			category TEXT NOT NULL,
			entity_type TEXT NOT NULL,
			entity_name TEXT NOT NULL,
			block INTEGER NOT NULL,
			off INTEGER NOT NULL,
			len INTEGER NOT NULL,
			UNIQUE (source, uid)
		);
		CREATE INDEX events_time ON events (time);
		CREATE INDEX events_entity ON events (entity_type, entity_name, time);
		CREATE INDEX events_category ON events (category, time);
		CREATE TABLE checkpoints (source TEXT PRIMARY KEY, data BLOB, updated INTEGER NOT NULL);
		CREATE TABLE state (key TEXT PRIMARY KEY, value BLOB NOT NULL, updated INTEGER NOT NULL);`,
		// 2: the fields the triage summary counts, so it needs no decompression.
		`ALTER TABLE events ADD COLUMN operation TEXT NOT NULL DEFAULT '';
		ALTER TABLE events ADD COLUMN service TEXT NOT NULL DEFAULT '';
		ALTER TABLE events ADD COLUMN ip TEXT NOT NULL DEFAULT '';
		ALTER TABLE events ADD COLUMN country TEXT NOT NULL DEFAULT '';
		ALTER TABLE events ADD COLUMN asn TEXT NOT NULL DEFAULT '';
		ALTER TABLE events ADD COLUMN account TEXT NOT NULL DEFAULT '';
		ALTER TABLE events ADD COLUMN region TEXT NOT NULL DEFAULT '';
		ALTER TABLE events ADD COLUMN user_agent TEXT NOT NULL DEFAULT '';
		ALTER TABLE events ADD COLUMN app TEXT NOT NULL DEFAULT '';
		ALTER TABLE events ADD COLUMN mfa TEXT NOT NULL DEFAULT '';
		ALTER TABLE events ADD COLUMN status TEXT NOT NULL DEFAULT '';`,
		// 3: alerts, by id; the whole alert as JSON, the columns it is searched by beside it.
		`CREATE TABLE alerts (
			id TEXT PRIMARY KEY,
			time INTEGER NOT NULL,
			seq INTEGER NOT NULL,
			rule_id TEXT NOT NULL,
			severity INTEGER NOT NULL,
			entity_type TEXT NOT NULL,
			entity_name TEXT NOT NULL,
			data BLOB NOT NULL,
			stored INTEGER NOT NULL
		);
		CREATE INDEX alerts_time ON alerts (time, seq);
		CREATE INDEX alerts_entity ON alerts (entity_type, entity_name, time);`,
		// 4: the analysts' side of alerts and incidents (status, comments) keyed by kind and
		// id; the alert's rule kind as a generated column for the console's kind filter; the
		// indexes the console's overview and lists use (alert counts by severity over a time
		// range, events per hour and by address from the index rows alone).
		`CREATE TABLE lifecycle (
			kind TEXT NOT NULL,
			id TEXT NOT NULL,
			state TEXT NOT NULL,
			by TEXT NOT NULL,
			at INTEGER NOT NULL,
			reason TEXT NOT NULL,
			PRIMARY KEY (kind, id)
		) WITHOUT ROWID;
		CREATE INDEX lifecycle_state ON lifecycle (kind, state);
		CREATE TABLE comments (
			seq INTEGER PRIMARY KEY,
			kind TEXT NOT NULL,
			id TEXT NOT NULL,
			by TEXT NOT NULL,
			at INTEGER NOT NULL,
			text TEXT NOT NULL
		);
		CREATE INDEX comments_item ON comments (kind, id, seq);
		ALTER TABLE alerts ADD COLUMN kind TEXT GENERATED ALWAYS AS (json_extract(CAST(data AS TEXT), '$.rule.kind')) VIRTUAL;
		CREATE INDEX alerts_time_severity ON alerts (time, severity);`,
		// 5: incidents, and the index columns the triage summary needs beside migration 2's:
		// the resource group, the authentication method, the first resource acted on, and
		// the directory target (the user a group or role was given to; partial index, since
		// few events have one).
		`CREATE TABLE incidents (
			id TEXT PRIMARY KEY,
			time INTEGER NOT NULL,
			seq INTEGER NOT NULL,
			first_seen INTEGER NOT NULL,
			score INTEGER NOT NULL,
			alerts INTEGER NOT NULL,
			data BLOB NOT NULL,
			stored INTEGER NOT NULL
		);
		CREATE INDEX incidents_time ON incidents (time, seq);
		CREATE TABLE incident_members (
			kind TEXT NOT NULL,
			key TEXT NOT NULL,
			incident TEXT NOT NULL,
			PRIMARY KEY (kind, key, incident)
		) WITHOUT ROWID;
		CREATE INDEX incident_members_incident ON incident_members (incident);
		ALTER TABLE events ADD COLUMN rgroup TEXT NOT NULL DEFAULT '';
		ALTER TABLE events ADD COLUMN auth TEXT NOT NULL DEFAULT '';
		ALTER TABLE events ADD COLUMN resource TEXT NOT NULL DEFAULT '';
		ALTER TABLE events ADD COLUMN target TEXT NOT NULL DEFAULT '';
		CREATE INDEX events_target ON events (target, time) WHERE target != '';`,
	}
}

// summaryColumns maps SummaryFields to the columns of migration 2.
func summaryColumns() map[string]string {
	return map[string]string{
		"api.operation":                         "operation",
		"api.service.name":                      "service",
		"src_endpoint.ip":                       "ip",
		"src_endpoint.location.country":         "country",
		"src_endpoint.autonomous_system.number": "asn",
		"cloud.account.uid":                     "account",
		"cloud.region":                          "region",
		"http_request.user_agent":               "user_agent",
		"actor.app_name":                        "app",
		"is_mfa":                                "mfa",
		"status":                                "status",
		"vigil.category":                        "category",
		"resources.group":                       "rgroup",
		"auth_protocol":                         "auth",
		"resources.uid":                         "resource",
	}
}

// migrate brings the database to the newest schema, or to version `to` when it is > 0
// (tests use that to build an older database). Each step reads the version and applies the
// next migration in one write transaction (BEGIN IMMEDIATE, from the DSN's _txlock), so
// processes opening a fresh store at once take turns instead of racing: the second one sees
// the first one's version and has nothing left to do.
func migrate(ctx context.Context, db *sql.DB, to int) error {
	all := migrations()
	if to <= 0 || to > len(all) {
		to = len(all)
	}
	for {
		done, err := migrateStep(ctx, db, all, to)
		if err != nil || done {
			return err
		}
	}
}

// migrateStep applies the migration after the current version, reporting done when the
// database is already at `to` or newer.
func migrateStep(ctx context.Context, db *sql.DB, all []string, to int) (done bool, err error) {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return false, fmt.Errorf("sqlite: migrate: begin: %w", err)
	}
	defer func() {
		if err != nil || done {
			tx.Rollback()
		}
	}()
	if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)`); err != nil {
		return false, fmt.Errorf("sqlite: create schema_version: %w", err)
	}
	var current int
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_version`).Scan(&current); err != nil {
		return false, fmt.Errorf("sqlite: read schema version: %w", err)
	}
	if current > len(all) {
		return false, fmt.Errorf("sqlite: database schema version %d is newer than this vigil knows (%d)", current, len(all))
	}
	if current >= to {
		return true, nil
	}
	v := current + 1
	if _, err := tx.ExecContext(ctx, all[v-1]); err != nil {
		return false, fmt.Errorf("sqlite: migrate to %d: %w", v, err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO schema_version (version) VALUES (?)`, v); err != nil {
		return false, fmt.Errorf("sqlite: record schema version %d: %w", v, err)
	}
	if err := tx.Commit(); err != nil {
		return false, fmt.Errorf("sqlite: migrate to %d: commit: %w", v, err)
	}
	return false, nil
}

// firstOpenWait bounds how long opening waits for other processes setting up the same fresh
// database.
const firstOpenWait = 30 * time.Second

// pingFirstOpen opens the first connection. Switching a fresh database to WAL while another
// process does the same returns SQLITE_BUSY at once, without the busy handler, so the
// connection is retried (with backoff, until firstOpenWait or ctx ends) instead of failing
// the open.
func pingFirstOpen(ctx context.Context, db *sql.DB) error {
	deadline := time.Now().Add(firstOpenWait)
	wait := 5 * time.Millisecond
	for {
		err := db.PingContext(ctx)
		var se sqlite3.Error
		if err == nil || !errors.As(err, &se) || se.Code != sqlite3.ErrBusy || time.Now().After(deadline) {
			return err
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
		wait = min(2*wait, 200*time.Millisecond)
	}
}
