package triage_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/vigil-sec/vigil/internal/alert"
	"github.com/vigil-sec/vigil/internal/event"
	"github.com/vigil-sec/vigil/internal/store/sqlite"
	"github.com/vigil-sec/vigil/internal/triage"
)

var t0 = time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)

// ev builds an event of alice (or who) at t.
func ev(uid, who string, t time.Time, cat event.Category, op, ip, country string, asn int) *event.Event {
	e := &event.Event{Metadata: event.Metadata{UID: uid}}
	e.SetTime(t)
	e.Vigil.Category = cat
	e.Vigil.Entity = event.UserEntity(who)
	e.API.Operation, e.API.Service.Name = op, "s3.amazonaws.com"
	e.SrcEndpoint.IP = ip
	e.SrcEndpoint.Location = &event.Location{Country: country}
	e.SrcEndpoint.AutonomousSystem = &event.AutonomousSystem{Number: asn}
	e.Cloud.Account.UID = "111122223333"
	e.Resources = []event.Resource{{UID: "arn:aws:s3:::payroll", Group: "rg-finance"}}
	e.AuthProto = "password"
	return e
}

func openStore(t *testing.T) *sqlite.Store {
	t.Helper()
	st, err := sqlite.Open(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func TestSummaryAnswersTheQuestions(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	var evs []*event.Event
	// Six days of usual work from the US, and one event too old for the window.
	for i := range 60 {
		evs = append(evs, ev(fmt.Sprintf("h%d", i), "alice@corp.example", t0.Add(-6*24*time.Hour+time.Duration(i)*time.Hour*2), event.CategoryStorageAccess, "GetObject", "198.51.100.10", "US", 7018))
	}
	evs = append(evs, ev("old", "alice@corp.example", t0.Add(-9*24*time.Hour), event.CategoryStorageAccess, "ListBuckets", "192.0.2.99", "FR", 3215))
	evs = append(evs, ev("usual-login", "alice@corp.example", t0.Add(-5*time.Hour), event.CategoryLogin, "", "198.51.100.10", "US", 7018))
	evs = append(evs, ev("bad-login", "alice@corp.example", t0.Add(-30*time.Minute), event.CategoryLogin, "", "203.0.113.7", "RU", 4134))
	// The evidence: a delete never done before and a read done often, from the new address.
	evs = append(evs, ev("e1", "alice@corp.example", t0, event.CategoryStorageAccess, "DeleteBucket", "203.0.113.7", "RU", 4134))
	evs = append(evs, ev("e2", "alice@corp.example", t0.Add(time.Minute), event.CategoryStorageAccess, "GetObject", "203.0.113.7", "RU", 4134))
	// Someone else's events do not count.
	evs = append(evs, ev("bob1", "bob@corp.example", t0.Add(-time.Hour), event.CategoryStorageAccess, "PutObject", "203.0.113.7", "RU", 4134))
	// Directory changes: alice joins Admins and Helpdesk, gets a role, leaves Helpdesk.
	dir := func(uid string, at time.Time, cat event.Category, group, role string) *event.Event {
		e := &event.Event{Metadata: event.Metadata{UID: uid}}
		e.SetTime(at)
		e.Vigil.Category, e.Vigil.Entity = cat, event.UserEntity("bob@corp.example")
		e.User = &event.User{Name: "Alice@corp.example"}
		if group != "" {
			e.Group = &event.Group{Name: group}
		} else {
			e.Resources = []event.Resource{{Name: "Alice@corp.example", Type: "User"}, {Name: role, Type: "Role"}}
		}
		return e
	}
	evs = append(evs,
		dir("d1", t0.Add(-40*24*time.Hour), event.CategoryGroupMemberAdd, "Admins", ""),
		dir("d2", t0.Add(-3*24*time.Hour), event.CategoryGroupMemberAdd, "Helpdesk", ""),
		dir("d3", t0.Add(-2*time.Hour), event.CategoryRoleAssignment, "", "Global Administrator"),
		dir("d4", t0.Add(-time.Hour), event.CategoryGroupMemberRemove, "Helpdesk", ""))
	if _, err := st.Append(ctx, "cloudtrail", evs, nil); err != nil {
		t.Fatal(err)
	}
	alice := event.UserEntity("alice@corp.example")
	signinAlert := alert.Alert{ID: "signin-alert", Time: t0.Add(-30 * time.Minute), Title: "Sign-in from a new country", Entity: alice, EventUIDs: []string{"bad-login"}, Severity: alert.SeverityHigh}
	if _, err := st.PutAlerts(ctx, []alert.Alert{signinAlert}); err != nil {
		t.Fatal(err)
	}
	a := alert.Alert{ID: "a1", Time: t0.Add(time.Minute), FirstSeen: t0, Entity: alice, EventUIDs: []string{"e1", "e2"}, Title: "Bucket deleted"}
	s, err := triage.New(st, triage.Config{}, nil).Summarize(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	if !s.To.Equal(t0) || !s.From.Equal(t0.Add(-7*24*time.Hour)) {
		t.Errorf("window %s–%s, want the 7 days before %s", s.From, s.To, t0)
	}
	if s.Events != 60+2+0 {
		t.Errorf("%d events in the window, want 62 (60 reads and 2 sign-ins; not the old one, not bob's, not the evidence)", s.Events)
	}
	if got := s.History["operations"]; len(got) != 1 || got[0].Value != "GetObject" || got[0].Count != 60 {
		t.Errorf("operations %v, want GetObject 60", got)
	}
	if got := s.History["countries"]; len(got) != 2 || got[0].Value != "US" || got[0].Count != 61 || got[1].Value != "RU" {
		t.Errorf("countries %v, want US 61, RU 1", got)
	}
	if got := s.History["resource_groups"]; len(got) != 1 || got[0].Value != "rg-finance" {
		t.Errorf("resource groups %v", got)
	}
	if got := s.History["auth_methods"]; len(got) != 1 || got[0].Value != "password" {
		t.Errorf("auth methods %v", got)
	}
	// RU was seen once (the bad sign-in, 30 minutes before): not new; DeleteBucket is.
	if got := s.New["operations"]; len(got) != 1 || got[0] != "DeleteBucket" {
		t.Errorf("new operations %v, want DeleteBucket", got)
	}
	if len(s.New["countries"]) != 0 {
		t.Errorf("new countries %v, want none (the sign-in had RU already)", s.New["countries"])
	}
	if !s.UnusualSignIn || len(s.SignIns) != 2 || !s.SignIns[0].Unusual || s.SignIns[1].Unusual {
		t.Fatalf("sign-ins %+v, want the RU one unusual and the US one usual", s.SignIns)
	}
	why := strings.Join(s.SignIns[0].Why, "; ")
	if !strings.Contains(why, "new country RU") || !strings.Contains(why, "new network AS4134") || !strings.Contains(why, "signin-alert") {
		t.Errorf("why %q: want the new country, the new network and the alert", why)
	}
	if len(s.DoneBefore) != 2 || s.DoneBefore[0].Operation != "DeleteBucket" || s.DoneBefore[0].Count != 0 ||
		s.DoneBefore[1].Operation != "GetObject" || s.DoneBefore[1].Count != 60 || s.DoneBefore[1].Resource != "arn:aws:s3:::payroll" {
		t.Errorf("done before %+v", s.DoneBefore)
	}
	var held []string
	for _, m := range s.Memberships {
		held = append(held, m.Kind+":"+m.Name)
	}
	if strings.Join(held, ",") != "group:Admins,role:Global Administrator" {
		t.Errorf("memberships %v, want Admins and Global Administrator (Helpdesk was removed)", held)
	}
	line := s.Compact()
	for _, want := range []string{"7d 62 events", "operations GetObject(60)", "new: operations=DeleteBucket", "sign-in: unusual", "holds: group Admins; role Global Administrator;"} {
		if !strings.Contains(line, want) {
			t.Errorf("compact %q lacks %q", line, want)
		}
	}
	if strings.Contains(line, "\n") {
		t.Errorf("compact form has a line break: %q", line)
	}
	if txt := s.Text(); !strings.Contains(txt, "done before? DeleteBucket on arn:aws:s3:::payroll: never in the window") {
		t.Errorf("text form:\n%s", txt)
	}
	// Annotate attaches it and keeps the alert's own details.
	a.Details = map[string]any{"k": 1}
	out := triage.New(st, triage.Config{}, nil).Annotate(ctx, []alert.Alert{a})
	if got, ok := out[0].Details["triage"].(triage.Summary); !ok || got.Events != 62 || out[0].Details["k"] != 1 {
		t.Errorf("annotated details %v", out[0].Details)
	}
}

func TestSummaryOfAFirstTimeIdentityFlagsNothingUnusual(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	evs := []*event.Event{
		ev("l1", "new@corp.example", t0.Add(-time.Hour), event.CategoryLogin, "", "198.51.100.1", "US", 7018),
		ev("e1", "new@corp.example", t0, event.CategoryStorageAccess, "GetObject", "198.51.100.1", "US", 7018),
	}
	if _, err := st.Append(ctx, "cloudtrail", evs, nil); err != nil {
		t.Fatal(err)
	}
	s, err := triage.New(st, triage.Config{}, nil).Summarize(ctx, alert.Alert{ID: "x", Time: t0, Entity: event.UserEntity("new@corp.example"), EventUIDs: []string{"e1"}})
	if err != nil {
		t.Fatal(err)
	}
	if s.UnusualSignIn || len(s.SignIns) != 1 {
		t.Errorf("sign-ins %+v: a first sign-in with no history before it is not evidence", s.SignIns)
	}
	if s.Events != 1 || len(s.New["operations"]) != 1 {
		t.Errorf("events %d new %v", s.Events, s.New)
	}
}

// An unusual sign-in followed by many usual ones (a workload signing in every few minutes)
// is still the answer, and still listed.
func TestUnusualSignInAmongManyUsual(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	who := "busy@corp.example"
	evs := []*event.Event{ev("h0", who, t0.Add(-3*24*time.Hour), event.CategoryLogin, "", "198.51.100.1", "US", 7018),
		ev("odd", who, t0.Add(-5*time.Hour), event.CategoryLogin, "", "203.0.113.7", "RU", 4134)}
	for i := range 40 {
		evs = append(evs, ev(fmt.Sprintf("l%d", i), who, t0.Add(-4*time.Hour+time.Duration(i)*5*time.Minute), event.CategoryLogin, "", "198.51.100.1", "US", 7018))
	}
	evs = append(evs, ev("e1", who, t0, event.CategoryStorageAccess, "GetObject", "198.51.100.1", "US", 7018))
	if _, err := st.Append(ctx, "cloudtrail", evs, nil); err != nil {
		t.Fatal(err)
	}
	s, err := triage.New(st, triage.Config{}, nil).Summarize(ctx, alert.Alert{ID: "x", Time: t0, Entity: event.UserEntity(who), EventUIDs: []string{"e1"}})
	if err != nil {
		t.Fatal(err)
	}
	if !s.UnusualSignIn || len(s.SignIns) != 10 {
		t.Fatalf("unusual %v, %d sign-ins listed; want the RU one found among 41", s.UnusualSignIn, len(s.SignIns))
	}
	if last := s.SignIns[len(s.SignIns)-1]; !last.Unusual || last.Country != "RU" || !s.SignIns[0].Time.After(last.Time) {
		t.Errorf("listed %+v: want the newest usual ones and the RU one, newest first", s.SignIns)
	}
}
