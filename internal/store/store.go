// Package store is the contract of Vigil's event and state storage: every stage appends
// events together with its source's checkpoint in one transaction, reads events back by
// time, entity and category, and keeps small durable state. Child packages implement it
// (sqlite/ is the embedded default); storetest/ is the conformance suite they all pass.
package store

import (
	"context"
	"errors"
	"time"

	"github.com/vigil-sec/vigil/internal/alert"
	"github.com/vigil-sec/vigil/internal/event"
)

// Checkpoint is a source's opaque position: a Graph cursor, Kafka offsets, S3 keys, a file
// and record number. It is stored in the same transaction as the events it covers.
type Checkpoint []byte

// ErrNotFound is returned when a requested event or state key does not exist.
var ErrNotFound = errors.New("store: not found")

// Store keeps events and state. Implementations are safe for concurrent use.
type Store interface {
	// Append stores events from source and the source's checkpoint atomically: either both
	// are stored or neither. Events already stored under (source, metadata.uid) are
	// skipped; an event without a uid is keyed by a hash of its raw record. It returns
	// how many events were new.
	Append(ctx context.Context, source string, events []*event.Event, cp Checkpoint) (int, error)
	// AppendNew is Append returning the events that were new, in input order: what the
	// live pipeline hands to detection, so a re-delivered record is detected once.
	AppendNew(ctx context.Context, source string, events []*event.Event, cp Checkpoint) ([]*event.Event, error)
	// Checkpoint returns the last checkpoint stored for source, nil if none.
	Checkpoint(ctx context.Context, source string) (Checkpoint, error)
	// Query returns events matching q, with their raw records.
	Query(ctx context.Context, q Query) (Page, error)
	// Get returns one event by source and uid.
	Get(ctx context.Context, source, uid string) (*event.Event, error)
	// Summary counts, for one entity since a time, the distinct values of the given fields
	// (see SummaryFields), most frequent first.
	Summary(ctx context.Context, entity event.Entity, since time.Time, fields []string) (map[string][]ValueCount, error)
	// DeleteBefore removes events older than t (retention) and returns how many.
	DeleteBefore(ctx context.Context, t time.Time) (int, error)

	StateStore
	AlertStore
	Close() error
}

// StateStore is a small durable key/value table for other stages' state (behaviour
// baselines, the delivery queue).
type StateStore interface {
	PutState(ctx context.Context, key string, value []byte) error
	GetState(ctx context.Context, key string) ([]byte, bool, error)
	DeleteState(ctx context.Context, key string) error
	ListState(ctx context.Context, prefix string) (map[string][]byte, error)
}

// Query selects events. Zero fields do not filter.
type Query struct {
	From, To  time.Time    // From inclusive, To exclusive
	Entity    event.Entity // an identity's events; for an address or a user agent, the events from it
	Category  event.Category
	ClassUID  int
	Source    string
	Limit     int    // default 100, at most 10,000
	Ascending bool   // oldest first; default newest first
	Cursor    string // from a previous Page, to read on
}

// Page is one page of query results.
type Page struct {
	Events []*event.Event
	Next   string // cursor for the next page, "" at the end
}

// ValueCount is a distinct value and how often it occurred.
type ValueCount struct {
	Value string `json:"value"`
	Count int    `json:"count"`
}

// SummaryFields are the event fields Summary can count: what the triage summary says an
// identity normally does.
func SummaryFields() []string {
	return []string{
		"api.operation", "api.service.name", "src_endpoint.ip", "src_endpoint.location.country",
		"src_endpoint.autonomous_system.number", "cloud.account.uid", "cloud.region", "vigil.category",
		"http_request.user_agent", "actor.app_name", "is_mfa", "status",
		"resources.group", "auth_protocol", "resources.uid",
	}
}

// AlertStore keeps the alerts detection raised.
type AlertStore interface {
	// PutAlerts stores alerts by id: a new id is added, a known id is replaced (a folded
	// alert that grew). It returns the alerts whose ids were new, in input order.
	PutAlerts(ctx context.Context, alerts []alert.Alert) ([]alert.Alert, error)
	// Alerts returns alerts matching q, newest first unless q.Ascending.
	Alerts(ctx context.Context, q AlertQuery) (AlertPage, error)
}

// AlertQuery selects alerts by their time. Zero fields do not filter.
type AlertQuery struct {
	From, To    time.Time // From inclusive, To exclusive
	Entity      event.Entity
	MinSeverity alert.Severity
	RuleID      string
	Limit       int // default 100, at most 10,000
	Ascending   bool
	Cursor      string
}

// AlertPage is one page of alerts.
type AlertPage struct {
	Alerts []alert.Alert
	Next   string
}
