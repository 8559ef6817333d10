package output

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"slices"
	"sync"
	"time"

	"github.com/vigil-sec/vigil/internal/alert"
)

// QueueOptions tune a Queue. A zero field takes its default.
type QueueOptions struct {
	// Prefix is where the queue keeps its state keys; default "output/<sender name>/".
	Prefix string
	// Filter chooses the alerts this output receives and shifts their times.
	Filter Common
	// BatchSize is the most alerts handed to one Deliver call (default 500).
	BatchSize int
	// MinBackoff and MaxBackoff bound the wait after a failed delivery, doubling from
	// one to the other (defaults 1s and 5m).
	MinBackoff, MaxBackoff time.Duration
	// MaxAttempts is how many permanent failures move an alert to the dead-letter list
	// (default 5). Retryable failures (the receiver down) never do.
	MaxAttempts int
	// DedupeWindow is how long an alert id and version is remembered after delivery, so
	// a repeat is not sent again (default 7 days).
	DedupeWindow time.Duration
	Logger       *slog.Logger
	// Now is the clock (tests); default time.Now.
	Now func() time.Time
}

// Stats is a queue's state for health and metrics.
type Stats struct {
	Name         string        `json:"name"`
	Depth        int           `json:"depth"`      // alerts waiting
	OldestAge    time.Duration `json:"oldest_age"` // how long the oldest waiting alert has waited (delivery lag)
	Delivered    int64         `json:"delivered"`  // since start
	DeadLettered int64         `json:"dead_lettered"`
	Failures     int64         `json:"failures"` // failed Deliver calls since start
	LastError    string        `json:"last_error,omitempty"`
}

// Entry is one queued or dead-lettered alert as stored.
type Entry struct {
	Seq       uint64      `json:"seq"`
	Version   string      `json:"version"`
	Enqueued  time.Time   `json:"enqueued"`
	Attempts  int         `json:"attempts,omitempty"` // permanent failures so far
	LastError string      `json:"last_error,omitempty"`
	Alert     alert.Alert `json:"alert"`
}

// Queue is one output's durable delivery queue. Send may be called from any goroutine,
// before or while Run runs; one Run per queue and store.
type Queue struct {
	kv     StateStore
	sender Sender
	opts   QueueOptions
	log    *slog.Logger
	wake   chan struct{}

	mu      sync.Mutex
	loaded  bool
	next    uint64
	pending []*Entry
	known   map[string]time.Time // id+version → enqueued or delivered
	stats   Stats
}

// NewQueue returns the queue of sender, kept in kv.
func NewQueue(kv StateStore, sender Sender, opts QueueOptions) *Queue {
	if opts.Prefix == "" {
		opts.Prefix = "output/" + sender.Name() + "/"
	}
	opts.BatchSize = cmp.Or(opts.BatchSize, 500)
	opts.MinBackoff = cmp.Or(opts.MinBackoff, time.Second)
	opts.MaxBackoff = max(cmp.Or(opts.MaxBackoff, 5*time.Minute), opts.MinBackoff)
	opts.MaxAttempts = cmp.Or(opts.MaxAttempts, 5)
	opts.DedupeWindow = cmp.Or(opts.DedupeWindow, 7*24*time.Hour)
	if opts.Now == nil {
		opts.Now = time.Now
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Queue{kv: kv, sender: sender, opts: opts, log: log.With("output", sender.Name()),
		wake: make(chan struct{}, 1), stats: Stats{Name: sender.Name()}}
}

// Name is the output's name.
func (q *Queue) Name() string { return q.sender.Name() }

func (q *Queue) queueKey(seq uint64) string { return q.opts.Prefix + "q/" + seqString(seq) }
func (q *Queue) deadKey(seq uint64) string  { return q.opts.Prefix + "dead/" + seqString(seq) }
func (q *Queue) seenKey(seq uint64) string  { return q.opts.Prefix + "seen/" + seqString(seq) }

// seqString is fixed-width, so key order is sequence order.
func seqString(seq uint64) string { return fmt.Sprintf("%020d", seq) }

// Send writes the alerts the filter lets through to the queue, in order, and returns
// once they are stored; an alert id and version already queued or delivered is skipped.
func (q *Queue) Send(ctx context.Context, alerts []alert.Alert) error {
	// The alerts are already in the alert store as sent: a stop now must not leave them
	// out of the queue, or this output would never see them.
	ctx = context.WithoutCancel(ctx)
	q.mu.Lock()
	defer q.mu.Unlock()
	if err := q.loadLocked(ctx); err != nil {
		return err
	}
	added := 0
	for _, a := range alerts {
		if !q.opts.Filter.Match(a) {
			continue
		}
		id := a.ID + "/" + Version(a)
		if _, ok := q.known[id]; ok {
			continue
		}
		e := &Entry{Seq: q.next, Version: Version(a), Enqueued: q.opts.Now().UTC(), Alert: a}
		if err := q.put(ctx, q.queueKey(e.Seq), e); err != nil {
			return err
		}
		q.next++
		q.known[id] = e.Enqueued
		q.pending = append(q.pending, e)
		added++
	}
	if added > 0 {
		select {
		case q.wake <- struct{}{}:
		default:
		}
	}
	return nil
}

func (q *Queue) put(ctx context.Context, key string, e *Entry) error {
	b, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("output %s: encode alert %s: %w", q.Name(), e.Alert.ID, err)
	}
	if err := q.kv.PutState(ctx, key, b); err != nil {
		return fmt.Errorf("output %s: store alert %s: %w", q.Name(), e.Alert.ID, err)
	}
	return nil
}

