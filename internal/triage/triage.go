// Package triage answers, beside an alert, what an analyst asks first: what this identity
// normally does (the last days of services, operations, authentication methods, addresses,
// countries, networks, clients, accounts and resource groups, with counts), what in the
// evidence is new against that history, whether the session began with an unusual
// sign-in, whether the identity has done this operation on this resource before, and which
// groups and roles it holds. It reads only the store.
package triage

import (
	"time"

	"github.com/vigil-sec/vigil/internal/event"
	"github.com/vigil-sec/vigil/internal/store"
)

// Summary is the triage summary of one identity before one time.
type Summary struct {
	Entity event.Entity `json:"entity"`
	From   time.Time    `json:"from"` // the history window: From inclusive, To exclusive
	To     time.Time    `json:"to"`
	Events int          `json:"events"` // events of the identity in the window
	// History holds, per facet (see Facets), the values seen in the window, most frequent
	// first.
	History map[string][]store.ValueCount `json:"history"`
	// New holds, per facet, the values of the evidence events never seen in the window.
	New map[string][]string `json:"new,omitempty"`
	// SignIns are the identity's sign-ins in the hours before the evidence, newest first,
	// each said unusual or not and why: at most 10, the unusual ones kept first.
	SignIns []SignIn `json:"sign_ins,omitempty"`
	// UnusualSignIn answers "did the session start with an unusual sign-in?".
	UnusualSignIn bool `json:"unusual_sign_in"`
	// DoneBefore answers "has this identity done this operation on this resource before?",
	// one answer per distinct operation and resource of the evidence.
	DoneBefore []Precedent `json:"done_before,omitempty"`
	// Memberships are the groups and roles the directory audit events in the store say the
	// identity was given (and not removed since).
	Memberships []Membership `json:"memberships,omitempty"`
}

// SignIn is one sign-in before the evidence.
type SignIn struct {
	Time     time.Time `json:"time"`
	IP       string    `json:"ip,omitempty"`
	Country  string    `json:"country,omitempty"`
	ASN      string    `json:"asn,omitempty"`
	Category string    `json:"category"`
	Unusual  bool      `json:"unusual"`
	Why      []string  `json:"why,omitempty"` // "new country DE", "alert 1a2b…"
}

// Precedent says whether and how often an operation on a resource was done before.
type Precedent struct {
	Operation string    `json:"operation"`
	Resource  string    `json:"resource,omitempty"`
	Count     int       `json:"count"` // times in the window before the evidence
	Last      time.Time `json:"last,omitzero"`
}

// Membership is a group or role the identity was given.
type Membership struct {
	Kind  string    `json:"kind"` // "group" or "role"
	Name  string    `json:"name"`
	Since time.Time `json:"since"`
	By    string    `json:"by,omitempty"`
}
