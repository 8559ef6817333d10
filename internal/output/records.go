package output

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"
)

// deliveredBatch is what a seen/ key holds: the ids and versions of one delivered batch
// (one key per batch, not per alert, halves the store writes of a delivery).
type deliveredBatch struct {
	At  time.Time `json:"at"`
	IDs []string  `json:"ids"` // id/version
}

// DeadLetters returns the dead-lettered entries, oldest first.
func (q *Queue) DeadLetters(ctx context.Context) ([]Entry, error) {
	m, err := q.kv.ListState(ctx, q.opts.Prefix+"dead/")
	if err != nil {
		return nil, fmt.Errorf("output %s: list dead letters: %w", q.Name(), err)
	}
	out := make([]Entry, 0, len(m))
	for _, v := range m {
		var e Entry
		if err := json.Unmarshal(v, &e); err == nil {
			out = append(out, e)
		}
	}
	slices.SortFunc(out, func(a, b Entry) int { return cmp.Compare(a.Seq, b.Seq) })
	return out, nil
}

// prune forgets delivery records older than the dedupe window.
func (q *Queue) prune(ctx context.Context) error {
	cutoff := q.opts.Now().Add(-q.opts.DedupeWindow)
	seen, err := q.kv.ListState(ctx, q.opts.Prefix+"seen/")
	if err != nil {
		return fmt.Errorf("output %s: list delivery records: %w", q.Name(), err)
	}
	for k, v := range seen {
		var d deliveredBatch
		if json.Unmarshal(v, &d) == nil && !d.At.Before(cutoff) {
			continue
		}
		if err := q.kv.DeleteState(ctx, k); err != nil {
			return fmt.Errorf("output %s: prune delivery records: %w", q.Name(), err)
		}
		q.mu.Lock()
		for _, id := range d.IDs {
			if t, ok := q.known[id]; ok && t.Equal(d.At) {
				delete(q.known, id)
			}
		}
		q.mu.Unlock()
	}
	return nil
}
