// Package pipeline wires Vigil's stages and owns their goroutines: a supervisor per source,
// the store step (events and checkpoint in one transaction), detection — single-event rules
// on arrival, order-dependent detections behind a watermark, reading the stored events back
// in event-time order — the alert store and the outputs. Each stage is an interface, so a
// durable log can later split them across processes without changing this shape.
package pipeline

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/vigil-sec/vigil/internal/alert"
	"github.com/vigil-sec/vigil/internal/detect"
	"github.com/vigil-sec/vigil/internal/detect/behavior"
	"github.com/vigil-sec/vigil/internal/event"
	"github.com/vigil-sec/vigil/internal/normalize"
	"github.com/vigil-sec/vigil/internal/source"
	"github.com/vigil-sec/vigil/internal/store"
)

// Config tunes the pipeline. DefaultConfig has the defaults; a zero field means zero.
type Config struct {
	// AllowedLateness is how long after a source's watermark its records may still arrive
	// and be detected in event-time order. The default covers CloudTrail's documented 5–15
	// minutes of delivery delay and Entra's non-interactive sign-ins arriving up to half
	// an hour late (the Graph collector's overlap).
	AllowedLateness time.Duration
	// IdleTimeout: a source that completed no poll for this long stops holding the
	// watermark back (its records then count as late when they come).
	IdleTimeout time.Duration
	// QueueBatches bounds the stored batches waiting for detection: a full queue makes
	// the sources wait (back-pressure), so memory does not follow the volume.
	QueueBatches int
	// SnapshotInterval is how often the behavioural baselines are saved to the store.
	SnapshotInterval time.Duration
	// ReplayWindow is how far before the saved position the ordered detections re-read
	// stored events on start, so correlation windows hold what they held before.
	ReplayWindow time.Duration
	// EndWindow is how far past the last event time windows are advanced when every
	// source has finished (files), so each pending window closes.
	EndWindow time.Duration
	// MinBackoff and MaxBackoff bound a failing source's restarts.
	MinBackoff, MaxBackoff time.Duration
	// FoldWindow folds the alerts of one detection on one entity within a window of
	// event time into one stored alert that grows (one page per story); 0 stores each.
	FoldWindow time.Duration
	// DrainOnStop makes a stop read every stored event and close every window, as if
	// the sources had finished (a demo with a duration; tests): what a later start would
	// have detected is detected now, out of the watermark's order for the newest events.
	DrainOnStop bool
}

// DefaultConfig is the daemon's default tuning.
func DefaultConfig() Config {
	return Config{
		AllowedLateness:  30 * time.Minute,
		IdleTimeout:      5 * time.Minute,
		QueueBatches:     64,
		SnapshotInterval: 15 * time.Minute,
		ReplayWindow:     24 * time.Hour,
		EndWindow:        30 * 24 * time.Hour,
		MinBackoff:       time.Second,
		MaxBackoff:       5 * time.Minute,
	}
}

// Output receives new alerts once they are stored.
type Output interface {
	Name() string
	Send(ctx context.Context, alerts []alert.Alert) error
}

// Options are the parts the pipeline runs.
type Options struct {
	Config     Config
	Store      store.Store
	Normalizer *normalize.Normalizer
	Sources    []source.Source
	// Arrival sees each newly stored event as it arrives (single-event rules).
	Arrival detect.Detector
	// Ordered sees every stored event in event-time order behind the watermark
	// (correlation rules). Baseline, the behavioural detector, runs after it in the same
	// order; it is restored on start, skips the events it already learned, and is saved
	// on a schedule and at the end.
	Ordered  detect.Detector
	Baseline *behavior.Detector
	// Enrich completes each event before it is stored (geo from a MaxMind database).
	Enrich  func(*event.Event)
	Outputs []Output
	// OnAlert is told of each alert with a new id, after it is stored.
	OnAlert func(alert.Alert)
	// Annotate, when set, is given the new alerts of each flush (new stories when folding)
	// before they are stored and sent, and returns them, same order and ids, with what it
	// attached (the triage summary as Details["triage"]). It must not fail: an alert it
	// cannot annotate goes on as it came.
	Annotate func(ctx context.Context, alerts []alert.Alert) []alert.Alert
	// Incidents, when set, is given every alert stored (new or grown), after it is stored;
	// its error is logged and does not stop the pipeline.
	Incidents interface {
		Observe(ctx context.Context, alerts []alert.Alert) error
	}
	// Clock is the providers' time (accelerated in the demo); default time.Now.
	Clock  func() time.Time
	Logger *slog.Logger
	// Metrics, when set, receives the Prometheus metrics.
	Metrics *Metrics
}

