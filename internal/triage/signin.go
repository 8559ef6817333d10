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

// signIns lists the identity's sign-ins in the lookback before start, each unusual when it
// came from a country or network the history before it never had, or was itself the
// evidence of another alert. It returns at most maxSignIns, the unusual ones first and then
// the newest, newest first, and whether any sign-in of the lookback was unusual.
func (t *Triager) signIns(ctx context.Context, a alert.Alert, rows []store.HistoryRow, start time.Time) ([]SignIn, bool, error) {
	from := start.Add(-t.cfg.SignInLookback).UnixMilli()
	countries, asns := map[string]bool{}, map[string]bool{}
	var all []SignIn
	at := map[string]int{} // sign-in uid → index in all
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
			at[r.UID] = len(all)
			all = append(all, si)
		}
		if r.Country != "" {
			countries[r.Country] = true
		}
		if r.ASN != "" {
			asns[r.ASN] = true
		}
	}
	if len(all) == 0 {
		return nil, false, nil
	}
	// First sign-ins ever seen are "new" only against an empty history: not unusual.
	if rows[0].Time >= from {
		for i := range all {
			all[i].Unusual, all[i].Why = false, nil
		}
	}
	page, err := t.st.Alerts(ctx, store.AlertQuery{Entity: a.Entity, From: time.UnixMilli(from).Add(-time.Hour), To: start.Add(time.Second), Limit: 500})
	if err != nil {
		return nil, false, fmt.Errorf("triage: alerts on %s: %w", a.Entity.Key(), err)
	}
	for _, other := range page.Alerts {
		if other.ID == a.ID {
			continue
		}
		for _, u := range other.EventUIDs {
			if i, ok := at[u]; ok {
				all[i].Unusual = true
				all[i].Why = append(all[i].Why, "alert "+other.ID+" ("+other.Title+")")
			}
		}
	}
	// Keep the unusual ones (newest first), then fill with the newest usual ones.
	keep := make([]bool, len(all))
	n, unusual := 0, false
	for i := len(all) - 1; i >= 0 && n < maxSignIns; i-- {
		if all[i].Unusual {
			keep[i], n, unusual = true, n+1, true
		}
	}
	for i := len(all) - 1; i >= 0 && n < maxSignIns; i-- {
		if !keep[i] {
			keep[i], n = true, n+1
		}
	}
	var out []SignIn
	for i := len(all) - 1; i >= 0; i-- {
		if keep[i] {
			out = append(out, all[i])
		}
	}
	return out, unusual, nil
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
