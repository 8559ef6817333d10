package storetest

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/vigil-sec/vigil/internal/alert"
	"github.com/vigil-sec/vigil/internal/event"
	"github.com/vigil-sec/vigil/internal/incident"
	"github.com/vigil-sec/vigil/internal/store"
)

// IncidentEngine is a store that also keeps incidents and reads history rows.
type IncidentEngine interface {
	store.Store
	store.IncidentStore
	store.HistoryStore
}

// OpenIncidents returns a new, empty incident-keeping store for one test.
type OpenIncidents func(t *testing.T) IncidentEngine

// RunIncidents runs the incident and history part of the suite.
func RunIncidents(t *testing.T, open OpenIncidents) {
	for _, tc := range []struct {
		name string
		fn   func(*testing.T, IncidentEngine)
	}{
		{"IncidentsPutAndPage", testIncidents},
		{"IncidentReplaces", testIncidentReplaces},
		{"IncidentReplacesCarryLifecycle", testIncidentReplacesCarryLifecycle},
		{"History", testHistory},
		{"TargetEvents", testTargetEvents},
	} {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, open(t)) })
	}
}

func mkIncident(n, alerts int, who string) incident.Incident {
	in := incident.Incident{ID: fmt.Sprintf("inc-%02d", n), Title: "t", Score: n * 5, FirstSeen: Base.Add(time.Duration(n) * time.Minute)}
	in.LastSeen = in.FirstSeen.Add(time.Minute)
	in.Entities = []event.Entity{event.UserEntity(who)}
	for i := range alerts {
		id := fmt.Sprintf("alert-%02d-%d", n, i)
		in.AlertIDs = append(in.AlertIDs, id)
		in.Chain = append(in.Chain, incident.Step{Time: in.FirstSeen, AlertID: id, Severity: alert.SeverityHigh, Entity: in.Entities[0]})
	}
	return in
}

