package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"strings"

	"github.com/goccy/go-json"

	"github.com/vigil-sec/vigil/internal/event"
	"github.com/vigil-sec/vigil/internal/normalize"
	"github.com/vigil-sec/vigil/internal/normalize/formats"
)

// runParse is `vigil parse [--format F] PATH...`: native records to normalized events, one
// JSON object per line on stdout, in input order; counts on stderr. It exits 1 only when a
// path cannot be read, after doing the others.
func runParse(ctx context.Context, args []string, std stdio) error {
	fl := flag.NewFlagSet("parse", flag.ContinueOnError)
	fl.SetOutput(std.err)
	format := fl.String("format", "", "parse every record as this format, skipping detection: "+strings.Join(formats.Names(), ", "))
	fl.Usage = func() {
		fmt.Fprintln(std.err, "usage: vigil parse [--format F] PATH... (- for stdin; directories are walked)")
		fl.PrintDefaults()
	}
	positional, err := parseFlags(fl, args)
	if err != nil {
		return errUsage
	}
	if len(positional) == 0 {
		fl.Usage()
		return errUsage
	}
	n := normalize.New(formats.All()...)
	if *format != "" {
		var err error
		if n, err = n.WithFormat(*format); err != nil {
			fmt.Fprintln(std.err, err)
			return errUsage
		}
	}
	files, readErrs := normalize.Files(positional)
	out := bufio.NewWriterSize(std.out, 64<<10)
	enc := json.NewEncoder(out)
	enc.SetEscapeHTML(false)
	emit := func(ev *event.Event) error { return enc.Encode(ev) }
	var total normalize.Stats
	for _, f := range files {
		st, err := n.StreamFile(ctx, f, std.in, emit)
		total.Add(st)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			readErrs = append(readErrs, err)
		}
	}
	if err := out.Flush(); err != nil {
		return fmt.Errorf("parse: write: %w", err)
	}
	if len(readErrs) == 1 && total.Records == 0 && len(files) <= 1 {
		// Nothing was read (a missing path, or one file that is not a log): the one error
		// is all there is to say (main prints it once).
		return &exitError{code: 1, err: readErrs[0]}
	}
	if len(files) > 0 {
		fmt.Fprintf(std.err, "vigil parse: %d %s, %d %s, %d %s, %d unparsed, %d repaired, %d skipped (not events)\n",
			len(files), plural(len(files), "file", "files"), total.Records, plural(total.Records, "record", "records"),
			total.Events, plural(total.Events, "event", "events"), total.Unparsed, total.Repaired, total.Skipped)
	}
	for _, err := range readErrs {
		fmt.Fprintln(std.err, "vigil parse:", err)
	}
	if len(readErrs) > 0 {
		return &exitError{code: 1, err: fmt.Errorf("%d of the paths could not be read, or not whole (listed above)", len(readErrs))}
	}
	return nil
}
