package store

import (
	"context"
	"time"

	"github.com/vigil-sec/vigil/internal/alert"
)

// Lifecycle states of an alert or incident.
const (
	StateNew          = "new"
	StateAcknowledged = "acknowledged"
	StateClosed       = "closed"
)

// Lifecycle kinds: what a lifecycle row is about.
const (
	KindAlert    = "alert"
	KindIncident = "incident"
)

// Status is an alert's or incident's lifecycle state and who set it when, and why.
// The zero Status of an item nobody touched reads as new.
type Status struct {
	State  string    `json:"state"`
	By     string    `json:"by,omitempty"`
	At     time.Time `json:"at,omitzero"`
	Reason string    `json:"reason,omitempty"`
}

// Comment is an analyst's note on an alert or incident.
type Comment struct {
	By   string    `json:"by"`
	At   time.Time `json:"at"`
	Text string    `json:"text"`
}

// LifecycleStore keeps the analysts' side of alerts and incidents — status and comments —
// keyed by (kind, id), beside the rows detection writes, so re-detection never resets them.
type LifecycleStore interface {
	// SetStatus records a new state of (kind, id).
	SetStatus(ctx context.Context, kind, id string, st Status) error
	// Statuses returns the status of each id; ids never touched are absent.
	Statuses(ctx context.Context, kind string, ids []string) (map[string]Status, error)
	// AddComment appends a comment to (kind, id).
	AddComment(ctx context.Context, kind, id string, c Comment) error
	// Comments returns the comments of (kind, id), oldest first.
	Comments(ctx context.Context, kind, id string) ([]Comment, error)
	// AlertsByStatus is Alerts filtered by lifecycle state and rule kind as well.
	AlertsByStatus(ctx context.Context, q StatusAlertQuery) (AlertPage, error)
	// Alert returns one alert by id, ErrNotFound when there is none.
	Alert(ctx context.Context, id string) (alert.Alert, error)
	// AlertCounts counts alerts in [from, to) by severity and by lifecycle state.
	AlertCounts(ctx context.Context, from, to time.Time) (AlertCounts, error)
}

// StatusAlertQuery is an AlertQuery with the console's extra filters.
type StatusAlertQuery struct {
	AlertQuery
	State string // new, acknowledged or closed; "" for any
	Kind  string // the rule's kind (sigma, builtin, behavior, correlation); "" for any
}

// AlertCounts are the overview's alert counts.
type AlertCounts struct {
	BySeverity map[string]int
	ByState    map[string]int
}
