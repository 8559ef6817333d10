package grouper_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vigil-sec/vigil/internal/alert"
	"github.com/vigil-sec/vigil/internal/event"
	"github.com/vigil-sec/vigil/internal/incident"
	"github.com/vigil-sec/vigil/internal/incident/grouper"
	"github.com/vigil-sec/vigil/internal/store"
	"github.com/vigil-sec/vigil/internal/store/sqlite"
)

var t0 = time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC)

const spraySource = "203.0.113.7"

func openStore(t *testing.T, dir string) *sqlite.Store {
	t.Helper()
	st, err := sqlite.Open(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func ev(uid string, who event.Entity, at time.Time, cat event.Category, ip, country string) *event.Event {
	e := &event.Event{Metadata: event.Metadata{UID: uid}}
	e.SetTime(at)
	e.Vigil.Category, e.Vigil.Entity = cat, who
	e.SrcEndpoint.IP = ip
	e.SrcEndpoint.Location = &event.Location{Country: country}
	e.SrcEndpoint.AutonomousSystem = &event.AutonomousSystem{Number: 4134}
	if who.Type == event.EntityUser {
		e.Actor.User.Name = who.Name
	}
	return e
}

func mk(id, title string, who event.Entity, at time.Time, score int, uids ...string) alert.Alert {
	return alert.Alert{ID: id, Title: title, Rule: alert.Rule{ID: "rule-" + id, Kind: alert.KindBehavior}, Entity: who, Time: at,
		Score: score, Severity: incident.SeverityOf(score), EventUIDs: uids, Attack: []string{"T1078"}, Reason: title + " because of the evidence"}
}

// chain stores the evidence of an attack and returns its alerts, in event-time order: a
// spray from one address against 30 accounts, alice's sign-in from it in a new country, a
// role given to alice, and a VM burst through an AWS role session alice opened.
func chain(t *testing.T, st *sqlite.Store) []alert.Alert {
	t.Helper()
	alice := event.UserEntity("alice@corp.example")
	var evs []*event.Event
	var spray []string
	for i := range 30 {
		uid := fmt.Sprintf("spray-%d", i)
		evs = append(evs, ev(uid, event.UserEntity(fmt.Sprintf("user%d@corp.example", i)), t0.Add(time.Duration(i)*time.Second), event.CategoryLoginFailed, spraySource, "RU"))
		spray = append(spray, uid)
	}
	evs = append(evs, ev("login", alice, t0.Add(40*time.Minute), event.CategoryLogin, spraySource, "RU"))
	evs = append(evs, ev("role", alice, t0.Add(60*time.Minute), event.CategoryRoleAssignment, spraySource, "RU"))
	role := event.Entity{Type: event.EntityRole, Name: "arn:aws:iam::111122223333:role/Ops"}
	vm := ev("vm", role, t0.Add(2*time.Hour), event.CategoryResourceCreate, "192.0.2.50", "NL")
	vm.Actor.User = event.User{Name: "ops-session", EmailAddr: "alice@corp.example"}
	evs = append(evs, vm)
	if _, err := st.Append(context.Background(), "test", evs, nil); err != nil {
		t.Fatal(err)
	}
	return []alert.Alert{
		mk("a-spray", "Password spray", event.Entity{Type: event.EntityIP, Name: spraySource}, t0.Add(30*time.Second), 60, spray...),
		mk("b-signin", "Sign-in from a new country", alice, t0.Add(40*time.Minute), 70, "login"),
		mk("c-role", "New role member", alice, t0.Add(60*time.Minute), 50, "role"),
		mk("d-vm", "VM creation burst", role, t0.Add(2*time.Hour), 40, "vm"),
	}
}

func incidents(t *testing.T, st *sqlite.Store, singles bool) []incident.Incident {
	t.Helper()
	page, err := st.Incidents(context.Background(), store.IncidentQuery{Singles: singles, Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	return page.Incidents
}

func TestAttackChainIsOneIncidentInOrder(t *testing.T) {
	ctx := context.Background()
	st := openStore(t, t.TempDir())
	alerts := chain(t, st)
	g := grouper.New(st, grouper.Config{}, nil)
	for _, a := range alerts {
		if err := g.Observe(ctx, []alert.Alert{a}); err != nil {
			t.Fatal(err)
		}
	}
	got := incidents(t, st, true)
	if len(got) != 1 {
		t.Fatalf("%d incidents, want 1: %+v", len(got), got)
	}
	in := got[0]
	var order []string
	for _, s := range in.Chain {
		order = append(order, s.AlertID)
	}
	if strings.Join(order, ",") != "a-spray,b-signin,c-role,d-vm" {
		t.Errorf("chain %v, want spray, sign-in, role, VM burst", order)
	}
	if want := incident.Score([]int{60, 70, 50, 40}); in.Score != want || in.Score <= 70 || in.Severity != alert.SeverityCritical {
		t.Errorf("score %d severity %s, want %d (above the highest part) and critical", in.Score, in.Severity, want)
	}
	if in.ID != incident.ID("a-spray") || !in.FirstSeen.Equal(t0.Add(30*time.Second)) || !in.LastSeen.Equal(t0.Add(2*time.Hour)) {
		t.Errorf("id %s first %s last %s", in.ID, in.FirstSeen, in.LastSeen)
	}
	if !slices.Contains(in.Entities, event.UserEntity("alice@corp.example")) || !slices.Contains(in.Entities, event.Entity{Type: event.EntityIP, Name: spraySource}) {
		t.Errorf("entities %v", in.Entities)
	}
	for _, want := range []string{"at 09:00 Password spray (203.0.113.7) from 203.0.113.7 (RU, AS4134)", "then at 09:40 Sign-in from a new country (alice@corp.example)", "then at 11:00 VM creation burst"} {
		if !strings.Contains(in.Story, want) {
			t.Errorf("story lacks %q:\n%s", want, in.Story)
		}
	}
	if in.Title != "alice@corp.example: Password spray → VM creation burst (4 alerts)" {
		t.Errorf("title %q", in.Title)
	}
	// The store finds it by alert and by entity, and by id.
	for _, q := range []store.IncidentQuery{{AlertID: "c-role"}, {Entity: event.UserEntity("alice@corp.example")}, {MinScore: 90}} {
		if p, err := st.Incidents(ctx, q); err != nil || len(p.Incidents) != 1 {
			t.Errorf("query %+v: %d incidents, %v", q, len(p.Incidents), err)
		}
	}
	if one, err := st.Incident(ctx, in.ID); err != nil || one.Story != in.Story {
		t.Errorf("incident by id: %v", err)
	}
}

func TestSameAlertsSameIDAnyOrderAndAfterRestart(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	st := openStore(t, dir)
	alerts := chain(t, st)
	// Reversed arrival, in two batches, with a restart between them.
	rev := slices.Clone(alerts)
	slices.Reverse(rev)
	if err := grouper.New(st, grouper.Config{}, nil).Observe(ctx, rev[:2]); err != nil {
		t.Fatal(err)
	}
	st.Close()
	st = openStore(t, dir)
	g := grouper.New(st, grouper.Config{}, nil)
	if err := g.Restore(ctx); err != nil {
		t.Fatal(err)
	}
	if g.Open() != 1 {
		t.Errorf("%d open incidents restored, want 1", g.Open())
	}
	if err := g.Observe(ctx, rev[2:]); err != nil {
		t.Fatal(err)
	}
	// A grown alert (same id, later evidence) is the same step.
	grown := alerts[1]
	grown.Occurrences, grown.LastSeen = 3, grown.Time.Add(time.Minute)
	if err := g.Observe(ctx, []alert.Alert{grown}); err != nil {
		t.Fatal(err)
	}
	got := incidents(t, st, true)
	if len(got) != 1 || got[0].ID != incident.ID("a-spray") || len(got[0].Chain) != 4 {
		t.Fatalf("after reversed arrival and a restart: %d incidents %+v, want one with id %s and 4 steps", len(got), got, incident.ID("a-spray"))
	}
}

func TestLookAlikesStayApart(t *testing.T) {
	ctx := context.Background()
	st := openStore(t, t.TempDir())
	bob, carol := event.UserEntity("bob@corp.example"), event.UserEntity("carol@corp.example")
	// Two unrelated users within an hour, from different addresses.
	evs := []*event.Event{
		ev("bob1", bob, t0, event.CategoryLogin, "198.51.100.20", "US"),
		ev("carol1", carol, t0.Add(30*time.Minute), event.CategoryLogin, "198.51.100.30", "US"),
	}
	// Two hundred users behind one corporate egress address, each with an alert of its own.
	const egress = "198.51.100.1"
	var alerts []alert.Alert
	for i := range 200 {
		u := event.UserEntity(fmt.Sprintf("staff%d@corp.example", i))
		uid := fmt.Sprintf("staff-%d", i)
		evs = append(evs, ev(uid, u, t0.Add(time.Duration(i)*time.Second), event.CategoryLogin, egress, "US"))
		alerts = append(alerts, mk(fmt.Sprintf("staff-alert-%03d", i), "Unusual hour", u, t0.Add(time.Duration(i)*time.Second), 30, uid))
	}
	// And a (false) spray alert on the egress itself: it may link some, never everyone.
	var failed []string
	for i := range 50 {
		uid := fmt.Sprintf("fail-%d", i)
		evs = append(evs, ev(uid, event.UserEntity(fmt.Sprintf("staff%d@corp.example", i)), t0.Add(-time.Minute), event.CategoryLoginFailed, egress, "US"))
		failed = append(failed, uid)
	}
	if _, err := st.Append(ctx, "test", evs, nil); err != nil {
		t.Fatal(err)
	}
	alerts = append(alerts, mk("bob-alert", "Sign-in from a new country", bob, t0, 70, "bob1"), mk("carol-alert", "Sign-in from a new country", carol, t0.Add(30*time.Minute), 70, "carol1"))
	g := grouper.New(st, grouper.Config{}, nil)
	if err := g.Observe(ctx, alerts); err != nil {
		t.Fatal(err)
	}
	if got := incidents(t, st, false); len(got) != 0 {
		t.Errorf("%d incidents of two alerts or more, want none: %v", len(got), got[0].Title)
	}
	if err := g.Observe(ctx, []alert.Alert{mk("spray-egress", "Password spray", event.Entity{Type: event.EntityIP, Name: egress}, t0.Add(201*time.Second), 40, failed...)}); err != nil {
		t.Fatal(err)
	}
	got := incidents(t, st, false)
	if len(got) != 1 {
		t.Fatalf("%d multi-alert incidents after the egress spray, want 1", len(got))
	}
	if n := len(got[0].Chain); n < 2 || n > 11 {
		t.Errorf("the egress spray linked %d alerts, want at most the cap (10 identities) plus itself", n)
	}
}

func TestScoreAndSeverity(t *testing.T) {
	for _, c := range []struct {
		in   []int
		want int
	}{{nil, 0}, {[]int{50}, 50}, {[]int{50, 50}, 75}, {[]int{100, 20}, 100}, {[]int{90, 90, 90}, 100}, {[]int{-5, 150}, 100}} {
		if got := incident.Score(c.in); got != c.want {
			t.Errorf("Score(%v) = %d, want %d", c.in, got, c.want)
		}
	}
	if incident.SeverityOf(95) != alert.SeverityCritical || incident.SeverityOf(45) != alert.SeverityMedium || incident.SeverityOf(5) != alert.SeverityInfo {
		t.Error("severity of score")
	}
}

// TestWithoutAStore is the hunt's use: no store, no evidence; identities still link, and
// a spray source that is an alert's entity and named by a correlation's group-by links.
func TestWithoutAStore(t *testing.T) {
	ctx := context.Background()
	alice := event.UserEntity("alice@corp.example")
	spray := mk("a-spray", "Password spray", event.Entity{Type: event.EntityIP, Name: spraySource}, t0, 60)
	chainAlert := mk("b-chain", "Spray then success", alice, t0.Add(10*time.Minute), 80)
	chainAlert.GroupBy = map[string]string{"src_endpoint.ip": spraySource}
	g := grouper.New(nil, grouper.Config{}, nil)
	if err := g.Observe(ctx, []alert.Alert{spray, chainAlert, mk("c-role", "New role member", alice, t0.Add(time.Hour), 50),
		mk("z-other", "Unusual hour", event.UserEntity("zed@corp.example"), t0, 30)}); err != nil {
		t.Fatal(err)
	}
	got := g.Incidents()
	if len(got) != 1 || len(got[0].Chain) != 3 || got[0].ID != incident.ID("a-spray") {
		t.Fatalf("incidents %+v, want one of spray, chain and role", got)
	}
}
