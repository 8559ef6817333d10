package sigma

import (
	"context"
	"crypto/sha256"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"sort"
	"sync"
	"time"

	"github.com/vigil-sec/vigil/internal/detect"
	"github.com/vigil-sec/vigil/internal/event"
)

// Reloader is a detector whose rules follow their folders: Reload (or Watch, in the daemon)
// loads them again when a file changed, and the next event is matched against the new set
// — no restart. A rule that fails to load is reported and left out; the others still swap
// in. Correlation windows in progress start over after a reload.
type Reloader struct {
	base   *RuleSet // built-in rules, always present
	dirs   []string
	opts   Options
	logger *slog.Logger

	mu          sync.Mutex
	fingerprint [32]byte
	current     *Detector
	errs        []*LoadError
}

// NewReloader loads base plus the rules under dirs.
func NewReloader(base *RuleSet, dirs []string, opts Options) (*Reloader, error) {
	r := &Reloader{base: base, dirs: dirs, opts: opts, logger: opts.Logger}
	if r.logger == nil {
		r.logger = slog.New(slog.DiscardHandler)
	}
	if _, err := r.Reload(); err != nil {
		return nil, err
	}
	return r, nil
}

// Reload loads the folders again if any file changed since the last load. It reports
// whether it reloaded; rule errors are in Errors.
func (r *Reloader) Reload() (bool, error) {
	fp, err := r.scan()
	if err != nil {
		return false, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.current != nil && fp == r.fingerprint {
		return false, nil
	}
	all := &RuleSet{}
	if r.base != nil {
		if err := all.Merge(r.base); err != nil {
			return false, err
		}
	}
	var errs []*LoadError
	for _, dir := range r.dirs {
		rs, lerrs := Load(os.DirFS(dir), ".", r.opts)
		for _, e := range lerrs {
			e.File = dir + "/" + e.File
		}
		errs = append(errs, lerrs...)
		if err := all.Merge(rs); err != nil {
			errs = append(errs, &LoadError{File: dir, Reason: err.Error()})
		}
	}
	for _, e := range errs {
		r.logger.Warn("sigma: rule not loaded", "error", e.Error())
	}
	r.logger.Info("sigma: rules loaded", "rules", all.Len(), "failed", len(errs))
	r.current, r.errs, r.fingerprint = all.Detector(), errs, fp
	return true, nil
}

// scan fingerprints the folders: names, sizes and modification times of the rule files.
func (r *Reloader) scan() ([32]byte, error) {
	var lines []string
	for _, dir := range r.dirs {
		err := fs.WalkDir(os.DirFS(dir), ".", func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return nil
			}
			info, err := d.Info()
			if err != nil {
				return nil
			}
			lines = append(lines, fmt.Sprintf("%s/%s %d %d", dir, p, info.Size(), info.ModTime().UnixNano()))
			return nil
		})
		if err != nil {
			return [32]byte{}, fmt.Errorf("sigma: scan %s: %w", dir, err)
		}
	}
	sort.Strings(lines)
	h := sha256.New()
	for _, l := range lines {
		h.Write([]byte(l))
		h.Write([]byte{0})
	}
	var fp [32]byte
	copy(fp[:], h.Sum(nil))
	return fp, nil
}

// Watch reloads every interval until ctx ends.
func (r *Reloader) Watch(ctx context.Context, interval time.Duration) error {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
			if _, err := r.Reload(); err != nil {
				r.logger.Error("sigma: reload", "error", err)
			}
		}
	}
}

// Errors are the rule errors of the last load.
func (r *Reloader) Errors() []*LoadError {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.errs
}

// Name names the detector.
func (r *Reloader) Name() string { return "sigma" }

// Observe matches against the current rules.
func (r *Reloader) Observe(ctx context.Context, ev *event.Event, emit detect.Emit) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.current.Observe(ctx, ev, emit)
}

// Advance advances the current rules' windows.
func (r *Reloader) Advance(ctx context.Context, now time.Time, emit detect.Emit) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.current.Advance(ctx, now, emit)
}

var _ detect.Detector = (*Reloader)(nil)