// loadLocked reads the queue back from the store once: the waiting entries in order,
// the next sequence number and the ids already delivered.
func (q *Queue) loadLocked(ctx context.Context) error {
	if q.loaded {
		return nil
	}
	q.known = map[string]time.Time{}
	for _, part := range []string{"q/", "dead/"} {
		m, err := q.kv.ListState(ctx, q.opts.Prefix+part)
		if err != nil {
			return fmt.Errorf("output %s: load queue: %w", q.Name(), err)
		}
		for k, v := range m {
			var e Entry
			if err := json.Unmarshal(v, &e); err != nil {
				// A damaged entry cannot be delivered; keep it out of the way.
				q.log.Error("unreadable queue entry skipped", "key", k, "error", err.Error())
				continue
			}
			q.next = max(q.next, e.Seq+1)
			q.known[e.Alert.ID+"/"+e.Version] = e.Enqueued
			if part == "q/" {
				q.pending = append(q.pending, &e)
			}
		}
	}
	slices.SortFunc(q.pending, func(a, b *Entry) int { return cmp.Compare(a.Seq, b.Seq) })
	seen, err := q.kv.ListState(ctx, q.opts.Prefix+"seen/")
	if err != nil {
		return fmt.Errorf("output %s: load delivered ids: %w", q.Name(), err)
	}
	for k, v := range seen {
		var d deliveredBatch
		if err := json.Unmarshal(v, &d); err != nil {
			q.log.Error("unreadable delivery record skipped", "key", k, "error", err.Error())
			continue
		}
		for _, id := range d.IDs {
			q.known[id] = d.At
		}
	}
	q.loaded = true
	return nil
}

// Stats returns the queue's depth, delivery lag and counters.
func (q *Queue) Stats() Stats {
	q.mu.Lock()
	defer q.mu.Unlock()
	s := q.stats
	s.Depth = len(q.pending)
	if len(q.pending) > 0 {
		s.OldestAge = max(q.opts.Now().Sub(q.pending[0].Enqueued), 0)
	}
	return s
}

