package storetest

import (
	"context"
	"fmt"
	"testing"

	"github.com/vigil-sec/vigil/internal/event"
	"github.com/vigil-sec/vigil/internal/store"
)

// testSequenced: a Sequenced store hands out events in the order it stored them, whatever
// their times, from any number on, a page at a time; a duplicate gets no new number.
func testSequenced(t *testing.T, s store.Store) {
	sq, ok := s.(store.Sequenced)
	if !ok {
		t.Skip("the store does not number events")
	}
	ctx := context.Background()
	if n, err := sq.LastSeq(ctx); err != nil || n != 0 {
		t.Fatalf("empty store: LastSeq %d, %v", n, err)
	}
	// Recent events first, then a backfill of older ones: storing order is not time order.
	mustAppend(t, s, "src", []*event.Event{Event("new1", 100, "a@example.com", event.CategoryResourceCreate), Event("new2", 101, "a@example.com", event.CategoryResourceCreate)}, "")
	mark, err := sq.LastSeq(ctx)
	if err != nil || mark == 0 {
		t.Fatalf("LastSeq %d, %v", mark, err)
	}
	var old []*event.Event
	for i := range 5 {
		old = append(old, Event(fmt.Sprintf("old%d", i), i, "b@example.com", event.CategoryResourceCreate))
	}
	mustAppend(t, s, "src", old, "")
	mustAppend(t, s, "src", old[:2], "") // already stored: no new numbers
	var got []string
	after := mark
	for {
		evs, last, err := sq.StoredAfter(ctx, after, 2)
		if err != nil {
			t.Fatal(err)
		}
		if len(evs) == 0 {
			if last != after {
				t.Errorf("an empty page moved the number from %d to %d", after, last)
			}
			break
		}
		for _, ev := range evs {
			got = append(got, ev.Metadata.UID)
		}
		after = last
	}
	if fmt.Sprint(got) != "[old0 old1 old2 old3 old4]" {
		t.Errorf("stored after the mark: %v, want the backfill once, in storing order", got)
	}
	if n, _ := sq.LastSeq(ctx); n != after {
		t.Errorf("LastSeq %d, the last number read %d", n, after)
	}
}

// testQueryByAddress: the events of an address entity are those from it, whoever acted —
// an alert on a spraying address finds its evidence among its victims' sign-ins.
func testQueryByAddress(t *testing.T, s store.Store) {
	ctx := context.Background()
	var evs []*event.Event
	for i, who := range []string{"a@example.com", "b@example.com", "c@example.com"} {
		ev := Event(fmt.Sprintf("spray-%d", i), i, who, event.CategoryLoginFailed)
		ev.SrcEndpoint.IP = "203.0.113.7"
		evs = append(evs, ev)
	}
	evs = append(evs, Event("other", 3, "a@example.com", event.CategoryLoginFailed)) // from 198.51.100.3
	mustAppend(t, s, "src", evs, "")
	p, err := s.Query(ctx, store.Query{Entity: event.Entity{Type: event.EntityIP, Name: "203.0.113.7"}, Limit: 10, Ascending: true})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, ev := range p.Events {
		got = append(got, ev.Metadata.UID)
	}
	if fmt.Sprint(got) != "[spray-0 spray-1 spray-2]" {
		t.Errorf("events of the address: %v, want the three from it", got)
	}
}
