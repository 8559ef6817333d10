// Package storetest is the conformance suite every store engine passes: idempotent
// appends, atomic checkpoints, queries, summaries, state and retention. An engine's tests
// call Run with a function that opens a fresh store.
package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/vigil-sec/vigil/internal/event"
	"github.com/vigil-sec/vigil/internal/store"
)

// Open returns a new, empty store for one test.
type Open func(t *testing.T) store.Store

// Base is the time test events start at.
var Base = time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)

// Event builds a realistic event for tests: uid, minutes after Base, an entity and a category.
func Event(uid string, minutes int, entity string, cat event.Category) *event.Event {
	ev := &event.Event{}
	ev.SetTime(Base.Add(time.Duration(minutes) * time.Minute))
	ev.SetClass(event.ClassAPIActivity, event.ActivityCreate)
	ev.SetStatus(event.StatusSuccess)
	ev.Metadata.UID = uid
	ev.Vigil.Category = cat
	ev.Vigil.Source = "cloudtrail"
	ev.Vigil.Entity = event.UserEntity(entity)
	ev.API.Operation = "RunInstances"
	ev.API.Service.Name = "ec2.amazonaws.com"
	ev.SrcEndpoint.IP = fmt.Sprintf("198.51.100.%d", minutes%250)
	ev.SrcEndpoint.Location = &event.Location{Country: []string{"GB", "US"}[minutes%2]}
	ev.Cloud.Account.UID = "111122223333"
	ev.Raw = json.RawMessage(fmt.Sprintf(`{"eventID":%q,"eventName":"RunInstances","n":%d}`, uid, minutes))
	return ev
}

// Run runs the suite.
func Run(t *testing.T, open Open) {
	tests := []struct {
		name string
		fn   func(*testing.T, store.Store)
	}{
		{"IdempotentAppend", testIdempotent},
		{"OverlappingBatches", testOverlap},
		{"ContentKeyWithoutUID", testContentKey},
		{"CheckpointIsAtomic", testAtomicCheckpoint},
		{"QueryFiltersAndPages", testQuery},
		{"GetKeepsRaw", testGet},
		{"Summary", testSummary},
		{"State", testState},
		{"Retention", testRetention},
		{"AppendNew", testAppendNew},
		{"Alerts", testAlerts},
		{"Sequenced", testSequenced},
		{"QueryByAddress", testQueryByAddress},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := open(t)
			defer s.Close()
			tt.fn(t, s)
		})
	}
}

func batch(prefix string, from, n int) []*event.Event {
	var evs []*event.Event
	for i := from; i < from+n; i++ {
		evs = append(evs, Event(fmt.Sprintf("%s-%d", prefix, i), i, fmt.Sprintf("user%d@example.com", i%3), event.CategoryResourceCreate))
	}
	return evs
}

func mustAppend(t *testing.T, s store.Store, source string, evs []*event.Event, cp string) int {
	t.Helper()
	n, err := s.Append(context.Background(), source, evs, store.Checkpoint(cp))
	if err != nil {
		t.Fatalf("Append: %v", err)
	}
	return n
}

func count(t *testing.T, s store.Store, q store.Query) int {
	t.Helper()
	q.Limit = 10000
	p, err := s.Query(context.Background(), q)
	if err != nil {
		t.Fatalf("Query: %v", err)
	}
	return len(p.Events)
}

func testIdempotent(t *testing.T, s store.Store) {
	evs := batch("a", 0, 150)
	if n := mustAppend(t, s, "src", evs, "cp1"); n != 150 {
		t.Fatalf("first append inserted %d, want 150", n)
	}
	if n := mustAppend(t, s, "src", evs, "cp2"); n != 0 {
		t.Fatalf("second append inserted %d, want 0", n)
	}
	if n := count(t, s, store.Query{}); n != 150 {
		t.Fatalf("stored %d events, want 150", n)
	}
	// The same uid from another source is another record.
	if n := mustAppend(t, s, "other", evs[:10], ""); n != 10 {
		t.Fatalf("other source inserted %d, want 10", n)
	}
	cp, _ := s.Checkpoint(context.Background(), "src")
	if string(cp) != "cp2" {
		t.Errorf("checkpoint %q, want cp2 (it moves even when nothing was new)", cp)
	}
}

