// Package hunt is the offline detection path: read log files of any supported format, put
// every event in event-time order across files, run the detectors and return their alerts.
// `vigil hunt` and `vigil eval` both use it, so the scoreboard measures what users run.
package hunt

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/vigil-sec/vigil/internal/alert"
	"github.com/vigil-sec/vigil/internal/detect"
	"github.com/vigil-sec/vigil/internal/detect/behavior"
	"github.com/vigil-sec/vigil/internal/detect/sigma"
	"github.com/vigil-sec/vigil/internal/event"
	"github.com/vigil-sec/vigil/internal/normalize"
	"github.com/vigil-sec/vigil/internal/normalize/formats"
	"github.com/vigil-sec/vigil/internal/pipeline"
	"github.com/vigil-sec/vigil/internal/source"
	"github.com/vigil-sec/vigil/internal/source/file"
	"github.com/vigil-sec/vigil/internal/store/sqlite"
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
	// Stdin is read for the path "-"; TempDir holds the temporary store (default: the
	// system's temporary folder).
	Stdin   io.Reader
	TempDir string
	// Suppressed, when set, hears of every candidate the behavioural detections remove or
	// lower, with its reason.
	Suppressed detect.Suppressed
	// Progress, when set, hears how far the reading has got (see file.Config.Progress).
	Progress func(file.Progress)
}

// Summary counts what a hunt read and raised.
type Summary struct {
	Files, Events, Unparsed, Alerts, Rules int
	LoadErrors                             []error // rules that failed to load (reported, not fatal)
	ReadErrors                             []error // paths that could not be read
}

// Run reads every path (files and folders, recursively; "-" is Stdin) and runs the same
// detection path as the daemon: events go into a temporary store, single-event rules see
// them as they are read, and the order-dependent detections read them back in event-time
// order (pipeline.EventOrder), a page at a time — so memory does not grow with the logs and
// the alerts are the ones the daemon raises for the same records. Each distinct alert is
// emitted once.
func Run(ctx context.Context, paths []string, opts Options, emit func(alert.Alert) error) (Summary, error) {
	var sum Summary
	rs, loadErrs := LoadRules(opts)
	sum.LoadErrors = loadErrs
	for _, e := range loadErrs {
		if errors.Is(e, ErrNoRules) { // every load error, so the reason a folder gave nothing shows
			return sum, errors.Join(loadErrs...)
		}
	}
	sum.Rules = rs.Len()
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
		if opts.Baseline != "" {
			if err := loadBaseline(bd, opts.Baseline); err != nil {
				return sum, err
			}
		}
	}
	// Offline there is no latency to save: every rule runs in event order.
	var sigmaRules detect.Detector = rs.Detector()
	if bd != nil {
		sigmaRules = bd.InContext(sigmaRules) // Sigma hits scored against the identity's history
	}
	ordered := detect.Fanout{sigmaRules}
	ordered = append(ordered, opts.Extra...)

	tmp, err := os.MkdirTemp(opts.TempDir, "vigil-hunt-")
	if err != nil {
		return sum, fmt.Errorf("hunt: temporary store: %w", err)
	}
	defer os.RemoveAll(tmp)
	st, err := sqlite.Open(ctx, tmp)
	if err != nil {
		return sum, fmt.Errorf("hunt: temporary store: %w", err)
	}
	defer st.Close()
	n := normalize.New(formats.All()...)
	files, err := file.New("hunt", file.Config{Paths: paths, BatchSize: 1000, Progress: opts.Progress}, n, opts.Stdin)
	if err != nil {
		return sum, err
	}
	var emitErr error
	cfg := pipeline.DefaultConfig()
	p, err := pipeline.New(pipeline.Options{
		Config: cfg, Store: st, Normalizer: n, Sources: []source.Source{files},
		Ordered: ordered, Baseline: bd, Enrich: opts.Enrich, Logger: logger(opts),
		OnAlert: func(a alert.Alert) {
			if emitErr == nil {
				sum.Alerts++
				emitErr = emit(a)
			}
		},
	})
	if err != nil {
		return sum, err
	}
	runErr := p.Run(ctx)
	fs := files.Stats()
	sum.Files, sum.ReadErrors = fs.Files, fs.ReadErrors
	sum.Events, sum.Unparsed = fs.Normalize.Events, fs.Normalize.Unparsed
	if runErr != nil {
		return sum, fmt.Errorf("hunt: %w", runErr)
	}
	if ctx.Err() != nil {
		return sum, ctx.Err()
	}
	if emitErr == nil && bd != nil && opts.Baseline != "" {
		if err := saveBaseline(bd, opts.Baseline); err != nil {
			return sum, err
		}
	}
	return sum, emitErr
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

// ErrNoRules is a user rule folder from which no rule loads: a hunt that was asked for
// those rules must not run silently without them.
var ErrNoRules = errors.New("no rule loaded")

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
			errs = append(errs, fmt.Errorf("hunt: rules %s: %w: %w", dir, ErrNoRules, err))
			continue
		}
		rs, lerrs := sigma.Load(os.DirFS(dir), ".", sopts)
		for _, e := range lerrs {
			e.File = dir + "/" + e.File
			errs = append(errs, e)
		}
		if rs.Len() == 0 {
			errs = append(errs, fmt.Errorf("hunt: rules %s: %w (%d failed)", dir, ErrNoRules, len(lerrs)))
		}
		if err := all.Merge(rs); err != nil {
			errs = append(errs, err)
		}
	}
	return all, errs
}
