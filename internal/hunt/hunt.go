// Package hunt is the offline detection path: read log files of any supported format, put
// every event in event-time order across files, run the detectors and return their alerts.
// `vigil hunt` and `vigil eval` both use it, so the scoreboard measures what users run.
package hunt

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/vigil-sec/vigil/internal/alert"
	"github.com/vigil-sec/vigil/internal/detect"
	"github.com/vigil-sec/vigil/internal/detect/behavior"
	"github.com/vigil-sec/vigil/internal/detect/sigma"
	"github.com/vigil-sec/vigil/internal/event"
	"github.com/vigil-sec/vigil/internal/normalize"
	"github.com/vigil-sec/vigil/internal/normalize/formats"
	"github.com/vigil-sec/vigil/rules"
)

// Options configure a hunt.
type Options struct {
	RuleDirs   []string // user rule folders, in addition to the built-in pack
	NoBuiltin  bool     // skip the built-in pack
	NoBehavior bool     // skip the built-in behavioural detections
	// Baseline is a file keeping the behavioural baselines between hunts: loaded before
	// (when it exists), saved after. Events it already learned from are not learned again,
	// so hunting last month's logs then this week's scores this week against last month.
	Baseline     string
	Placeholders map[string][]string
	Extra        []detect.Detector // more detectors (behavioural models) wired by the caller
	// Enrich, when set, completes each event before detection (geo and network from a
	// MaxMind database where the provider gave none).
	Enrich func(*event.Event)
	// AddressInfo, when set, lets the behavioural detections ask the geo database about an
	// address (accuracy radius, anonymisers, satellite networks).
	AddressInfo func(ip string) (behavior.AddressInfo, bool)
	Logger      *slog.Logger
	// Suppressed, when set, hears of every candidate the behavioural detections remove or
	// lower, with its reason.
	Suppressed detect.Suppressed
}

// Summary counts what a hunt read and raised.
type Summary struct {
	Files, Events, Unparsed, Alerts, Rules int
	LoadErrors                             []error // rules that failed to load (reported, not fatal)
	ReadErrors                             []error // paths that could not be read
}

// closeWindow is how far past the last event time windows are advanced at the end, so every
// windowed detection still pending closes.
const closeWindow = 30 * 24 * time.Hour

// Run reads every path (files and folders, recursively), orders all events by event time
// across files (stable for equal times), runs the detectors and emits each distinct alert.
// Events are held in memory to be sorted: about the size of the raw logs.
func Run(ctx context.Context, paths []string, opts Options, emit func(alert.Alert) error) (Summary, error) {
	var sum Summary
	rs, loadErrs := LoadRules(opts)
	sum.LoadErrors = loadErrs
	sum.Rules = rs.Len()
	detectors := detect.Fanout{rs.Detector()}
	var bd *behavior.Detector
	if !opts.NoBehavior {
		bopts := []behavior.Option{behavior.WithLogger(logger(opts))}
		if opts.AddressInfo != nil {
			bopts = append(bopts, behavior.WithAddressInfo(opts.AddressInfo))
		}
		if opts.Suppressed != nil {
			bopts = append(bopts, behavior.WithSuppressed(opts.Suppressed))
		}
		bd = behavior.New(behavior.DefaultConfig(), bopts...)
		detectors[0] = bd.InContext(detectors[0]) // Sigma hits scored against the identity's history
		if opts.Baseline != "" {
			if err := loadBaseline(bd, opts.Baseline); err != nil {
				return sum, err
			}
			detectors = append(detectors, newOnly{bd})
		} else {
			detectors = append(detectors, bd)
		}
	}
	detectors = append(detectors, opts.Extra...)

	files, readErrs := normalize.Files(paths)
	sum.ReadErrors = readErrs
	sum.Files = len(files)
	n := normalize.New(formats.All()...)
	var events []*event.Event
	for _, f := range files {
		st, err := n.StreamFile(ctx, f, os.Stdin, func(ev *event.Event) error {
			events = append(events, ev)
			return nil
		})
		sum.Unparsed += st.Unparsed
		if err != nil {
			if ctx.Err() != nil {
				return sum, ctx.Err()
			}
			sum.ReadErrors = append(sum.ReadErrors, err)
		}
	}
	sort.SliceStable(events, func(i, j int) bool { return events[i].Time < events[j].Time })
	sum.Events = len(events)

	seen := map[string]bool{}
	var emitErr error
	collect := func(a alert.Alert) {
		if seen[a.ID] || emitErr != nil {
			return
		}
		seen[a.ID] = true
		sum.Alerts++
		emitErr = emit(a)
	}
	for _, ev := range events {
		if ev.IsUnparsed() {
			continue
		}
		if opts.Enrich != nil {
			opts.Enrich(ev)
		}
		if err := detectors.Observe(ctx, ev, collect); err != nil {
			return sum, fmt.Errorf("hunt: detect: %w", err)
		}
		if emitErr != nil {
			return sum, emitErr
		}
	}
	if len(events) > 0 {
		end := time.UnixMilli(events[len(events)-1].Time).Add(closeWindow)
		if err := detectors.Advance(ctx, end, collect); err != nil {
			return sum, fmt.Errorf("hunt: detect: %w", err)
		}
	}
	if emitErr == nil && bd != nil && opts.Baseline != "" {
		if err := saveBaseline(bd, opts.Baseline); err != nil {
			return sum, err
		}
	}
	return sum, emitErr
}

