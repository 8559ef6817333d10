package main

import (
	"context"
	"errors"
	"flag"
	"fmt"

	"github.com/goccy/go-json"

	"github.com/vigil-sec/vigil/internal/event"
	"github.com/vigil-sec/vigil/internal/normalize"
	"github.com/vigil-sec/vigil/internal/normalize/formats"
	"github.com/vigil-sec/vigil/internal/store"
	"github.com/vigil-sec/vigil/internal/store/sqlite"
)

// fileCheckpoint is the position `vigil ingest` records with each batch.
type fileCheckpoint struct {
	File    string `json:"file"`
	Records int    `json:"records"`
}

// runIngest is `vigil ingest [--data DIR] [--source NAME] PATH...`: native log files into
// the store, in batches stored atomically with their position. Re-running it on the same
// files stores nothing twice.
func runIngest(ctx context.Context, args []string, std stdio) error {
	fl := flag.NewFlagSet("ingest", flag.ContinueOnError)
	fl.SetOutput(std.err)
	dataDir := fl.String("data", "data", "the store's directory")
	source := fl.String("source", "file", "the source name events are stored under (idempotency is per source)")
	batchSize := fl.Int("batch", 1000, "events per transaction")
	fl.Usage = func() {
		fmt.Fprintln(std.err, "usage: vigil ingest [--data DIR] [--source NAME] PATH... (directories are walked)")
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
	st, err := sqlite.Open(ctx, *dataDir)
	if err != nil {
		return err
	}
	defer st.Close()
	n := normalize.New(formats.All()...)
	files, readErrs := normalize.Files(positional)
	var total normalize.Stats
	inserted, stored := 0, 0
	for _, f := range files {
		var batch []*event.Event
		flush := func(records int) error {
			if len(batch) == 0 {
				return nil
			}
			cp, _ := json.Marshal(fileCheckpoint{File: f, Records: records})
			added, err := st.Append(ctx, *source, batch, store.Checkpoint(cp))
			if err != nil {
				return err
			}
			inserted += added
			stored += len(batch)
			batch = batch[:0]
			return nil
		}
		records := 0
		stats, err := n.StreamFile(ctx, f, std.in, func(ev *event.Event) error {
			batch = append(batch, ev)
			records++
			if len(batch) >= *batchSize {
				return flush(records)
			}
			return nil
		})
		// Store what was read even when the file failed part way, then report the failure.
		if ferr := flush(records); ferr != nil {
			err = errors.Join(err, ferr)
		}
		total.Add(stats)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			readErrs = append(readErrs, fmt.Errorf("%s: %w", f, err))
		}
	}
	fmt.Fprintf(std.err, "vigil ingest: %d files, %d records, %d events, %d new, %d already stored, %d unparsed, %d repaired\n",
		len(files), total.Records, stored, inserted, stored-inserted, total.Unparsed, total.Repaired)
	for _, err := range readErrs {
		fmt.Fprintln(std.err, "vigil ingest:", err)
	}
	if len(readErrs) > 0 {
		return &exitError{code: 1, err: fmt.Errorf("%d of the paths could not be read (listed above)", len(readErrs))}
	}
	return nil
}
