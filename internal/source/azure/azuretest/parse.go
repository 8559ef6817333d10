package azuretest

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"

	"github.com/vigil-sec/vigil/internal/event"
	"github.com/vigil-sec/vigil/internal/normalize"
	"github.com/vigil-sec/vigil/internal/normalize/formats"
)

// ExpectParsed runs every stored record through the normalizers the pipeline uses and
// fails t unless each becomes one parsed event whose metadata.uid is the record's id —
// what the store deduplicates on. It returns the events' categories by stream.
func (s *Store) ExpectParsed(t testing.TB) map[string]map[event.Category]int {
	t.Helper()
	n := normalize.New(formats.All()...)
	out := map[string]map[event.Category]int{}
	for _, b := range s.Batches() {
		for _, rec := range b.Records {
			var m map[string]any
			_ = json.Unmarshal(rec, &m)
			id, _ := m[s.IDField].(string)
			var evs []*event.Event
			if _, err := n.Stream(context.Background(), bytes.NewReader(rec), b.Stream, func(ev *event.Event) error {
				evs = append(evs, ev)
				return nil
			}); err != nil {
				t.Fatalf("normalize a %s record: %v", b.Stream, err)
			}
			if len(evs) != 1 || evs[0].Vigil.Category == event.CategoryUnparsed || evs[0].Metadata.UID != id {
				t.Fatalf("a %s record did not become one parsed event with uid %s: %d events, first %+v", b.Stream, id, len(evs), evs[0].Vigil)
			}
			if out[b.Stream] == nil {
				out[b.Stream] = map[event.Category]int{}
			}
			out[b.Stream][evs[0].Vigil.Category]++
		}
	}
	return out
}