// Run delivers the queue until ctx ends, oldest first, and returns nil then; it returns
// an error only when the store fails.
func (q *Queue) Run(ctx context.Context) error {
	q.mu.Lock()
	err := q.loadLocked(ctx)
	q.mu.Unlock()
	if err != nil {
		return err
	}
	if err := q.prune(ctx); err != nil {
		return err
	}
	pruned := q.opts.Now()
	backoff := q.opts.MinBackoff
	// singles is how many alerts to send one by one: after a permanent failure of a batch,
	// that batch's alerts, so the poison one is found without resending the rest as batches.
	singles := 0
	for {
		if q.opts.Now().Sub(pruned) > time.Hour {
			if err := q.prune(ctx); err != nil {
				return err
			}
			pruned = q.opts.Now()
		}
		batch := q.head(singles > 0)
		if len(batch) == 0 {
			select {
			case <-ctx.Done():
				return nil
			case <-q.wake:
				continue
			}
		}
		err := q.deliver(ctx, batch)
		if err == nil {
			// Accepted: record it even when ctx ended meanwhile, or the next start resends.
			if err := q.done(context.WithoutCancel(ctx), batch); err != nil {
				return err
			}
			backoff = q.opts.MinBackoff
			singles = max(singles-len(batch), 0)
			continue
		}
		if ctx.Err() != nil {
			return nil
		}
		q.failed(err)
		if IsPermanent(err) && len(batch) > 1 {
			singles = len(batch)
			continue
		}
		if IsPermanent(err) {
			dead, err2 := q.reject(context.WithoutCancel(ctx), batch[0], err)
			if err2 != nil {
				return err2
			}
			if dead {
				singles = max(singles-1, 0)
				continue
			}
		}
		q.log.Warn("delivery failed", "alerts", len(batch), "retry_in", backoff.String(), "error", err.Error())
		wait := backoff/2 + rand.N(backoff/2+1) // jittered, so outputs that failed together do not retry together
		backoff = min(backoff*2, q.opts.MaxBackoff)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-t.C:
		}
	}
}

func (q *Queue) head(single bool) []*Entry {
	q.mu.Lock()
	defer q.mu.Unlock()
	n := min(len(q.pending), q.opts.BatchSize)
	if single {
		n = min(n, 1)
	}
	return slices.Clone(q.pending[:n])
}

func (q *Queue) deliver(ctx context.Context, batch []*Entry) error {
	alerts := make([]alert.Alert, len(batch))
	for i, e := range batch {
		alerts[i] = Shift(e.Alert, q.opts.Filter.TimeOffset.D())
	}
	if err := q.sender.Deliver(ctx, alerts); err != nil {
		return fmt.Errorf("output %s: deliver %d alerts: %w", q.Name(), len(batch), err)
	}
	return nil
}

// done records the delivery (the ids first, then the entries go: a crash between the two
// leaves entries known as delivered, which the next start skips) and pops the batch.
func (q *Queue) done(ctx context.Context, batch []*Entry) error {
	now := q.opts.Now().UTC()
	rec := deliveredBatch{At: now, IDs: make([]string, len(batch))}
	for i, e := range batch {
		rec.IDs[i] = e.Alert.ID + "/" + e.Version
	}
	b, err := json.Marshal(rec)
	if err != nil {
		return fmt.Errorf("output %s: encode delivery record: %w", q.Name(), err)
	}
	if err := q.kv.PutState(ctx, q.seenKey(batch[0].Seq), b); err != nil {
		return fmt.Errorf("output %s: record delivery of %d alerts: %w", q.Name(), len(batch), err)
	}
	for _, e := range batch {
		if err := q.kv.DeleteState(ctx, q.queueKey(e.Seq)); err != nil {
			return fmt.Errorf("output %s: delete delivered %s: %w", q.Name(), e.Alert.ID, err)
		}
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	for _, id := range rec.IDs {
		q.known[id] = now
	}
	q.pending = q.pending[len(batch):]
	q.stats.Delivered += int64(len(batch))
	q.stats.LastError = ""
	return nil
}

func (q *Queue) failed(err error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.stats.Failures++
	q.stats.LastError = err.Error()
}

// reject counts a permanent failure of the head entry; at MaxAttempts the entry moves to
// the dead-letter list with its error and dead is true.
func (q *Queue) reject(ctx context.Context, e *Entry, cause error) (dead bool, err error) {
	e.Attempts++
	e.LastError = cause.Error()
	if e.Attempts < q.opts.MaxAttempts {
		return false, q.put(ctx, q.queueKey(e.Seq), e)
	}
	if err := q.put(ctx, q.deadKey(e.Seq), e); err != nil {
		return false, err
	}
	if err := q.kv.DeleteState(ctx, q.queueKey(e.Seq)); err != nil {
		return false, fmt.Errorf("output %s: delete dead-lettered %s: %w", q.Name(), e.Alert.ID, err)
	}
	q.log.Error("alert moved to the dead-letter list", "alert", e.Alert.ID, "attempts", e.Attempts, "error", e.LastError)
	q.mu.Lock()
	defer q.mu.Unlock()
	q.pending = q.pending[1:]
	q.stats.DeadLettered++
	return true, nil
}
