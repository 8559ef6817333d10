package azure

import (
	"container/heap"
	"encoding/json"
	"fmt"
	"slices"
	"time"
)

// checkpointIDs is how many of a stream's newest record ids a checkpoint carries, so a
// restart does not emit again the records of the overlap it already stored; beyond that
// the store's idempotent insert by metadata.uid absorbs the repeats.
const checkpointIDs = 500

// maxSeen bounds the ids a stream remembers for deduplication within the overlap.
const maxSeen = 50_000

// checkpoint is the stored position of a poller: every stream's cursor and newest ids.
type checkpoint struct {
	Version int                         `json:"version"`
	Streams map[string]streamCheckpoint `json:"streams"`
}

type streamCheckpoint struct {
	Cursor time.Time `json:"cursor"`
	Recent []string  `json:"recent,omitempty"`
}

// streamState is one stream's position: the durable cursor, a cursor waiting for the
// next successful emit, and the ids seen within the overlap.
type streamState struct {
	cursor time.Time
	next   time.Time
	seen   map[string]time.Time
	// overlap is the stream's effective overlap, set when it is polled.
	overlap time.Duration
	// recent caches newest(seen) for checkpoints; nil when seen changed since.
	recent []string
}

// remember adds ids the store now holds.
func (st *streamState) remember(ids map[string]time.Time) {
	for id, t := range ids {
		st.seen[id] = t
	}
	if len(ids) > 0 {
		st.recent = nil
	}
}

// newestIDs is the cached newest ids of seen.
func (st *streamState) newestIDs() []string {
	if st.recent == nil {
		st.recent = newest(st.seen, nil, checkpointIDs)
	}
	return st.recent
}

func decodeCheckpoint(b []byte) (map[string]*streamState, error) {
	out := map[string]*streamState{}
	if len(b) == 0 {
		return out, nil
	}
	var cp checkpoint
	if err := json.Unmarshal(b, &cp); err != nil {
		return nil, fmt.Errorf("decode checkpoint: %w", err)
	}
	if cp.Version != 1 {
		return nil, fmt.Errorf("decode checkpoint: version %d unknown", cp.Version)
	}
	for name, s := range cp.Streams {
		st := &streamState{cursor: s.Cursor, seen: make(map[string]time.Time, len(s.Recent))}
		for _, id := range s.Recent {
			// The id's own time is not kept; the cursor is a safe stand-in for pruning,
			// since every recent id is at most the overlap older than it.
			st.seen[id] = s.Cursor
		}
		out[name] = st
	}
	return out, nil
}

// encodeCheckpoint writes every stream's effective cursor (the pending one if any) and
// its newest ids, plus extra ids of the page about to be emitted on stream extraOf.
func encodeCheckpoint(states map[string]*streamState, extraOf string, extra map[string]time.Time) ([]byte, error) {
	cp := checkpoint{Version: 1, Streams: make(map[string]streamCheckpoint, len(states))}
	for name, st := range states {
		cur := st.cursor
		if !st.next.IsZero() {
			cur = st.next
		}
		recent := st.newestIDs()
		if name == extraOf && len(extra) > 0 {
			recent = newest(st.seen, extra, checkpointIDs)
		}
		cp.Streams[name] = streamCheckpoint{Cursor: cur.UTC(), Recent: recent}
	}
	return json.Marshal(cp)
}

// newest returns up to n ids of a ∪ b, newest first. It keeps the n newest in a bounded
// min-heap rather than sorting everything: a big tenant's stream remembers 50,000 ids and
// a checkpoint is written with every page.
func newest(a, b map[string]time.Time, n int) []string {
	if n <= 0 {
		return nil
	}
	h := make(idHeap, 0, min(n, len(a)+len(b)))
	offer := func(id string, t time.Time) {
		x := idAt{id, t}
		if len(h) < n {
			heap.Push(&h, x)
		} else if h[0].older(x) {
			h[0] = x
			heap.Fix(&h, 0)
		}
	}
	for id, t := range a {
		offer(id, t)
	}
	for id, t := range b {
		if _, dup := a[id]; !dup {
			offer(id, t)
		}
	}
	slices.SortFunc(h, func(x, y idAt) int {
		if x.older(y) {
			return 1
		}
		if y.older(x) {
			return -1
		}
		return 0
	})
	out := make([]string, len(h))
	for i, x := range h {
		out[i] = x.id
	}
	return out
}

type idAt struct {
	id string
	t  time.Time
}

// older orders by time, then id, so the choice among equal times is stable.
func (x idAt) older(y idAt) bool {
	if !x.t.Equal(y.t) {
		return x.t.Before(y.t)
	}
	return x.id < y.id
}

// idHeap is a min-heap by age: the oldest of the kept ids on top.
type idHeap []idAt

func (h idHeap) Len() int           { return len(h) }
func (h idHeap) Less(i, j int) bool { return h[i].older(h[j]) }
func (h idHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *idHeap) Push(x any)        { *h = append(*h, x.(idAt)) }
func (h *idHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// prune forgets ids older than from, and the oldest beyond maxSeen.
func (st *streamState) prune(from time.Time) {
	for id, t := range st.seen {
		if t.Before(from) {
			delete(st.seen, id)
			st.recent = nil
		}
	}
	if len(st.seen) <= maxSeen {
		return
	}
	keep := newest(st.seen, nil, maxSeen*3/4)
	kept := make(map[string]time.Time, len(keep))
	for _, id := range keep {
		kept[id] = st.seen[id]
	}
	st.seen, st.recent = kept, nil
}
