package triage

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/vigil-sec/vigil/internal/alert"
	"github.com/vigil-sec/vigil/internal/event"
	"github.com/vigil-sec/vigil/internal/store"
)

// maxSignIns bounds the sign-ins a summary lists.
const maxSignIns = 10

// isSignIn reports whether a category starts a session.
func isSignIn(c event.Category) bool {
	switch c {
	case event.CategoryLogin, event.CategoryLoginService, event.CategorySessionAssume:
		return true
	}
	return false
}

// signIns lists the identity's sign-ins in the lookback before start, newest first, each
// unusual when it came from a country or network the history before it never had, or was
// itself the evidence of an alert.
func (t *Triager) signIns(ctx context.Context, a alert.Alert, rows []store.HistoryRow, start time.Time) ([]SignIn, error) {
	from := start.Add(-t.cfg.SignInLookback).UnixMilli()
	countries, asns := map[string]bool{}, map[string]bool{}
	var out []SignIn
	var uids []string
	for i := range rows {
		r := &rows[i]
		if r.Time >= from && isSignIn(r.Category) {
			si := SignIn{Time: time.UnixMilli(r.Time).UTC(), IP: r.IP, Country: r.Country, ASN: r.ASN, Category: string(r.Category)}
			if r.Country != "" && !countries[r.Country] {
				si.Unusual, si.Why = true, append(si.Why, "new country "+r.Country)
			}
			if r.ASN != "" && !asns[r.ASN] {
				si.Unusual, si.Why = true, append(si.Why, "new network AS"+r.ASN)
			}
			out = append(out, si)
			uids = append(uids, r.UID)
		}
		if r.Country != "" {
			countries[r.Country] = true
		}
		if r.ASN != "" {
			asns[r.ASN] = true
		}
	}
	// Newest first, at most maxSignIns: the session's start is the latest sign-in.
	slices.Reverse(out)
	slices.Reverse(uids)
	out, uids = out[:min(len(out), maxSignIns)], uids[:min(len(uids), maxSignIns)]
	if len(out) == 0 {
		return nil, nil
	}
	// First sign-ins ever seen are "new" only against an empty history: not unusual.
	if len(rows) > 0 && rows[0].Time >= from {
		for i := range out {
			out[i].Unusual, out[i].Why = false, nil
		}
	}
	page, err := t.st.Alerts(ctx, store.AlertQuery{Entity: a.Entity, From: time.UnixMilli(from).Add(-time.Hour), To: start.Add(time.Second), Limit: 500})
	if err != nil {
		return nil, fmt.Errorf("triage: alerts on %s: %w", a.Entity.Key(), err)
	}
	for _, other := range page.Alerts {
		if other.ID == a.ID {
			continue
		}
		for i, u := range uids {
			if slices.Contains(other.EventUIDs, u) {
				out[i].Unusual = true
				out[i].Why = append(out[i].Why, "alert "+other.ID+" ("+other.Title+")")
			}
		}
	}
	return out, nil
}

// memberships are the groups and roles directory events gave the identity and did not
// take back, before t.
func (t *Triager) memberships(ctx context.Context, e event.Entity, before time.Time) ([]Membership, error) {
	switch e.Type {
	case event.EntityUser, event.EntityServicePrincipal, event.EntityRole:
	default:
		return nil, nil
	}
	evs, err := t.st.TargetEvents(ctx, e.Name, before, 1000)
	if err != nil {
		return nil, fmt.Errorf("triage: memberships of %s: %w", e.Key(), err)
	}
	var out []Membership
	for _, ev := range evs {
		m := Membership{Kind: "role", Since: ev.Timestamp(), By: ev.Vigil.Entity.Name}
		switch ev.Vigil.Category {
		case event.CategoryGroupMemberAdd, event.CategoryGroupMemberRemove:
			m.Kind = "group"
		}
		m.Name = grantName(ev)
		if m.Name == "" {
			continue
		}
		out = slices.DeleteFunc(out, func(o Membership) bool { return o.Kind == m.Kind && o.Name == m.Name })
		switch ev.Vigil.Category {
		case event.CategoryGroupMemberAdd, event.CategoryRoleAssignment:
			out = append(out, m)
		}
	}
	return out, nil
}

// grantName is the group or role a directory event is about.
func grantName(ev *event.Event) string {
	if ev.Group != nil {
		if ev.Group.Name != "" {
			return ev.Group.Name
		}
		return ev.Group.UID
	}
	for _, r := range ev.Resources {
		if r.Type != "User" && r.Type != "user" && r.Name != "" && (ev.User == nil || r.Name != ev.User.Name) {
			return r.Name
		}
	}
	if len(ev.Privileges) > 0 {
		return ev.Privileges[0]
	}
	return ev.API.Operation
}
