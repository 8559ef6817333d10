// Package alert defines what a detection produces: an alert with a stable id, a score, the
// entity, the evidence and a reason a person can check. Every detector (Sigma, built-in,
// behavioural, correlation) emits this one type, and every output consumes it.
package alert

import (
	"crypto/sha256"
	"encoding/hex"
	"sort"
	"strings"
	"time"

	"github.com/vigil-sec/vigil/internal/event"
)

// Kind says which detector raised an alert.
type Kind string

// Alert kinds, as the command-line contract names them.
const (
	KindSigma       Kind = "sigma"
	KindBuiltin     Kind = "builtin"
	KindBehavior    Kind = "behavior"
	KindCorrelation Kind = "correlation"
)

// Severity is low, medium, high or critical.
type Severity string

// Severities.
const (
	SeverityInfo     Severity = "informational"
	SeverityLow      Severity = "low"
	SeverityMedium   Severity = "medium"
	SeverityHigh     Severity = "high"
	SeverityCritical Severity = "critical"
)

// Rank orders severities: informational 0 … critical 4; unknown is -1.
func (s Severity) Rank() int {
	switch s {
	case SeverityInfo:
		return 0
	case SeverityLow:
		return 1
	case SeverityMedium:
		return 2
	case SeverityHigh:
		return 3
	case SeverityCritical:
		return 4
	}
	return -1
}

// ParseSeverity maps a Sigma level or a provider severity to a Severity, low when unknown.
func ParseSeverity(s string) Severity {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "informational", "info":
		return SeverityInfo
	case "medium", "moderate":
		return SeverityMedium
	case "high":
		return SeverityHigh
	case "critical":
		return SeverityCritical
	}
	return SeverityLow
}

// Rule identifies what fired.
type Rule struct {
	ID    string `json:"id"`
	Kind  Kind   `json:"kind"`
	Title string `json:"title,omitempty"`
	Level string `json:"level,omitempty"`
}

// Alert is one detection ("model breach").
type Alert struct {
	ID        string       `json:"id"`
	Time      time.Time    `json:"time"` // event time of the evidence that completed the detection
	Title     string       `json:"title"`
	Rule      Rule         `json:"rule"`
	Severity  Severity     `json:"severity"`
	Score     int          `json:"score"` // 0–100
	Entity    event.Entity `json:"entity"`
	EventUIDs []string     `json:"event_uids"`
	Reason    string       `json:"reason"`
	Attack    []string     `json:"attack"` // MITRE ATT&CK technique ids, e.g. T1078.004
	// GroupBy and Count are set by correlation and aggregation rules.
	GroupBy map[string]string `json:"group_by,omitempty"`
	Count   int               `json:"count,omitempty"`
	// Details holds detector-specific evidence (distances, speeds, baselines) for people.
	Details map[string]any `json:"details,omitempty"`
	// Occurrences, FirstSeen, LastSeen and Latest are set when a Folder folded several
	// alerts of one detection on one entity into this one (the story's first alert).
	Occurrences int       `json:"occurrences,omitempty"`
	FirstSeen   time.Time `json:"first_seen,omitzero"`
	LastSeen    time.Time `json:"last_seen,omitzero"`
	Latest      string    `json:"latest_reason,omitempty"`
}

// StableID derives an alert id from what makes an alert the same alert: the rule, the
// entity and the evidence. Re-running detection over the same events gives the same ids,
// so receivers can deduplicate.
func StableID(ruleID string, entity event.Entity, eventUIDs []string) string {
	uids := append([]string(nil), eventUIDs...)
	sort.Strings(uids)
	h := sha256.New()
	h.Write([]byte(ruleID))
	h.Write([]byte{0})
	h.Write([]byte(entity.Key()))
	for _, u := range uids {
		h.Write([]byte{0})
		h.Write([]byte(u))
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// SeverityScore is the default score of a severity when a detector has no finer measure.
func SeverityScore(s Severity) int {
	switch s {
	case SeverityInfo:
		return 10
	case SeverityLow:
		return 30
	case SeverityMedium:
		return 50
	case SeverityHigh:
		return 75
	case SeverityCritical:
		return 95
	}
	return 30
}
