package sqlite

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/goccy/go-json"

	"github.com/vigil-sec/vigil/internal/event"
	"github.com/vigil-sec/vigil/internal/store/storetest"
)

// shapeEvents are events whose JSON is easy to get subtly wrong: HTML characters and
// invalid UTF-8 in strings, a raw record holding `,"raw":` in its strings and keys, no
// raw at all, an unparsed record's raw string.
func shapeEvents() []*event.Event {
	a := storetest.Event("shape-1", 1, "a<b>&c@example.com", event.CategoryResourceCreate)
	a.Message = "bad \xff utf-8 and \u2028 separators"
	a.Raw = []byte(`{"k":"x\",\"raw\":1","raw":{"raw":[1,2]},"n":null}`)
	b := storetest.Event("shape-2", 2, "user@example.com", event.CategoryLogin)
	b.Raw = nil
	c := storetest.Event("shape-3", 3, "user@example.com", event.CategoryUnparsed)
	c.Raw = []byte(`"not json at all, \"raw\":"`)
	return []*event.Event{a, b, c}
}

// The block encoder writes each event exactly as json.Marshal of the whole event would
// (the raw record last, as it was given), so what is stored keeps its JSON shape.
func TestAppendEventMatchesMarshal(t *testing.T) {
	w := &lineWriter{}
	enc := json.NewEncoder(w)
	for _, ev := range shapeEvents() {
		w.b = w.b[:0]
		if err := appendEvent(w, enc, ev); err != nil {
			t.Fatal(err)
		}
		want, err := json.Marshal(ev)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(w.b, want) {
			t.Errorf("%s:\n got %s\nwant %s", ev.Metadata.UID, w.b, want)
		}
	}
}

// Events come back from the store as a full JSON decode of what was stored gives them.
func TestStoredEventsDecodeWhole(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	evs := shapeEvents()
	if _, err := s.Append(ctx, "src", evs, nil); err != nil {
		t.Fatal(err)
	}
	for _, in := range evs {
		got, err := s.Get(ctx, "src", in.Metadata.UID)
		if err != nil {
			t.Fatal(err)
		}
		line, _ := json.Marshal(in)
		var want event.Event
		if err := json.Unmarshal(line, &want); err != nil {
			t.Fatal(err)
		}
		gotJSON, _ := json.Marshal(got)
		wantJSON, _ := json.Marshal(&want)
		if !bytes.Equal(gotJSON, wantJSON) {
			t.Errorf("%s:\n got %s\nwant %s", in.Metadata.UID, gotJSON, wantJSON)
		}
	}
}

// A batch of several blocks (encoded on one goroutine while the one before is inserted)
// stores every event once, in order, each readable where its index row points: a uid
// repeated in a later block, and uids already stored, are left out.
func TestAppendAcrossBlocks(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	mk := func(from, n int) []*event.Event {
		var evs []*event.Event
		for i := from; i < from+n; i++ {
			ev := storetest.Event(fmt.Sprintf("e-%d", i), i, fmt.Sprintf("user%d@example.com", i%7), event.CategoryResourceCreate)
			ev.Raw = []byte(fmt.Sprintf(`{"n":%d,"pad":%q}`, i, strings.Repeat("x", i%50)))
			evs = append(evs, ev)
		}
		return evs
	}
	if _, err := s.AppendNew(ctx, "src", mk(0, 10), nil); err != nil {
		t.Fatal(err)
	}
	in := mk(5, 5*blockSize)                 // e-5 … e-9 are stored already
	in = append(in, mk(5+blockSize, 1)...)   // a repeat, three blocks after its first
	in = append(in, mk(5+5*blockSize, 3)...) // and three new ones in a last block
	fresh, err := s.AppendNew(ctx, "src", in, []byte("cp"))
	if err != nil {
		t.Fatal(err)
	}
	if want := 5*blockSize - 5 + 3; len(fresh) != want {
		t.Fatalf("AppendNew returned %d new, want %d", len(fresh), want)
	}
	for i, ev := range fresh {
		if want := fmt.Sprintf("e-%d", 10+i); ev.Metadata.UID != want {
			t.Fatalf("fresh[%d] = %s, want %s (input order)", i, ev.Metadata.UID, want)
		}
		got, err := s.Get(ctx, "src", ev.Metadata.UID)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got.Raw, ev.Raw) || got.Time != ev.Time {
			t.Fatalf("%s read back as time %d raw %s, want %d %s", ev.Metadata.UID, got.Time, got.Raw, ev.Time, ev.Raw)
		}
	}
	if again, err := s.AppendNew(ctx, "src", in, nil); err != nil || len(again) != 0 {
		t.Fatalf("AppendNew again = %d new, %v; want 0", len(again), err)
	}
}
