package geoip

import (
	"context"
	"errors"
	"os"
	"time"
)

// Run checks the database files every ReloadEvery and swaps in any that changed (by size
// or modification time) until ctx ends. A new file that does not open is logged and the
// database in use is kept; it is reported once, and tried again when it changes. Run
// returns nil when ctx ends.
func (e *Enricher) Run(ctx context.Context) error {
	if e.sources[cityDB].path == "" && e.sources[asnDB].path == "" {
		<-ctx.Done()
		return nil
	}
	tick := time.NewTicker(e.cfg.ReloadEvery)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
			_ = e.reload(false) // reload logs each file it refused
		}
	}
}

// Reload reopens every configured file now, changed or not, and swaps in those that open.
// It returns the errors of those that did not; their databases in use are kept.
func (e *Enricher) Reload() error { return e.reload(true) }

// reload reopens the changed files (all of them when force is set) and publishes the new
// set at once. Readers of the old set finish their lookups on it undisturbed: the
// databases live in memory, not in a mapping, so the old ones need no Close and are
// freed by the garbage collector when the last lookup using them returns.
func (e *Enricher) reload(force bool) error {
	e.reloadMu.Lock()
	defer e.reloadMu.Unlock()
	next := *e.dbs.Load()
	var errs []error
	swapped := false
	for i, src := range e.sources {
		if src.path == "" {
			continue
		}
		var stamp fileStamp
		if fi, err := os.Stat(src.path); err == nil {
			stamp = stampOf(fi)
		}
		if !force && (next[i] != nil && stamp == next[i].file || e.failed[i] != nil && stamp == *e.failed[i]) {
			continue
		}
		d, err := openDatabase(src.key, src.path, src.wrongType)
		if err != nil {
			e.failed[i] = &stamp
			errs = append(errs, err)
			e.logger.Warn("geoip: new database refused, keeping the one in use", "key", src.key, "path", src.path, "error", err)
			continue
		}
		e.failed[i] = nil
		next[i] = d
		swapped = true
		e.logger.Info("geoip: database reloaded", d.describe()...)
	}
	if swapped {
		e.dbs.Store(&next)
	}
	return errors.Join(errs...)
}
