package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/vigil-sec/vigil/internal/config"
	"github.com/vigil-sec/vigil/internal/normalize"
	"github.com/vigil-sec/vigil/internal/normalize/formats"
	"github.com/vigil-sec/vigil/internal/source/azure"
)

const configUsage = `usage: vigil config check [--online] --config FILE

Reads the configuration as vigil serve does and names every mistake by its key and line
(sources[2].tenant_id (line 14): required), one per line; exit 0 when it is good, 1 when
it is not, 2 for a mistake on this command line. --online also signs in with each
source's credentials and tries each permission it needs (it needs the network).`

// runConfig is `vigil config check [--online] --config FILE`.
func runConfig(ctx context.Context, args []string, std stdio) error {
	fl := flag.NewFlagSet("config", flag.ContinueOnError)
	fl.SetOutput(std.err)
	file := fl.String("config", "vigil.yaml", "the configuration file")
	online := fl.Bool("online", false, "also test each source's credentials: sign in and try each permission it needs")
	fl.Usage = func() {
		fmt.Fprintln(fl.Output(), configUsage)
		fmt.Fprintln(fl.Output())
		fl.PrintDefaults()
	}
	rest, err := parseFlags(fl, args)
	if err != nil {
		return errUsage // the flag package printed the mistake and the usage
	}
	if len(rest) != 1 || rest[0] != "check" {
		if len(rest) > 0 {
			fmt.Fprintf(std.err, "vigil config: unknown subcommand %q\n", strings.Join(rest, " "))
		}
		fl.Usage()
		return errUsage
	}
	n, err := checkConfig(ctx, *file, *online)
	if err != nil {
		return configErrors(std, err)
	}
	fmt.Fprintf(std.out, "config ok: %d sources, %d outputs\n", n.sources, n.outputs)
	return nil
}

type configCounts struct{ sources, outputs int }

// checkConfig loads the file and builds every source and output as vigil serve would,
// without starting them; online also asks each source that can to try its credentials.
func checkConfig(ctx context.Context, file string, online bool) (configCounts, error) {
	cfg, err := config.Load(file)
	if cfg == nil {
		return configCounts{}, err
	}
	srcs, serr := buildSources(cfg, providerDeps{norm: normalize.New(formats.All()...), logger: slog.New(slog.DiscardHandler), budgets: azure.NewBudgets()})
	outs, oerr := buildOutputs(cfg, slog.New(slog.DiscardHandler))
	for _, o := range outs {
		o.close()
	}
	if err := errors.Join(err, serr, oerr); err != nil {
		return configCounts{}, err
	}
	if online {
		cctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
		defer cancel()
		if err := checkOnline(cctx, srcs); err != nil {
			return configCounts{}, fmt.Errorf("online check: %w", err)
		}
	}
	return configCounts{len(cfg.Sources), len(cfg.Outputs)}, nil
}

// configErrors prints each error on its own line and exits 1.
func configErrors(std stdio, err error) error {
	n := 0
	for _, line := range strings.Split(err.Error(), "\n") {
		if strings.TrimSpace(line) != "" {
			fmt.Fprintln(std.err, "vigil config:", line)
			n++
		}
	}
	what := "errors"
	if n == 1 {
		what = "error"
	}
	return &exitError{code: 1, err: fmt.Errorf("%d %s in the configuration", n, what)}
}
