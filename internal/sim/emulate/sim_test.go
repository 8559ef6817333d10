package emulate

import (
	"context"
	"encoding/json"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/vigil-sec/vigil/internal/sim"
)

// simulated runs the real simulator and keeps its records.
func simulated(t testing.TB, users, days int) []sim.Record {
	t.Helper()
	sm, err := sim.New(sim.Config{Seed: 11, Users: users, Days: days})
	if err != nil {
		t.Fatal(err)
	}
	var recs []sim.Record
	if _, err := sm.Run(context.Background(), func(r sim.Record) error { recs = append(recs, r); return nil }); err != nil {
		t.Fatal(err)
	}
	return recs
}

func TestServesTheSimulatedOrganisation(t *testing.T) {
	recs := simulated(t, 20, 3)
	end := sim.DefaultEnd()
	clock := NewManualClock(end.Add(3 * time.Hour))
	s := start(t, func(o *Options) {
		o.Clock = clock
		o.Subscriptions = nil // every subscription the records name
		o.Budget = Budget{Requests: 10000, Per: time.Minute}
	})
	s.Add(recs...)
	st := s.Stats()
	for _, k := range []sim.Kind{sim.KindGraphSignIn, sim.KindGraphAudit, sim.KindActivityLog, sim.KindEventHub} {
		if st.Added[k] == 0 {
			t.Errorf("no %s records served from the simulation (added %v)", k, st.Added)
		}
	}
	if st.Visible[sim.KindGraphSignIn] != s.Visible(sim.KindGraphSignIn, clock.Now()) || st.Visible[sim.KindActivityLog] == 0 {
		t.Errorf("Stats().Visible = %v", st.Visible)
	}
	if st.Ignored == 0 {
		t.Error("CloudTrail records should be ignored, none were")
	}
	graphTok := getToken(t, s, "https://graph.microsoft.com/.default")
	since := url.QueryEscape("createdDateTime ge " + end.Add(-4*24*time.Hour).Format(time.RFC3339))
	if n := len(walk(t, s, graphTok, s.URL()+"/v1.0/auditLogs/signIns?$filter="+since, "@odata.nextLink")); n != s.Visible(sim.KindGraphSignIn, clock.Now()) || n == 0 {
		t.Errorf("interactive sign-ins walked %d, visible %d", n, s.Visible(sim.KindGraphSignIn, clock.Now()))
	}
	for _, typ := range []string{"nonInteractiveUser", "servicePrincipal", "managedIdentity"} {
		f := url.QueryEscape("signInEventTypes/any(t: t eq '" + typ + "')")
		if n := len(walk(t, s, graphTok, s.URL()+"/beta/auditLogs/signIns?$filter="+f, "@odata.nextLink")); n == 0 {
			t.Errorf("no %s sign-ins on beta", typ)
		}
	}
	armTok := getToken(t, s, "https://management.azure.com/.default")
	a := get(t, s, armTok, s.URL()+"/subscriptions?api-version=2022-12-01")
	var subs struct {
		Value []struct {
			SubscriptionID string `json:"subscriptionId"`
		} `json:"value"`
	}
	if err := json.Unmarshal(a.body, &subs); err != nil || len(subs.Value) != 2 {
		t.Fatalf("subscriptions from the simulation: %s", a.body)
	}
	total := 0
	for _, sub := range subs.Value {
		total += len(walk(t, s, armTok, armLog(s, sub.SubscriptionID, "eventTimestamp ge '"+end.Add(-4*24*time.Hour).Format(time.RFC3339)+"'"), "nextLink"))
	}
	if total != s.Visible(sim.KindActivityLog, clock.Now()) || total == 0 {
		t.Errorf("activity log walked %d, visible %d", total, s.Visible(sim.KindActivityLog, clock.Now()))
	}
}

// Records added while a client pages are served or left for the next poll, never
// corrupting a walk (run with -race to check the locking).
func TestAddWhileServing(t *testing.T) {
	clock := NewManualClock(t0.Add(48 * time.Hour))
	s := start(t, func(o *Options) { o.Clock = clock; noDelay(o); o.Budget = Budget{Requests: 100000, Per: time.Minute} })
	for i := 0; i < 500; i++ {
		s.Add(signIn(i, t0.Add(time.Duration(i)*time.Second), "interactiveUser"))
	}
	tok := getToken(t, s, "https://graph.microsoft.com/.default")
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 500; i < 3000; i++ {
			s.Add(signIn(i, t0.Add(time.Duration(i)*time.Second), "interactiveUser"))
		}
	}()
	for round := 0; round < 5; round++ {
		ids := walk(t, s, tok, s.URL()+"/v1.0/auditLogs/signIns?$top=50", "@odata.nextLink")
		seen := map[string]bool{}
		for _, id := range ids {
			if seen[id] {
				t.Fatalf("round %d: %s twice in one walk", round, id)
			}
			seen[id] = true
		}
		if len(ids) < 500 {
			t.Fatalf("round %d: %d records, fewer than were there before the walk", round, len(ids))
		}
	}
	wg.Wait()
	if n := len(walk(t, s, tok, s.URL()+"/v1.0/auditLogs/signIns", "@odata.nextLink")); n != 3000 {
		t.Fatalf("after the adds: %d, want 3000", n)
	}
}

// BenchmarkPaging measures records served per second through $top=1000 pages over TLS,
// token and JSON decoding included.
func BenchmarkPaging(b *testing.B) {
	clock := NewManualClock(t0.Add(48 * time.Hour))
	s := start(b, func(o *Options) { o.Clock = clock; noDelay(o); o.Budget = Budget{Requests: 1 << 30, Per: time.Minute} })
	const n = 20000
	recs := make([]sim.Record, n)
	for i := range recs {
		recs[i] = signIn(i, t0.Add(time.Duration(i)*time.Second), "interactiveUser")
	}
	s.Add(recs...)
	tok := getToken(b, s, "https://graph.microsoft.com/.default")
	b.ResetTimer()
	served := 0
	for i := 0; i < b.N; i++ {
		served += len(walk(b, s, tok, s.URL()+"/v1.0/auditLogs/signIns?$top=1000", "@odata.nextLink"))
	}
	b.ReportMetric(float64(served)/b.Elapsed().Seconds(), "records/s")
}
