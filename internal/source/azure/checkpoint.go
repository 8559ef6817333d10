package azure

import (
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
		var add map[string]time.Time
		if name == extraOf {
			add = extra
		}
		cp.Streams[name] = streamCheckpoint{Cursor: cur.UTC(), Recent: newest(st.seen, add, checkpointIDs)}
	}
	return json.Marshal(cp)
}

// newest returns up to n ids of a ∪ b, newest first.
func newest(a, b map[string]time.Time, n int) []string {
	type idAt struct {
		id string
		t  time.Time
	}
	all := make([]idAt, 0, len(a)+len(b))
	for id, t := range a {
		all = append(all, idAt{id, t})
	}
	for id, t := range b {
		if _, dup := a[id]; !dup {
			all = append(all, idAt{id, t})
		}
	}
	slices.SortFunc(all, func(x, y idAt) int {
		if c := y.t.Compare(x.t); c != 0 {
			return c
		}
		return compareStrings(x.id, y.id)
	})
	if len(all) > n {
		all = all[:n]
	}
	out := make([]string, len(all))
	for i, x := range all {
		out[i] = x.id
	}
	return out
}

func compareStrings(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// prune forgets ids older than from, and the oldest beyond maxSeen.
func (st *streamState) prune(from time.Time) {
	for id, t := range st.seen {
		if t.Before(from) {
			delete(st.seen, id)
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
	st.seen = kept
}
