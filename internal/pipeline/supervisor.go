package pipeline

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/vigil-sec/vigil/internal/event"
	"github.com/vigil-sec/vigil/internal/source"
)

// supervisor runs one source: from its stored checkpoint, again after each failure with a
// backoff, until ctx ends or the source finishes.
type supervisor struct {
	p          *Pipeline
	src        source.Source
	queue      chan<- storedBatch
	detectDone <-chan struct{}
	progressed bool // a batch was stored since the last start
}

func (s *supervisor) run(ctx context.Context) error {
	name := s.src.Name()
	h := s.p.health.source(name)
	attempt := 0
	for {
		cp, err := s.p.opts.Store.Checkpoint(ctx, name)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("pipeline: %s: read checkpoint: %w", name, err)
		}
		s.progressed = false
		h.setState("running")
		err = s.src.Run(ctx, cp, s.emit)
		switch {
		case err == nil:
			h.setState("finished")
			return s.send(storedBatch{source: name, finished: true})
		case ctx.Err() != nil:
			h.setState("stopped")
			return nil
		case errors.Is(err, errDetectStopped):
			return nil
		}
		if s.progressed {
			attempt = 0
		}
		var ra *source.RetryAfter
		if !errors.As(err, &ra) {
			// The provider said when to come back: that is no reason to wait longer
			// after the next transient failure.
			attempt++
		}
		wait := s.backoff(err, max(attempt, 1))
		h.recordError(err, s.p.clock())
		h.setState("backoff")
		s.p.log.Warn("source failed; restarting", "source", name, "error", err.Error(), "retry_in", wait.String())
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			h.setState("stopped")
			return nil
		case <-t.C:
		}
	}
}

// backoff is the wait before the next start: what a RetryAfter asks (with a little
// jitter so sources throttled together do not return together), else exponential with
// full jitter; a permanent error waits the longest.
func (s *supervisor) backoff(err error, attempt int) time.Duration {
	cfg := s.p.cfg
	var ra *source.RetryAfter
	if errors.As(err, &ra) && ra.Wait > 0 {
		return ra.Wait + time.Duration(rand.Int64N(int64(ra.Wait/10)+1))
	}
	if errors.Is(err, source.ErrPermanent) {
		return cfg.MaxBackoff
	}
	d := cfg.MinBackoff << min(attempt-1, 20)
	if d <= 0 || d > cfg.MaxBackoff {
		d = cfg.MaxBackoff
	}
	return d/2 + time.Duration(rand.Int64N(int64(d/2)+1))
}

var errDetectStopped = errors.New("pipeline: detection stopped")

// emit normalizes a batch, stores its events with the checkpoint, and queues the new
// events for detection. A batch whose store began completes even when ctx ends, so a
// shutdown never leaves half a batch.
func (s *supervisor) emit(ctx context.Context, b source.Batch) error {
	name := s.src.Name()
	p := s.p
	avail := b.Available
	if avail.IsZero() {
		avail = p.clock()
	}
	events := make([]*event.Event, 0, len(b.Records)+len(b.Events))
	events = append(events, b.Events...)
	normalized, err := s.normalize(ctx, b.Records)
	if err != nil {
		return err
	}
	events = append(events, normalized...)
	for _, ev := range events {
		ev.Vigil.Collector = name
		ev.Vigil.AvailableTime = avail.UnixMilli()
		if p.opts.Enrich != nil && !ev.IsUnparsed() {
			p.opts.Enrich(ev)
		}
	}
	stored := p.clock()
	for _, ev := range events {
		ev.Vigil.StoredTime = stored.UnixMilli()
	}
	mark, err := p.marks.begin(context.WithoutCancel(ctx))
	if err != nil {
		return fmt.Errorf("pipeline: %s: store: %w", name, err)
	}
	start := time.Now()
	fresh, err := p.opts.Store.AppendNew(context.WithoutCancel(ctx), name, events, b.Checkpoint)
	if err != nil {
		p.marks.end(mark)
		return fmt.Errorf("pipeline: %s: store: %w", name, err)
	}
	s.progressed = true
	p.health.source(name).recordBatch(b, events, len(fresh), stored, time.Since(start))
	if len(fresh) == 0 && !b.EndOfPoll {
		p.marks.end(mark)
		return nil
	}
	wm := b.Watermark
	if wm.IsZero() {
		wm = avail
	}
	// A batch detection never takes stays marked: it is replayed at the next start.
	return s.send(storedBatch{source: name, events: fresh, endOfPoll: b.EndOfPoll, watermark: wm, mark: mark})
}

// normalizeShare is the least a goroutine normalizes of a batch (bytes of records): less
// is not worth the hand-off.
const normalizeShare = 64 << 10

// normalize turns a batch's records into events, in record order. A large batch of many
// records (an Event Hubs fetch) is split over the cores.
func (s *supervisor) normalize(ctx context.Context, recs [][]byte) ([]*event.Event, error) {
	size := 0
	for _, r := range recs {
		size += len(r)
	}
	parts := min(runtime.GOMAXPROCS(0), len(recs), size/normalizeShare)
	if parts < 2 {
		return s.normalizeRange(ctx, recs)
	}
	out := make([][]*event.Event, parts)
	var g errgroup.Group
	for i := range parts {
		g.Go(func() error {
			var err error
			out[i], err = s.normalizeRange(ctx, recs[i*len(recs)/parts:(i+1)*len(recs)/parts])
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return slices.Concat(out...), nil
}

func (s *supervisor) normalizeRange(ctx context.Context, recs [][]byte) ([]*event.Event, error) {
	var events []*event.Event
	for _, rec := range recs {
		_, err := s.p.opts.Normalizer.Record(ctx, rec, func(ev *event.Event) error {
			events = append(events, ev)
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("pipeline: %s: normalize: %w", s.src.Name(), err)
		}
	}
	return events, nil
}

// send queues a stored batch for detection. It waits while the queue is full (the
// back-pressure) but not past detection's end.
func (s *supervisor) send(sb storedBatch) error {
	select {
	case s.queue <- sb:
		return nil
	case <-s.detectDone:
		return errDetectStopped
	}
}
