package store

import (
	"context"
	"fmt"
	"time"

	"github.com/vigil-sec/vigil/internal/alert"
	"github.com/vigil-sec/vigil/internal/event"
)

// HistoryStore reads the index rows of an entity's events: what the triage summary and
// incident grouping need, without decompressing the events.
type HistoryStore interface {
	// History returns the index rows of entity's events in [from, to), oldest first, at
	// most limit (default 100,000). An entity of type ip or user_agent matches the events
	// from that address or client, whoever acted.
	History(ctx context.Context, entity event.Entity, from, to time.Time, limit int) ([]HistoryRow, error)
	// TargetEvents returns the directory events (group membership, role assignment) whose
	// target is the identity named name, before t, oldest first, at most limit.
	TargetEvents(ctx context.Context, name string, before time.Time, limit int) ([]*event.Event, error)
}

// HistoryRow is one event's index row.
type HistoryRow struct {
	Time          int64 // epoch ms
	Source, UID   string
	Entity        event.Entity
	Category      event.Category
	Operation     string
	Service       string
	IP            string
	Country       string
	ASN           string
	Account       string
	Region        string
	UserAgent     string
	App           string
	MFA           string
	Status        string
	ResourceGroup string
	Auth          string
	Resource      string
}

// evidenceMargin is how far before an alert's first evidence its events are looked for.
const evidenceMargin = time.Hour

// Evidence returns the stored events of a's evidence (at most limit), found through the
// alert's entity and time: alerts carry event uids, not their sources. Events not found
// (deleted by retention, or on another entity) are left out.
func Evidence(ctx context.Context, st interface {
	HistoryStore
	Get(ctx context.Context, source, uid string) (*event.Event, error)
}, a alert.Alert, limit int) ([]*event.Event, error) {
	if len(a.EventUIDs) == 0 || a.Entity.IsZero() {
		return nil, nil
	}
	want := make(map[string]bool, len(a.EventUIDs))
	for _, u := range a.EventUIDs {
		want[u] = true
	}
	first, last := a.Time, a.Time
	if !a.FirstSeen.IsZero() && a.FirstSeen.Before(first) {
		first = a.FirstSeen
	}
	if a.LastSeen.After(last) {
		last = a.LastSeen
	}
	rows, err := st.History(ctx, a.Entity, first.Add(-evidenceMargin), last.Add(time.Second), 0)
	if err != nil {
		return nil, fmt.Errorf("store: evidence of alert %s: %w", a.ID, err)
	}
	var out []*event.Event
	for _, r := range rows {
		if !want[r.UID] || len(out) >= limit {
			continue
		}
		delete(want, r.UID)
		ev, err := st.Get(ctx, r.Source, r.UID)
		if err != nil {
			return nil, fmt.Errorf("store: evidence of alert %s: %w", a.ID, err)
		}
		out = append(out, ev)
	}
	return out, nil
}

// ResourceOf is the resource group and the first resource (uid, else name) an event acted
// on: the HistoryRow fields a store indexes.
func ResourceOf(ev *event.Event) (group, resource string) {
	for _, r := range ev.Resources {
		if group == "" {
			group = r.Group
		}
		if resource == "" {
			resource = r.UID
			if resource == "" {
				resource = r.Name
			}
		}
	}
	return group, resource
}
