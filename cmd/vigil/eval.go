package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/vigil-sec/vigil/internal/alert"
	"github.com/vigil-sec/vigil/internal/eval"
	"github.com/vigil-sec/vigil/internal/hunt"
	"github.com/vigil-sec/vigil/internal/progress"
)

// runEval is `vigil eval DIR [--by-detection] [--show-false] [--fold-window D]
// [--show-suppressed] [--min-recall R] [--min-precision P] [--max-fp F] [--quiet]`: the hunt
// detection path over a simulated folder, scored against its truth.jsonl.
func runEval(ctx context.Context, args []string, std stdio) error {
	fl := flag.NewFlagSet("eval", flag.ContinueOnError)
	fl.SetOutput(std.err)
	minRecall := fl.Float64("min-recall", 1.0, "fail below this recall")
	minPrecision := fl.Float64("min-precision", 0.9, "fail below this precision (high and critical alerts)")
	maxFP := fl.Float64("max-fp", 1.0, "fail above this many false positives per 1,000 user-days")
	byDetection := fl.Bool("by-detection", false, "also print each detection's alerts, precision and the attacks it found")
	showFalse := fl.Bool("show-false", false, "also print the high and critical alerts that match no attack")
	showSuppressed := fl.Bool("show-suppressed", false, "also print every candidate a detection removed or lowered, with its reason")
	foldWindow := fl.Duration("fold-window", alert.DefaultFoldWindow, "fold alerts of one detection on one entity within this window into one, as vigil hunt does (0: no folding)")
	quiet := fl.Bool("quiet", false, quietUsage)
	fl.Usage = func() {
		fmt.Fprintln(std.err, "usage: vigil eval DIR [--by-detection] [--show-false] [--fold-window D] [--show-suppressed] [--min-recall R] [--min-precision P] [--max-fp F] [--quiet]")
		fl.PrintDefaults()
	}
	positional, err := parseFlags(fl, args)
	if err != nil || len(positional) != 1 {
		if err == nil {
			fl.Usage()
		}
		return errUsage
	}
	dir := positional[0]
	for _, name := range []string{"manifest.json", "truth.jsonl"} {
		if _, err := os.Stat(filepath.Join(dir, name)); errors.Is(err, os.ErrNotExist) {
			return &exitError{code: 2, err: fmt.Errorf("%s is not a simulated folder (it has no %s): make one with vigil simulate --out %s", dir, name, dir)}
		}
	}
	truth, m, err := eval.ReadTruth(dir)
	if err != nil {
		return &exitError{code: 1, err: errors.New(strings.TrimPrefix(err.Error(), "eval: "))}
	}
	var paths []string
	for _, sub := range []string{"graph", "activitylog", "eventhub", "AWSLogs"} {
		paths = append(paths, filepath.Join(dir, sub))
	}
	var alerts []alert.Alert
	add, flush := foldAlerts(*foldWindow, func(a alert.Alert) error {
		alerts = append(alerts, a)
		return nil
	})
	meter := newMeter(std, "vigil eval", *quiet, progress.Bytes)
	defer meter.Finish()
	supp := newSuppressionLog(*showSuppressed, meter.Above(std.out)) // the same bytes; the line is cleared first
	sum, err := hunt.Run(ctx, paths, hunt.Options{Suppressed: supp.suppressed, Progress: fileProgress(meter)}, supp.count(add))
	meter.Finish()
	if err == nil {
		err = flush()
	}
	if err != nil {
		return err
	}
	score := eval.Evaluate(truth, alerts, m.Users, m.Days)
	fmt.Fprintf(std.out, "events: %d (%d unparsed), alerts: %d (%d after folding), rules: %d\n", sum.Events, sum.Unparsed, sum.Alerts, len(alerts), sum.Rules)
	if *byDetection {
		score.PrintRules(std.out)
	}
	supp.print(std.out)
	if *showFalse {
		for _, a := range score.FalseAlerts {
			fmt.Fprintf(std.out, "false %s %s %s %s: %s\n", a.Severity, a.Rule.ID, a.Entity.Name, a.Time.Format("2006-01-02T15:04:05Z"), a.Reason)
		}
	}
	score.Print(std.out)
	if score.Recall < *minRecall || score.Precision < *minPrecision || score.FPPer1kUserDays > *maxFP {
		return &exitError{code: 1, err: fmt.Errorf("below thresholds: recall %.3f (min %.2f), precision %.3f (min %.2f), fp %.3f (max %.2f)",
			score.Recall, *minRecall, score.Precision, *minPrecision, score.FPPer1kUserDays, *maxFP)}
	}
	return nil
}