// State keys in the store.
const (
	baselineKey = "pipeline/baseline"
	positionKey = "pipeline/position"
)

// Pipeline runs the stages.
type Pipeline struct {
	opts   Options
	cfg    Config
	log    *slog.Logger
	clock  func() time.Time
	health *Health
	// ordered is Ordered then Baseline.
	ordered detect.Detector
	// marks follow the batches between their store and their arrival detection.
	marks *arrivalMarks
}

// New checks opts and returns a pipeline.
func New(opts Options) (*Pipeline, error) {
	if opts.Store == nil || opts.Normalizer == nil {
		return nil, errors.New("pipeline: a store and a normalizer are required")
	}
	if opts.Config.QueueBatches < 1 {
		return nil, fmt.Errorf("pipeline: queue_batches must be at least 1, got %d", opts.Config.QueueBatches)
	}
	seen := map[string]bool{}
	for _, s := range opts.Sources {
		if seen[s.Name()] {
			return nil, fmt.Errorf("pipeline: two sources are named %q", s.Name())
		}
		seen[s.Name()] = true
	}
	p := &Pipeline{opts: opts, cfg: opts.Config, log: opts.Logger, clock: opts.Clock, marks: newArrivalMarks(opts.Store)}
	if p.log == nil {
		p.log = slog.New(slog.DiscardHandler)
	}
	if p.clock == nil {
		p.clock = time.Now
	}
	p.health = newHealth(opts.Sources, opts.Metrics)
	var ordered detect.Fanout
	if opts.Ordered != nil {
		ordered = append(ordered, opts.Ordered)
	}
	if opts.Baseline != nil {
		ordered = append(ordered, newOnly{opts.Baseline})
	}
	if len(ordered) > 0 {
		p.ordered = ordered
	}
	return p, nil
}

// Health is the pipeline's live health, for the API, metrics and `vigil status`.
func (p *Pipeline) Health() *Health { return p.health }

// Run restores the baselines, replays what the ordered detections have not seen, then runs
// every source until ctx ends or all of them finish. On ctx's end the batches in flight are
// stored, the stored ones detected on arrival, and the baselines saved; Run returns nil.
// When every source finishes (files), the ordered detections read to the end and every
// window closes.
func (p *Pipeline) Run(ctx context.Context) error {
	d := newDetectStage(p)
	if err := d.restore(ctx); err != nil {
		if ctx.Err() != nil {
			return nil // stopped while restoring: nothing ran, nothing to save
		}
		return err
	}
	queue := make(chan storedBatch, p.cfg.QueueBatches)
	detectDone := make(chan struct{})
	var g errgroup.Group
	srcCtx, stopSources := context.WithCancel(ctx)
	defer stopSources()
	g.Go(func() error {
		defer close(detectDone)
		err := d.run(ctx, queue)
		if err != nil {
			stopSources()
		}
		return err
	})
	var sg errgroup.Group
	for _, src := range p.opts.Sources {
		sup := &supervisor{p: p, src: src, queue: queue, detectDone: detectDone}
		sg.Go(func() error { return sup.run(srcCtx) })
	}
	g.Go(func() error {
		err := sg.Wait()
		close(queue) // every source has returned: nothing more will be sent
		return err
	})
	err := g.Wait()
	if ctx.Err() != nil && err == nil {
		return nil
	}
	return err
}

// storedBatch is a batch whose events are stored, on its way to detection.
type storedBatch struct {
	source    string
	events    []*event.Event // the new ones
	endOfPoll bool
	watermark time.Time
	finished  bool   // the source's Run returned: it sends nothing more
	mark      uint64 // its arrivalMarks registration, ended once detected
}

// putNew stores alerts and returns those whose ids were new.
func (p *Pipeline) putNew(ctx context.Context, alerts []alert.Alert) ([]alert.Alert, error) {
	fresh, err := p.opts.Store.PutAlerts(ctx, alerts)
	if err != nil {
		return nil, fmt.Errorf("pipeline: store alerts: %w", err)
	}
	return fresh, nil
}
