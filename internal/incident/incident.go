// Package incident groups alerts into incidents: alerts on one identity, or on identities
// linked by the evidence (the Entra user behind an AWS role session, the application behind
// a service principal, a source address that is itself the evidence of several victims'
// alerts), within a window of event time, become one incident with an ordered chain, a
// score above its parts, a title and a story a person can read in one paragraph.
package incident

import (
	"time"

	"github.com/vigil-sec/vigil/internal/alert"
	"github.com/vigil-sec/vigil/internal/event"
)

// Incident is a group of alerts that tell one story.
type Incident struct {
	ID        string         `json:"id"`
	Title     string         `json:"title"`
	Score     int            `json:"score"` // 0–100: 1 − Π(1 − s/100) over the chain's alerts
	Severity  alert.Severity `json:"severity"`
	Entities  []event.Entity `json:"entities"`
	FirstSeen time.Time      `json:"first_seen"`
	LastSeen  time.Time      `json:"last_seen"`
	Story     string         `json:"story"`
	Chain     []Step         `json:"chain"`
	AlertIDs  []string       `json:"alert_ids"`
	// Links are the keys that joined the alerts (identities, applications, evidence
	// addresses), so a grouper restored from the store links on as before.
	Links []string `json:"links,omitempty"`
	// Replaces names incidents this one took over (merged into it, or its own id before an
	// earlier alert joined and moved its anchor); the store deletes them.
	Replaces []string `json:"replaces,omitempty"`
}

// Step is one alert of an incident's chain, in event-time order.
type Step struct {
	Time      time.Time      `json:"time"`
	AlertID   string         `json:"alert_id"`
	Title     string         `json:"title"`
	Rule      string         `json:"rule"`
	Severity  alert.Severity `json:"severity"`
	Score     int            `json:"score"`
	Entity    event.Entity   `json:"entity"`
	Technique string         `json:"technique,omitempty"`
	// Detail is the step's sentence of the story, from its evidence.
	Detail string `json:"detail,omitempty"`
}