// newOnly passes the behavioural detector only the events its restored baseline has not
// learned from yet.
type newOnly struct{ *behavior.Detector }

func (n newOnly) Observe(ctx context.Context, ev *event.Event, emit detect.Emit) error {
	if n.Replayed(ev) {
		return nil
	}
	return n.Detector.Observe(ctx, ev, emit)
}

func loadBaseline(d *behavior.Detector, path string) error {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("hunt: baseline: %w", err)
	}
	defer f.Close()
	if err := d.Restore(bufio.NewReader(f)); err != nil {
		return fmt.Errorf("hunt: baseline %s: %w", path, err)
	}
	return nil
}

// saveBaseline writes the snapshot next to path and renames it over, so a crash leaves the
// old baseline whole.
func saveBaseline(d *behavior.Detector, path string) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("hunt: baseline: %w", err)
	}
	defer os.Remove(tmp.Name())
	w := bufio.NewWriter(tmp)
	if err := d.Snapshot(w); err != nil {
		tmp.Close()
		return fmt.Errorf("hunt: baseline %s: %w", path, err)
	}
	if err := errors.Join(w.Flush(), tmp.Sync(), tmp.Close()); err != nil {
		return fmt.Errorf("hunt: baseline %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("hunt: baseline: %w", err)
	}
	return nil
}

func logger(opts Options) *slog.Logger {
	if opts.Logger != nil {
		return opts.Logger
	}
	return slog.New(slog.DiscardHandler)
}

// LoadRules loads the built-in pack and the user's folders. Broken rules are returned as
// errors and left out; the rest run.
func LoadRules(opts Options) (*sigma.RuleSet, []error) {
	sopts := sigma.Options{Placeholders: opts.Placeholders, Logger: opts.Logger}
	all := &sigma.RuleSet{}
	var errs []error
	if !opts.NoBuiltin {
		rs, lerrs := sigma.Load(rules.FS(), ".", sopts)
		for _, e := range lerrs {
			errs = append(errs, fmt.Errorf("built-in rule %w", e))
		}
		if err := all.Merge(rs); err != nil {
			errs = append(errs, err)
		}
	}
	for _, dir := range opts.RuleDirs {
		if _, err := os.Stat(dir); err != nil {
			errs = append(errs, fmt.Errorf("rules %s: %w", dir, err))
			continue
		}
		rs, lerrs := sigma.Load(os.DirFS(dir), ".", sopts)
		for _, e := range lerrs {
			e.File = dir + "/" + e.File
			errs = append(errs, e)
		}
		if err := all.Merge(rs); err != nil {
			errs = append(errs, err)
		}
	}
	return all, errs
}
