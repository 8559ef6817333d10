package store

import (
	"context"
	"time"

	"github.com/vigil-sec/vigil/internal/event"
	"github.com/vigil-sec/vigil/internal/incident"
)

// IncidentStore keeps the incidents the grouper built from alerts. Lifecycle status and
// comments are not part of an incident row: they are kept beside it, keyed by kind and id.
type IncidentStore interface {
	// PutIncidents stores incidents by id: a new id is added, a known id replaced (an
	// incident that grew). The incidents an incident Replaces are deleted; a store that
	// keeps lifecycles (LifecycleStore) moves their comments and latest status to it.
	PutIncidents(ctx context.Context, incidents []incident.Incident) error
	// Incidents returns a page of incidents by last seen, newest first unless q.Ascending.
	Incidents(ctx context.Context, q IncidentQuery) (IncidentPage, error)
	// Incident returns one incident by id, ErrNotFound when there is none. An id that was
	// replaced gives the incident that took it over (with its own ID).
	Incident(ctx context.Context, id string) (incident.Incident, error)
}

// IncidentQuery selects incidents. Zero fields do not filter.
type IncidentQuery struct {
	// From and To bound the incident's last seen: From inclusive, To exclusive.
	From, To time.Time
	// Entity matches an incident one of whose entities it is.
	Entity   event.Entity
	MinScore int
	// AlertID matches the incident holding that alert.
	AlertID string
	// Singles includes incidents of one alert (the grouper's open groups); by default an
	// incident holds two alerts or more.
	Singles   bool
	Limit     int // default 100, at most 10,000
	Ascending bool
	Cursor    string
}

// IncidentPage is one page of incidents.
type IncidentPage struct {
	Incidents []incident.Incident
	Next      string
}
