package pipeline

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/vigil-sec/vigil/internal/alert"
	"github.com/vigil-sec/vigil/internal/event"
)

// detectStage owns the detectors: one goroutine, so they need no locks.
type detectStage struct {
	p *Pipeline
	// done is the event time up to which (exclusive) the ordered detections have seen
	// every stored event; it only moves forward.
	done time.Time
	// last is the newest event time the ordered detections saw (windows close past it).
	last    time.Time
	sources map[string]*watermark
	pending []alert.Alert
	stories *storyFolder // nil when alerts are not folded
	saved   time.Time    // when the baselines were last saved (wall clock)
}

// watermark is one source's progress: every record it will deliver is newer than at, less
// the allowed lateness.
type watermark struct {
	at       time.Time
	polled   time.Time // pipeline clock at its last completed poll
	finished bool
}

func newDetectStage(p *Pipeline) *detectStage {
	d := &detectStage{p: p, sources: map[string]*watermark{}, saved: time.Now()}
	if p.cfg.FoldWindow > 0 {
		d.stories = newStoryFolder(p.cfg.FoldWindow, p.opts.Store)
	}
	now := p.clock()
	for _, s := range p.opts.Sources {
		d.sources[s.Name()] = &watermark{polled: now}
	}
	return d
}

// restore loads the baselines and the ordered position, then replays the stored events the
// ordered detections must see again: from ReplayWindow before the position (correlation
// windows refill; the baseline skips what it already learned), to the position.
func (d *detectStage) restore(ctx context.Context) error {
	p := d.p
	if p.opts.Baseline != nil {
		ok, err := p.opts.Baseline.Load(ctx, p.opts.Store, baselineKey)
		if err != nil {
			p.log.Warn("baselines not restored; rebuilding them from the stored events", "error", err.Error())
			ok = false
		}
		if !ok {
			// Without its baselines the position means nothing: replay all.
			if err := p.opts.Store.DeleteState(ctx, positionKey); err != nil {
				return err
			}
		}
	}
	b, ok, err := p.opts.Store.GetState(ctx, positionKey)
	if err != nil {
		return fmt.Errorf("pipeline: restore: %w", err)
	}
	// The arrival detections see again what was stored after the last snapshot (a stop
	// between storing a batch and detecting it must not lose its alerts; repeats have
	// known ids and are not raised again).
	arrivalDone, err := d.replayArrival(ctx, ok)
	if err != nil {
		return err
	}
	if !ok {
		return d.flush(ctx)
	}
	ms, err := strconv.ParseInt(string(b), 10, 64)
	if err != nil {
		return fmt.Errorf("pipeline: restore: bad position %q", b)
	}
	pos := time.UnixMilli(ms).UTC()
	from := pos.Add(-p.cfg.ReplayWindow)
	d.done = from
	if err := d.readOrdered(ctx, pos, !arrivalDone); err != nil {
		return err
	}
	p.log.Info("restored detection state", "position", pos, "replayed_from", from)
	return d.flush(ctx)
}

// run detects each stored batch, moving the watermark, until the queue closes: every
// source returned, because they all finished (files: read to the end and close every
// window) or because stop ended (detect what was stored, save the baselines). The stored
// batches are detected even after stop: they are durable already, and a shutdown must not
// lose their alerts, so the work itself runs on a context stop does not cancel.
func (d *detectStage) run(stop context.Context, queue <-chan storedBatch) error {
	ctx := context.WithoutCancel(stop)
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		select {
		case sb, ok := <-queue:
			if !ok {
				if stop.Err() != nil && !d.p.cfg.DrainOnStop {
					return d.stop(ctx)
				}
				return d.finish(ctx)
			}
			if err := d.batch(ctx, sb); err != nil {
				return err
			}
			d.p.marks.end(sb.mark) // detected on arrival, its alerts stored
		case <-tick.C:
			if err := d.advance(ctx); err != nil {
				return err
			}
			if time.Since(d.saved) >= d.p.cfg.SnapshotInterval {
				if err := d.save(ctx); err != nil {
					d.p.log.Error("detection state not saved", "error", err.Error())
				}
			}
			d.p.health.checkSilence(d.p.clock(), d.addAlert)
			if err := d.flush(ctx); err != nil {
				return err
			}
		}
	}
}