func testOverlap(t *testing.T, s store.Store) {
	mustAppend(t, s, "graph", batch("o", 0, 100), "t=100")
	if n := mustAppend(t, s, "graph", batch("o", 80, 100), "t=180"); n != 80 {
		t.Fatalf("overlapping window inserted %d, want 80", n)
	}
	if n := count(t, s, store.Query{Source: "graph"}); n != 180 {
		t.Fatalf("stored %d, want 180", n)
	}
}

func testContentKey(t *testing.T, s store.Store) {
	a, b := Event("", 1, "x@example.com", event.CategoryLogin), Event("", 2, "x@example.com", event.CategoryLogin)
	if n := mustAppend(t, s, "f", []*event.Event{a, b}, ""); n != 2 {
		t.Fatalf("inserted %d, want 2 distinct records", n)
	}
	if n := mustAppend(t, s, "f", []*event.Event{Event("", 1, "x@example.com", event.CategoryLogin)}, ""); n != 0 {
		t.Fatalf("same record without uid inserted again (%d)", n)
	}
}

func testAtomicCheckpoint(t *testing.T, s store.Store) {
	ctx := context.Background()
	mustAppend(t, s, "eh", batch("ok", 0, 5), "offset=5")
	evs := batch("b", 10, 100)
	evs[90].Raw = json.RawMessage(`{"not": valid`) // cannot be stored: fails after the first block
	if _, err := s.Append(ctx, "eh", evs, store.Checkpoint("offset=105")); err == nil {
		t.Fatal("Append of a batch with an unstorable event succeeded")
	}
	if n := count(t, s, store.Query{Source: "eh"}); n != 5 {
		t.Errorf("after a failed batch %d events are stored, want the 5 from before", n)
	}
	cp, err := s.Checkpoint(ctx, "eh")
	if err != nil || string(cp) != "offset=5" {
		t.Errorf("checkpoint after a failed batch = %q, %v; want offset=5", cp, err)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := s.Append(cctx, "eh", batch("c", 200, 3), store.Checkpoint("offset=108")); err == nil {
		t.Error("Append with a cancelled context succeeded")
	}
	if cp, _ := s.Checkpoint(ctx, "eh"); string(cp) != "offset=5" {
		t.Errorf("checkpoint moved to %q without its events", cp)
	}
}

func testQuery(t *testing.T, s store.Store) {
	mustAppend(t, s, "src", batch("q", 0, 250), "")
	mustAppend(t, s, "src", []*event.Event{Event("login-1", 10, "user1@example.com", event.CategoryLogin)}, "")
	if n := count(t, s, store.Query{Entity: event.UserEntity("user1@example.com")}); n != 84 {
		t.Errorf("entity query: %d, want 84", n)
	}
	if n := count(t, s, store.Query{Category: event.CategoryLogin}); n != 1 {
		t.Errorf("category query: %d, want 1", n)
	}
	if n := count(t, s, store.Query{From: Base.Add(100 * time.Minute), To: Base.Add(110 * time.Minute)}); n != 10 {
		t.Errorf("time query: %d, want 10", n)
	}
	// Paging newest first visits every event once, in order.
	seen, last := map[string]bool{}, int64(1<<62)
	q := store.Query{Limit: 40}
	for {
		p, err := s.Query(context.Background(), q)
		if err != nil {
			t.Fatal(err)
		}
		for _, ev := range p.Events {
			if seen[ev.Metadata.UID] || ev.Time > last {
				t.Fatalf("paging repeated or reordered %s", ev.Metadata.UID)
			}
			seen[ev.Metadata.UID], last = true, ev.Time
		}
		if p.Next == "" {
			break
		}
		q.Cursor = p.Next
	}
	if len(seen) != 251 {
		t.Errorf("paging saw %d events, want 251", len(seen))
	}
	p, _ := s.Query(context.Background(), store.Query{Ascending: true, Limit: 1})
	if len(p.Events) != 1 || p.Events[0].Metadata.UID != "q-0" {
		t.Errorf("oldest first gave %+v", p.Events)
	}
}

func testGet(t *testing.T, s store.Store) {
	evs := batch("g", 0, 70)
	mustAppend(t, s, "src", evs, "")
	got, err := s.Get(context.Background(), "src", "g-66")
	if err != nil {
		t.Fatal(err)
	}
	if string(got.Raw) != string(evs[66].Raw) || got.Time != evs[66].Time || got.Vigil.Entity != evs[66].Vigil.Entity {
		t.Errorf("Get returned %+v, want %+v", got, evs[66])
	}
	if _, err := s.Get(context.Background(), "src", "nope"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("missing event: %v, want ErrNotFound", err)
	}
}

func testSummary(t *testing.T, s store.Store) {
	mustAppend(t, s, "src", batch("s", 0, 30), "")
	sum, err := s.Summary(context.Background(), event.UserEntity("user0@example.com"), Base, []string{"src_endpoint.location.country", "api.operation"})
	if err != nil {
		t.Fatal(err)
	}
	c := sum["src_endpoint.location.country"]
	if len(c) != 2 || c[0].Count+c[1].Count != 10 {
		t.Errorf("countries %+v, want GB and US adding up to 10", c)
	}
	if ops := sum["api.operation"]; len(ops) != 1 || ops[0] != (store.ValueCount{Value: "RunInstances", Count: 10}) {
		t.Errorf("operations %+v", ops)
	}
	if _, err := s.Summary(context.Background(), event.UserEntity("x"), Base, []string{"nope"}); err == nil {
		t.Error("unknown summary field accepted")
	}
}

func testState(t *testing.T, s store.Store) {
	ctx := context.Background()
	for k, v := range map[string]string{"behavior/u1": "a", "behavior/u2": "b", "queue/1": "c", "behavior%_x": "d"} {
		if err := s.PutState(ctx, k, []byte(v)); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.PutState(ctx, "behavior/u1", []byte("a2")); err != nil {
		t.Fatal(err)
	}
	v, ok, err := s.GetState(ctx, "behavior/u1")
	if err != nil || !ok || string(v) != "a2" {
		t.Errorf("GetState = %q %v %v", v, ok, err)
	}
	all, err := s.ListState(ctx, "behavior/")
	if err != nil || len(all) != 2 {
		t.Errorf("ListState = %v %v, want the two behavior/ keys", all, err)
	}
	if err := s.DeleteState(ctx, "behavior/u2"); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := s.GetState(ctx, "behavior/u2"); ok {
		t.Error("deleted key still there")
	}
}

func testRetention(t *testing.T, s store.Store) {
	mustAppend(t, s, "src", batch("r", 0, 200), "")
	n, err := s.DeleteBefore(context.Background(), Base.Add(150*time.Minute))
	if err != nil || n != 150 {
		t.Fatalf("DeleteBefore = %d, %v; want 150", n, err)
	}
	if c := count(t, s, store.Query{}); c != 50 {
		t.Errorf("%d events left, want 50", c)
	}
	if _, err := s.Get(context.Background(), "src", "r-199"); err != nil {
		t.Errorf("kept event unreadable after retention: %v", err)
	}
	// A deleted event may come back (it is new again): retention is by age, not a tombstone.
	if n := mustAppend(t, s, "src", batch("r", 0, 1), ""); n != 1 {
		t.Errorf("re-append after retention inserted %d", n)
	}
}
