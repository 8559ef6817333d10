package store

import (
	"context"

	"github.com/vigil-sec/vigil/internal/event"
)

// Sequenced is a store that numbers events in the order it stored them, so a reader can
// take up, after a crash, exactly where it had read to in storing order — whatever the
// events' own times (a backfill stores days-old events after recent ones).
type Sequenced interface {
	// LastSeq is the number of the last event stored, 0 for none. Every event stored after
	// the call gets a larger number.
	LastSeq(ctx context.Context) (int64, error)
	// StoredAfter returns up to limit events numbered above seq, in storing order, and the
	// number of the last one returned (seq when none).
	StoredAfter(ctx context.Context, seq int64, limit int) ([]*event.Event, int64, error)
}