func testIncidents(t *testing.T, s IncidentEngine) {
	ctx := context.Background()
	var all []incident.Incident
	for n := range 15 {
		all = append(all, mkIncident(n, 1+n%3, fmt.Sprintf("u%d@example.com", n%2)))
	}
	if err := s.PutIncidents(ctx, all); err != nil {
		t.Fatal(err)
	}
	// Ten have two alerts or more; pages of four, newest first, cover them once.
	var got []string
	q := store.IncidentQuery{Limit: 4}
	for pages := 0; ; pages++ {
		p, err := s.Incidents(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		for _, in := range p.Incidents {
			got = append(got, in.ID)
		}
		if p.Next == "" {
			break
		}
		if pages > 10 {
			t.Fatal("pages do not end")
		}
		q.Cursor = p.Next
	}
	if len(got) != 10 || got[0] != "inc-14" || got[9] != "inc-01" {
		t.Errorf("paged %v, want the 10 multi-alert incidents newest first", got)
	}
	count := func(q store.IncidentQuery) int {
		t.Helper()
		q.Limit = 100
		p, err := s.Incidents(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		return len(p.Incidents)
	}
	if n := count(store.IncidentQuery{Singles: true}); n != 15 {
		t.Errorf("with singles: %d, want 15", n)
	}
	if n := count(store.IncidentQuery{Singles: true, Entity: event.UserEntity("u1@example.com")}); n != 7 {
		t.Errorf("by entity: %d, want 7", n)
	}
	if n := count(store.IncidentQuery{AlertID: "alert-05-2"}); n != 1 {
		t.Errorf("by alert: %d, want 1", n)
	}
	if n := count(store.IncidentQuery{MinScore: 50, Singles: true}); n != 5 {
		t.Errorf("min score 50: %d, want 5", n)
	}
	if n := count(store.IncidentQuery{Singles: true, From: Base.Add(5 * time.Minute), To: Base.Add(8 * time.Minute)}); n != 3 {
		t.Errorf("last seen in [5m, 8m): %d, want 3 (inc-04 … inc-06)", n)
	}
	// Replacing keeps one row, with the new content.
	grown := all[5]
	grown.Title, grown.AlertIDs = "grown", append(grown.AlertIDs, "alert-new")
	if err := s.PutIncidents(ctx, []incident.Incident{grown}); err != nil {
		t.Fatal(err)
	}
	one, err := s.Incident(ctx, grown.ID)
	if err != nil || one.Title != "grown" || len(one.AlertIDs) != 4 {
		t.Errorf("replaced incident: %+v, %v", one, err)
	}
	if n := count(store.IncidentQuery{AlertID: "alert-new"}); n != 1 {
		t.Errorf("the grown incident's new alert finds it %d times", n)
	}
	if _, err := s.Incident(ctx, "nope"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown id: %v, want ErrNotFound", err)
	}
	if _, err := s.Incidents(ctx, store.IncidentQuery{Cursor: "bad"}); err == nil {
		t.Error("a bad cursor was taken")
	}
}

func testIncidentReplaces(t *testing.T, s IncidentEngine) {
	ctx := context.Background()
	a, b := mkIncident(1, 2, "a@example.com"), mkIncident(2, 2, "b@example.com")
	if err := s.PutIncidents(ctx, []incident.Incident{a, b}); err != nil {
		t.Fatal(err)
	}
	merged := mkIncident(0, 4, "a@example.com")
	merged.Replaces = []string{a.ID, b.ID}
	if err := s.PutIncidents(ctx, []incident.Incident{merged}); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{a.ID, b.ID} {
		if got, err := s.Incident(ctx, id); err != nil || got.ID != merged.ID {
			t.Errorf("replaced %s gives %q (%v), want the incident that took it over, %s", id, got.ID, err, merged.ID)
		}
	}
	if p, err := s.Incidents(ctx, store.IncidentQuery{Limit: 100}); err != nil || len(p.Incidents) != 1 {
		t.Errorf("after the merge %d incidents are listed (%v), want the merged one only", len(p.Incidents), err)
	}
	// Replaced again, the first ids lead to the newest; an id that comes back is its own.
	again := mkIncident(5, 5, "a@example.com")
	again.Replaces = []string{merged.ID}
	if err := s.PutIncidents(ctx, []incident.Incident{again}); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{a.ID, b.ID, merged.ID} {
		if got, err := s.Incident(ctx, id); err != nil || got.ID != again.ID {
			t.Errorf("twice-replaced %s gives %q (%v), want %s", id, got.ID, err, again.ID)
		}
	}
	back := mkIncident(1, 1, "a@example.com") // a's id, made anew
	if err := s.PutIncidents(ctx, []incident.Incident{back}); err != nil {
		t.Fatal(err)
	}
	if got, err := s.Incident(ctx, a.ID); err != nil || got.ID != a.ID || len(got.AlertIDs) != 1 {
		t.Errorf("an id made anew gives %q with %d alerts (%v), want itself", got.ID, len(got.AlertIDs), err)
	}
	p, err := s.Incidents(ctx, store.IncidentQuery{AlertID: "alert-02-1"})
	if err != nil || len(p.Incidents) != 0 {
		t.Errorf("a replaced incident's alert still finds %d incidents (%v)", len(p.Incidents), err)
	}
}

// testIncidentReplacesCarryLifecycle: what analysts did on incidents that a merge or a
// re-anchor replaced moves to the incident that took them over — every comment, and the
// status set last.
func testIncidentReplacesCarryLifecycle(t *testing.T, s IncidentEngine) {
	lc, ok := s.(store.LifecycleStore)
	if !ok {
		t.Skip("the store keeps no lifecycle")
	}
	ctx := context.Background()
	a, b := mkIncident(1, 2, "a@example.com"), mkIncident(2, 2, "b@example.com")
	if err := s.PutIncidents(ctx, []incident.Incident{a, b}); err != nil {
		t.Fatal(err)
	}
	set := func(id, state string, at time.Time) {
		t.Helper()
		if err := lc.SetStatus(ctx, store.KindIncident, id, store.Status{State: state, By: "analyst", At: at}); err != nil {
			t.Fatal(err)
		}
	}
	set(a.ID, "acknowledged", Base.Add(time.Hour))
	set(b.ID, "closed", Base.Add(2*time.Hour))
	for _, c := range []struct{ id, text string }{{a.ID, "on a"}, {b.ID, "on b"}} {
		if err := lc.AddComment(ctx, store.KindIncident, c.id, store.Comment{By: "analyst", At: Base, Text: c.text}); err != nil {
			t.Fatal(err)
		}
	}
	merged := mkIncident(3, 4, "a@example.com")
	merged.Replaces = []string{a.ID, b.ID}
	if err := s.PutIncidents(ctx, []incident.Incident{merged}); err != nil {
		t.Fatal(err)
	}
	sts, err := lc.Statuses(ctx, store.KindIncident, []string{merged.ID, a.ID, b.ID})
	if err != nil {
		t.Fatal(err)
	}
	if st := sts[merged.ID]; st.State != "closed" || len(sts) != 1 {
		t.Errorf("statuses after the merge %+v, want only the merged incident's, closed (the latest)", sts)
	}
	cs, err := lc.Comments(ctx, store.KindIncident, merged.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(cs) != 2 {
		t.Errorf("the merged incident has %d comments, want both of the replaced ones': %+v", len(cs), cs)
	}
	// A status set on the new id after the merge stands against an older replaced one.
	set(merged.ID, "acknowledged", Base.Add(3*time.Hour))
	c := mkIncident(4, 2, "c@example.com")
	if err := s.PutIncidents(ctx, []incident.Incident{c}); err != nil {
		t.Fatal(err)
	}
	set(c.ID, "closed", Base.Add(90*time.Minute))
	merged.Replaces = []string{c.ID}
	if err := s.PutIncidents(ctx, []incident.Incident{merged}); err != nil {
		t.Fatal(err)
	}
	if sts, _ := lc.Statuses(ctx, store.KindIncident, []string{merged.ID}); sts[merged.ID].State != "acknowledged" {
		t.Errorf("an older status of a replaced incident overwrote the newer one: %+v", sts[merged.ID])
	}
}

func testHistory(t *testing.T, s IncidentEngine) {
	ctx := context.Background()
	var evs []*event.Event
	for i := range 20 {
		ev := Event(fmt.Sprintf("h%d", i), i, []string{"a@example.com", "b@example.com"}[i%2], event.CategoryResourceCreate)
		ev.Resources = []event.Resource{{UID: "/subscriptions/s/resourceGroups/rg1/providers/x/vm1", Group: "rg1"}}
		ev.AuthProto = "oauth"
		evs = append(evs, ev)
	}
	mustAppend(t, s, "src", evs, "")
	rows, err := s.History(ctx, event.UserEntity("a@example.com"), Base.Add(2*time.Minute), Base.Add(10*time.Minute), 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 4 || rows[0].UID != "h2" || rows[3].UID != "h8" {
		t.Fatalf("history of a in [2m, 10m): %d rows %+v, want h2 h4 h6 h8", len(rows), rows)
	}
	r := rows[0]
	if r.Source != "src" || r.Operation != "RunInstances" || r.ResourceGroup != "rg1" || r.Auth != "oauth" || r.Resource == "" || r.Country != "GB" || r.Category != event.CategoryResourceCreate {
		t.Errorf("row %+v", r)
	}
	byIP, err := s.History(ctx, event.Entity{Type: event.EntityIP, Name: "198.51.100.3"}, Base, Base.Add(time.Hour), 0)
	if err != nil || len(byIP) != 1 || byIP[0].Entity != event.UserEntity("b@example.com") {
		t.Errorf("history of an address: %+v, %v", byIP, err)
	}
	sum, err := s.Summary(ctx, event.UserEntity("a@example.com"), Base, []string{"resources.group", "auth_protocol"})
	if err != nil || len(sum["resources.group"]) != 1 || sum["resources.group"][0].Count != 10 || sum["auth_protocol"][0].Value != "oauth" {
		t.Errorf("summary of the new fields: %v, %v", sum, err)
	}
}

func testTargetEvents(t *testing.T, s IncidentEngine) {
	ctx := context.Background()
	add := Event("g1", 1, "admin@example.com", event.CategoryGroupMemberAdd)
	add.User, add.Group = &event.User{Name: "Alice@Example.com"}, &event.Group{Name: "Admins"}
	role := Event("r1", 2, "admin@example.com", event.CategoryRoleAssignment)
	role.User = &event.User{Name: "alice@example.com"}
	other := Event("o1", 3, "admin@example.com", event.CategoryUserUpdate)
	other.User = &event.User{Name: "alice@example.com"} // not a membership: not indexed as one
	mustAppend(t, s, "src", []*event.Event{add, role, other}, "")
	evs, err := s.TargetEvents(ctx, "alice@example.com", Base.Add(time.Hour), 0)
	if err != nil || len(evs) != 2 || evs[0].Metadata.UID != "g1" || evs[1].Metadata.UID != "r1" {
		t.Errorf("target events: %d %v", len(evs), err)
	}
	if evs, _ := s.TargetEvents(ctx, "alice@example.com", Base.Add(90*time.Second), 0); len(evs) != 1 {
		t.Errorf("before 1m30s: %d, want 1", len(evs))
	}
}
