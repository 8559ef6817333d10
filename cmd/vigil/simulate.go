package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/vigil-sec/vigil/internal/progress"
	"github.com/vigil-sec/vigil/internal/sim"
)

// runSimulate is `vigil simulate --out DIR [--seed N] [--days N] [--users N]
// [--scenarios a,b] [--end RFC3339] [--force] [--quiet]`: a simulated tenant's logs in their native layouts,
// with truth.jsonl.
func runSimulate(ctx context.Context, args []string, std stdio) error {
	fl := flag.NewFlagSet("simulate", flag.ContinueOnError)
	fl.SetOutput(std.err)
	out := fl.String("out", "", "output folder (required)")
	seed := fl.Uint64("seed", 1, "random seed: the same seed gives the same bytes")
	days := fl.Int("days", 14, "days of activity")
	users := fl.Int("users", 300, "people in the tenant")
	scen := fl.String("scenarios", "", "attack scenarios to inject, comma-separated (default all): "+strings.Join(sim.ScenarioNames(), ","))
	end := fl.String("end", "", "end of the simulated period, RFC 3339 (default "+sim.DefaultEnd().Format(time.RFC3339)+")")
	force := fl.Bool("force", false, "write into a folder that already holds a simulation (its files are replaced, not mixed)")
	quiet := fl.Bool("quiet", false, quietUsage)
	fl.Usage = func() {
		fmt.Fprintln(std.err, "usage: vigil simulate --out DIR [--seed N] [--days N] [--users N] [--scenarios a,b] [--end RFC3339] [--force] [--quiet]")
		fl.PrintDefaults()
	}
	positional, err := parseFlags(fl, args)
	if err != nil || *out == "" || len(positional) > 0 {
		if err == nil {
			fl.Usage()
		}
		return errUsage
	}
	if _, err := os.Stat(filepath.Join(*out, "manifest.json")); err == nil {
		if !*force {
			return &exitError{code: 2, err: fmt.Errorf("%s already holds a simulation: a second one would mix with it (eval would score both); choose another --out or add --force to replace it", *out)}
		}
		for _, sub := range []string{"graph", "activitylog", "eventhub", "AWSLogs", "truth.jsonl", "manifest.json"} {
			if err := os.RemoveAll(filepath.Join(*out, sub)); err != nil {
				return fmt.Errorf("replace %s: %w", *out, err)
			}
		}
	}
	cfg := sim.Config{Seed: *seed, Users: *users, Days: *days}
	if *scen != "" {
		cfg.Scenarios = strings.Split(*scen, ",")
		for _, name := range cfg.Scenarios {
			if !slices.Contains(sim.ScenarioNames(), name) {
				return &exitError{code: 2, err: fmt.Errorf("--scenarios: unknown scenario %q; the scenarios are %s", name, strings.Join(sim.ScenarioNames(), ", "))}
			}
		}
	}
	if *end != "" {
		t, err := time.Parse(time.RFC3339, *end)
		if err != nil {
			return &exitError{code: 2, err: fmt.Errorf("--end %q: want an RFC 3339 time such as %s", *end, sim.DefaultEnd().Format(time.RFC3339))}
		}
		cfg.End = t
	}
	s, err := sim.New(cfg)
	if err != nil {
		// The simulator names its settings ("users must be at least 10"); the user typed flags.
		msg := strings.TrimPrefix(err.Error(), "sim: ")
		if strings.HasPrefix(msg, "users ") || strings.HasPrefix(msg, "days ") {
			msg = "--" + msg
		}
		return &exitError{code: 2, err: errors.New(msg)}
	}
	if *days < 14 {
		fmt.Fprintf(std.err, "vigil simulate: warning: with --days %d the pattern-of-life scenarios (dormant account, first privileged operation, new network for a key) have less than the 14 days of history their detections learn from; expect them to be missed\n", *days)
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return fmt.Errorf("simulate: %w", err)
	}
	endT := cfg.End
	if endT.IsZero() {
		endT = sim.DefaultEnd()
	}
	w := sim.NewWriter(*out, *seed)
	started := time.Now()
	// The records come in time order: the days simulated so far measure the time left.
	meter := newMeter(std, "vigil simulate", *quiet, progress.Days)
	defer meter.Finish()
	first := endT.Add(-time.Duration(*days) * 24 * time.Hour)
	truth, err := s.Run(ctx, func(r sim.Record) error {
		err := w.Write(r)
		meter.Update(progress.State{Records: int64(w.Records), Done: r.Time.Sub(first).Hours() / 24, Total: float64(*days)})
		return err
	})
	if err != nil {
		return err
	}
	if err := w.Flush(); err != nil {
		return err
	}
	scenarios := cfg.Scenarios
	if scenarios == nil {
		scenarios = sim.ScenarioNames()
	}
	m := sim.Manifest{Seed: *seed, Users: *users, Days: *days, Start: first, End: endT, Records: w.Records, Scenarios: scenarios}
	if err := sim.WriteTruth(*out, truth, m); err != nil {
		return err
	}
	meter.Finish()
	el := time.Since(started)
	fmt.Fprintf(std.err, "vigil simulate: %d records, %d attacks and look-alikes, %.1f MB in %s (%.0f records/s)\n",
		w.Records, len(truth), float64(w.Bytes)/1e6, el.Round(time.Millisecond), float64(w.Records)/el.Seconds())
	return nil
}
