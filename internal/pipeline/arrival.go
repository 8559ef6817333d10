package pipeline

import (
	"context"
	"fmt"
	"strconv"
	"sync"

	"github.com/vigil-sec/vigil/internal/store"
)

// arrivalKey keeps the storing number (store.Sequenced) up to which every stored event has
// been seen by the arrival detections: a restart replays them over the events stored after
// it, whatever their event times. Replaying by event time alone misses a backfill's old
// events stored just before a crash (a listing collector reads one account's days, then the
// next account's from its first day).
const arrivalKey = "pipeline/arrival"

// arrivalMarks tracks the batches being stored or waiting for detection, each by the
// store's last number before its append, so the low mark (everything up to it detected on
// arrival) can be saved at any moment.
type arrivalMarks struct {
	st store.Sequenced // nil: the store does not number events; nothing is tracked

	mu      sync.Mutex
	next    uint64
	pending map[uint64]int64 // batch → LastSeq before its append
}

func newArrivalMarks(st store.Store) *arrivalMarks {
	m := &arrivalMarks{pending: map[uint64]int64{}}
	m.st, _ = st.(store.Sequenced)
	return m
}

// begin registers a batch about to be stored. Reading the last number and registering
// happen under one lock, so a low mark taken meanwhile cannot pass the batch's events.
func (m *arrivalMarks) begin(ctx context.Context) (uint64, error) {
	if m.st == nil {
		return 0, nil
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	seq, err := m.st.LastSeq(ctx)
	if err != nil {
		return 0, fmt.Errorf("pipeline: %w", err)
	}
	m.next++
	m.pending[m.next] = seq
	return m.next, nil
}

// end says the batch's events were seen by the arrival detections (or were not stored).
func (m *arrivalMarks) end(id uint64) {
	if id == 0 {
		return
	}
	m.mu.Lock()
	delete(m.pending, id)
	m.mu.Unlock()
}

// low is the number up to which every stored event has been detected on arrival: below
// the oldest pending batch, else the store's last.
func (m *arrivalMarks) low(ctx context.Context) (int64, bool, error) {
	if m.st == nil {
		return 0, false, nil
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.pending) > 0 {
		low := int64(-1)
		for _, seq := range m.pending {
			if low < 0 || seq < low {
				low = seq
			}
		}
		return low, true, nil
	}
	seq, err := m.st.LastSeq(ctx)
	if err != nil {
		return 0, false, fmt.Errorf("pipeline: %w", err)
	}
	return seq, true, nil
}

// save records the low mark.
func (m *arrivalMarks) save(ctx context.Context, kv store.StateStore) error {
	low, ok, err := m.low(ctx)
	if err != nil || !ok {
		return err
	}
	if err := kv.PutState(ctx, arrivalKey, []byte(strconv.FormatInt(low, 10))); err != nil {
		return fmt.Errorf("pipeline: save arrival mark: %w", err)
	}
	return nil
}

// replayArrival gives the arrival detections every event stored after the saved mark, in
// storing order. It reports false when the store does not number events or no mark was
// saved while a position was (a store from before the marks: the caller replays by
// event time instead).
func (d *detectStage) replayArrival(ctx context.Context, hadPosition bool) (bool, error) {
	p := d.p
	sq := p.marks.st
	if sq == nil || p.opts.Arrival == nil {
		return false, nil
	}
	b, ok, err := p.opts.Store.GetState(ctx, arrivalKey)
	if err != nil {
		return false, fmt.Errorf("pipeline: restore arrival mark: %w", err)
	}
	var after int64
	switch {
	case ok:
		if after, err = strconv.ParseInt(string(b), 10, 64); err != nil {
			return false, fmt.Errorf("pipeline: restore: bad arrival mark %q", b)
		}
	case hadPosition:
		return false, nil
	}
	replayed := 0
	for {
		evs, last, err := sq.StoredAfter(ctx, after, readPage)
		if err != nil {
			return false, fmt.Errorf("pipeline: replay arrival: %w", err)
		}
		if len(evs) == 0 {
			break
		}
		for _, ev := range evs {
			if ev.IsUnparsed() {
				continue
			}
			if err := p.opts.Arrival.Observe(ctx, ev, d.addAlert); err != nil {
				return false, fmt.Errorf("pipeline: replay arrival: %w", err)
			}
			replayed++
		}
		after = last
		if len(d.pending) > 0 {
			if err := d.flush(ctx); err != nil {
				return false, err
			}
		}
	}
	if replayed > 0 {
		p.log.Info("replayed the arrival detections over events stored after the last snapshot", "events", replayed)
	}
	return true, nil
}