func (d *detectStage) batch(ctx context.Context, sb storedBatch) error {
	p := d.p
	w := d.sources[sb.source]
	switch {
	case sb.finished:
		w.finished = true
	case sb.endOfPoll:
		if sb.watermark.After(w.at) {
			w.at = sb.watermark
		}
		w.polled = p.clock()
	}
	for _, ev := range sb.events {
		if ev.IsUnparsed() {
			continue
		}
		if p.opts.Arrival != nil {
			if err := p.opts.Arrival.Observe(ctx, ev, d.addAlert); err != nil {
				return fmt.Errorf("pipeline: detect on arrival: %w", err)
			}
		}
		if ev.Time < d.done.UnixMilli() {
			// Later than the allowed lateness: its place in event-time order has passed.
			// Detect it now rather than never, and count it.
			p.health.recordLate(sb.source)
			if err := d.observeOrdered(ctx, ev); err != nil {
				return err
			}
		}
	}
	if err := d.advance(ctx); err != nil {
		return err
	}
	return d.flush(ctx)
}

// target is the global watermark less the allowed lateness: the earliest source's, over
// the sources still live (finished and idle ones do not hold it back). ok is false while
// some live source has not completed a first poll.
func (d *detectStage) target() (time.Time, bool) {
	now := d.p.clock()
	var min time.Time
	live := 0
	for _, w := range d.sources {
		if w.finished || now.Sub(w.polled) > d.p.cfg.IdleTimeout {
			continue
		}
		if w.at.IsZero() {
			return time.Time{}, false
		}
		if live == 0 || w.at.Before(min) {
			min = w.at
		}
		live++
	}
	if live == 0 {
		return time.Time{}, false
	}
	return min.Add(-d.p.cfg.AllowedLateness), true
}

// advance runs the ordered detections up to the watermark and closes their windows there.
func (d *detectStage) advance(ctx context.Context) error {
	t, ok := d.target()
	if !ok || !t.After(d.done) {
		return nil
	}
	if err := d.readOrdered(ctx, t, false); err != nil {
		return err
	}
	if d.p.ordered != nil {
		if err := d.p.ordered.Advance(ctx, t, d.addAlert); err != nil {
			return fmt.Errorf("pipeline: advance ordered detections: %w", err)
		}
	}
	d.p.health.setWatermark(t)
	return nil
}

// finish runs when every source has returned: read to the end and close every window.
func (d *detectStage) finish(ctx context.Context) error {
	end := time.Now().Add(100 * 365 * 24 * time.Hour)
	if err := d.readOrdered(ctx, end, false); err != nil {
		return err
	}
	if d.p.ordered != nil && !d.last.IsZero() {
		if err := d.p.ordered.Advance(ctx, d.last.Add(d.p.cfg.EndWindow), d.addAlert); err != nil {
			return fmt.Errorf("pipeline: close windows: %w", err)
		}
	}
	err := d.save(ctx)
	if err == nil {
		d.p.health.setFinished()
	}
	return err
}

// stop stores the alerts raised and saves the baselines with their position.
func (d *detectStage) stop(ctx context.Context) error { return d.save(ctx) }

func (d *detectStage) observeOrdered(ctx context.Context, ev *event.Event) error {
	if d.p.ordered == nil {
		return nil
	}
	if t := ev.Timestamp(); t.After(d.last) {
		d.last = t
	}
	if err := d.p.ordered.Observe(ctx, ev, d.addAlert); err != nil {
		return fmt.Errorf("pipeline: ordered detection: %w", err)
	}
	return nil
}

func (d *detectStage) addAlert(a alert.Alert) { d.pending = append(d.pending, a) }

