package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/vigil-sec/vigil/internal/alert"
	"github.com/vigil-sec/vigil/internal/event"
	"github.com/vigil-sec/vigil/internal/store"
)

// testAppendNew: AppendNew hands back exactly the events not stored before, in order, so
// the pipeline detects a re-delivered record once.
func testAppendNew(t *testing.T, s store.Store) {
	ctx := context.Background()
	first := batch("n", 0, 100)
	fresh, err := s.AppendNew(ctx, "src", first, nil)
	if err != nil || len(fresh) != 100 {
		t.Fatalf("first AppendNew = %d, %v; want 100 new", len(fresh), err)
	}
	// Half already stored, one uid twice in the batch, fifty new.
	again := append(batch("n", 50, 100), Event("n-120", 120, "user0@example.com", event.CategoryResourceCreate))
	fresh, err = s.AppendNew(ctx, "src", again, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(fresh) != 50 {
		t.Fatalf("AppendNew of a half-stored batch returned %d new, want 50", len(fresh))
	}
	for i, ev := range fresh {
		if want := fmt.Sprintf("n-%d", 100+i); ev.Metadata.UID != want {
			t.Fatalf("fresh[%d] = %s, want %s (input order)", i, ev.Metadata.UID, want)
		}
	}
}

func testAlerts(t *testing.T, s store.Store) {
	ctx := context.Background()
	var as []alert.Alert
	for i := range 25 {
		sev := alert.SeverityMedium
		if i%5 == 0 {
			sev = alert.SeverityHigh
		}
		as = append(as, alert.Alert{
			ID: fmt.Sprintf("a%02d", i), Time: Base.Add(time.Duration(i) * time.Minute), Title: "t",
			Rule: alert.Rule{ID: "r", Kind: alert.KindSigma}, Severity: sev, Score: 50,
			Entity: event.UserEntity(fmt.Sprintf("u%d@example.com", i%2)), EventUIDs: []string{fmt.Sprint(i)},
		})
	}
	fresh, err := s.PutAlerts(ctx, as)
	if err != nil || len(fresh) != 25 {
		t.Fatalf("PutAlerts = %d, %v; want 25", len(fresh), err)
	}
	grown := as[3]
	grown.Count, grown.EventUIDs = 4, []string{"3", "30", "31", "32"}
	if fresh, err := s.PutAlerts(ctx, []alert.Alert{grown}); err != nil || len(fresh) != 0 {
		t.Fatalf("PutAlerts of a known id = %d, %v; want 0 new", len(fresh), err)
	}
	var got []alert.Alert
	q := store.AlertQuery{Limit: 10, Ascending: true}
	for {
		p, err := s.Alerts(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, p.Alerts...)
		if p.Next == "" {
			break
		}
		q.Cursor = p.Next
	}
	if len(got) != 25 || got[0].ID != "a00" || got[24].ID != "a24" {
		t.Fatalf("paged %d alerts (first %v), want 25 in time order", len(got), got[0].ID)
	}
	if got[3].Count != 4 || len(got[3].EventUIDs) != 4 {
		t.Errorf("replaced alert = %+v, want the grown version", got[3])
	}
	p, err := s.Alerts(ctx, store.AlertQuery{MinSeverity: alert.SeverityHigh, Entity: event.UserEntity("u0@example.com")})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Alerts) != 3 { // i = 0, 10, 20
		t.Errorf("high alerts of u0 = %d, want 3", len(p.Alerts))
	}
}
