package main

import (
	"context"
	"flag"
	"fmt"

	"github.com/vigil-sec/vigil/internal/normalize"
	"github.com/vigil-sec/vigil/internal/normalize/formats"
	"github.com/vigil-sec/vigil/internal/progress"
	sourcepkg "github.com/vigil-sec/vigil/internal/source"
	"github.com/vigil-sec/vigil/internal/source/file"
	"github.com/vigil-sec/vigil/internal/store/sqlite"
)

// runIngest is `vigil ingest [--data DIR] [--source NAME] [--batch N] [--quiet] PATH...`: native log files into
// the store, in batches stored atomically with their position. Re-running it on the same
// files stores nothing twice.
func runIngest(ctx context.Context, args []string, std stdio) error {
	fl := flag.NewFlagSet("ingest", flag.ContinueOnError)
	fl.SetOutput(std.err)
	dataDir := fl.String("data", "data", "the store's directory")
	source := fl.String("source", "file", "the source name events are stored under (idempotency is per source)")
	batchSize := fl.Int("batch", 1000, "events per transaction")
	quiet := fl.Bool("quiet", false, quietUsage)
	fl.Usage = func() {
		fmt.Fprintln(std.err, "usage: vigil ingest [--data DIR] [--source NAME] [--batch N] [--quiet] PATH... (directories are walked)")
		fl.PrintDefaults()
	}
	positional, err := parseFlags(fl, args)
	if err != nil {
		return errUsage
	}
	if len(positional) == 0 || *batchSize < 1 {
		fl.Usage()
		return errUsage
	}
	n := normalize.New(formats.All()...)
	meter := newMeter(std, "vigil ingest", *quiet, progress.Bytes)
	defer meter.Finish()
	src, err := file.New(*source, file.Config{Paths: positional, BatchSize: *batchSize, Progress: fileProgress(meter)}, n, std.in)
	if err != nil {
		return &exitError{code: 2, err: err}
	}
	if files, errs := normalize.Files(positional); len(files) == 0 && len(errs) > 0 {
		// Nothing to read: report it without creating a store.
		for _, err := range errs {
			fmt.Fprintln(std.err, "vigil ingest:", err)
		}
		return &exitError{code: 1, err: fmt.Errorf("none of the paths could be read")}
	}
	st, err := sqlite.Open(ctx, *dataDir)
	if err != nil {
		return err
	}
	defer st.Close()
	// The files source batches across files and remembers the files done with each batch,
	// so a second run reads only new or changed files and an interrupted one resumes.
	cp, err := st.Checkpoint(ctx, *source)
	if err != nil {
		return err
	}
	inserted, stored := 0, 0
	err = src.Run(ctx, cp, func(ctx context.Context, b sourcepkg.Batch) error {
		fresh, err := st.AppendNew(ctx, *source, b.Events, b.Checkpoint)
		inserted += len(fresh)
		stored += len(b.Events)
		return err
	})
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return err
	}
	meter.Finish()
	fs := src.Stats()
	files, total, readErrs := fs.Files, fs.Normalize, fs.ReadErrors
	fmt.Fprintf(std.err, "vigil ingest: %d %s, %d %s, %d %s, %d new, %d already stored, %d unparsed, %d repaired\n",
		files, plural(files, "file", "files"), total.Records, plural(total.Records, "record", "records"),
		stored, plural(stored, "event", "events"), inserted, stored-inserted, total.Unparsed, total.Repaired)
	for _, err := range readErrs {
		fmt.Fprintln(std.err, "vigil ingest:", err)
	}
	if len(readErrs) > 0 {
		return &exitError{code: 1, err: fmt.Errorf("%d of the paths could not be read, or not whole (listed above)", len(readErrs))}
	}
	return nil
}