// flush stores the alerts raised so far and hands the new ones on.
func (d *detectStage) flush(ctx context.Context) error {
	if len(d.pending) == 0 {
		return nil
	}
	p := d.p
	// Alerts of one flush may repeat an id (a rule raising on a replayed event): keep one.
	seen := make(map[string]bool, len(d.pending))
	batch := d.pending[:0]
	for _, a := range d.pending {
		if !seen[a.ID] {
			seen[a.ID] = true
			batch = append(batch, a)
		}
	}
	d.pending = nil
	var isNew map[string]bool // nil: every alert may be new (not folding)
	if d.stories != nil {
		var err error
		if batch, isNew, err = d.fold(ctx, batch); err != nil {
			return err
		}
	}
	d.annotate(ctx, batch, isNew)
	fresh, err := p.putNew(context.WithoutCancel(ctx), batch)
	if err != nil {
		return err
	}
	if p.opts.Incidents != nil && len(batch) > 0 {
		if err := p.opts.Incidents.Observe(context.WithoutCancel(ctx), batch); err != nil {
			p.log.Error("incident grouping failed", "alerts", len(batch), "error", err.Error())
		}
	}
	for _, a := range fresh {
		p.health.recordAlert(a)
		if p.opts.OnAlert != nil {
			p.opts.OnAlert(a)
		}
	}
	for _, out := range p.opts.Outputs {
		if len(fresh) == 0 {
			break
		}
		if err := out.Send(ctx, fresh); err != nil {
			p.log.Error("output failed", "output", out.Name(), "alerts", len(fresh), "error", err.Error())
		}
	}
	return nil
}

// fold turns alerts into the stories they belong to (a story once, as it stands after
// the last of them), leaving out repeats that change nothing.
func (d *detectStage) fold(ctx context.Context, batch []alert.Alert) ([]alert.Alert, map[string]bool, error) {
	var out []alert.Alert
	at := map[string]int{}
	isNew := map[string]bool{}
	for _, a := range batch {
		s, fresh, changed, err := d.stories.add(ctx, a)
		if err != nil {
			return nil, nil, err
		}
		if fresh {
			isNew[s.ID] = true
		}
		if !changed {
			continue
		}
		if i, ok := at[s.ID]; ok {
			out[i] = s
			continue
		}
		at[s.ID] = len(out)
		out = append(out, s)
	}
	if w := d.p.health.Watermark(); !w.IsZero() {
		d.stories.forget(w.Add(-d.p.cfg.FoldWindow))
	}
	return out, isNew, nil
}

// annotate hands the new alerts of a batch (all of them when isNew is nil) to
// Options.Annotate, in place. An open story keeps what was attached, so it is stored
// again with it when it grows.
func (d *detectStage) annotate(ctx context.Context, batch []alert.Alert, isNew map[string]bool) {
	if d.p.opts.Annotate == nil {
		return
	}
	var idx []int
	var some []alert.Alert
	for i, a := range batch {
		if isNew == nil || isNew[a.ID] {
			idx = append(idx, i)
			some = append(some, a)
		}
	}
	if len(some) == 0 {
		return
	}
	done := d.p.opts.Annotate(context.WithoutCancel(ctx), some)
	for j, i := range idx {
		if j >= len(done) || done[j].ID != batch[i].ID {
			break // Annotate must keep order and ids; what it changed otherwise is dropped
		}
		batch[i] = done[j]
		if d.stories != nil {
			if s := d.stories.open[done[j].ID]; s != nil {
				s.Details = done[j].Details
			}
		}
	}
}

// save stores the alerts raised so far, then writes the baselines, the position they
// cover and the arrival mark, in that order: a crash between two steps leaves an older
// position or mark, which only replays more, and never a snapshot ahead of its alerts.
func (d *detectStage) save(ctx context.Context) error {
	p := d.p
	d.saved = time.Now()
	if err := d.flush(ctx); err != nil {
		return err
	}
	if p.opts.Baseline != nil {
		if err := p.opts.Baseline.Save(ctx, p.opts.Store, baselineKey); err != nil {
			return fmt.Errorf("pipeline: save baselines: %w", err)
		}
	}
	if !d.done.IsZero() {
		if err := p.opts.Store.PutState(ctx, positionKey, []byte(strconv.FormatInt(d.done.UnixMilli(), 10))); err != nil {
			return fmt.Errorf("pipeline: save position: %w", err)
		}
	}
	return p.marks.save(ctx, p.opts.Store)
}
