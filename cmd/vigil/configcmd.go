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

// runConfig is `vigil config check [--online] --config FILE`.
func runConfig(ctx context.Context, args []string, std stdio) error {
	fl := flag.NewFlagSet("config", flag.ContinueOnError)
	fl.SetOutput(std.err)
	file := fl.String("config", "vigil.yaml", "the configuration file")
	online := fl.Bool("online", false, "also sign in with each source's credentials and try each permission it needs")
	fl.Usage = func() {
		fmt.Fprintln(std.err, "usage: vigil config check [--online] --config FILE")
		fl.PrintDefaults()
	}
	rest, err := parseFlags(fl, args)
	if err != nil || len(rest) != 1 || rest[0] != "check" {
		fl.Usage()
		return errUsage
	}
	cfg, err := config.Load(*file)
	if cfg == nil {
		return configErrors(std, err)
	}
	srcs, serr := buildSources(cfg, providerDeps{norm: normalize.New(formats.All()...), logger: slog.New(slog.DiscardHandler), budgets: azure.NewBudgets()})
	_, oerr := buildOutputs(cfg)
	if err := errors.Join(err, serr, oerr); err != nil {
		return configErrors(std, err)
	}
	if *online {
		cctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
		defer cancel()
		if err := checkOnline(cctx, srcs); err != nil {
			for _, line := range strings.Split(err.Error(), "\n") {
				fmt.Fprintln(std.err, "vigil config:", line)
			}
			return &exitError{code: 1, err: errors.New("the online check failed")}
		}
	}
	fmt.Fprintf(std.out, "config ok: %d sources, %d outputs\n", len(cfg.Sources), len(cfg.Outputs))
	return nil
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
	return &exitError{code: 1, err: fmt.Errorf("%d errors in the configuration", n)}
}
