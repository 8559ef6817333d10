package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/vigil-sec/vigil/internal/config"
	"github.com/vigil-sec/vigil/internal/enrich/geoip"
	"github.com/vigil-sec/vigil/internal/normalize"
	"github.com/vigil-sec/vigil/internal/output"
	"github.com/vigil-sec/vigil/internal/output/cef"
	"github.com/vigil-sec/vigil/internal/output/webhook"
	"github.com/vigil-sec/vigil/internal/pipeline"
	"github.com/vigil-sec/vigil/internal/source"
	"github.com/vigil-sec/vigil/internal/source/azure"
)

// runServe is `vigil serve --config FILE`: the daemon, until SIGINT or SIGTERM.
func runServe(ctx context.Context, args []string, std stdio) error {
	fl := flag.NewFlagSet("serve", flag.ContinueOnError)
	fl.SetOutput(std.err)
	file := fl.String("config", "vigil.yaml", "the configuration file (see vigil.example.yaml and docs/config.md)")
	fl.Usage = func() {
		fmt.Fprintln(std.err, "usage: vigil serve --config FILE")
		fl.PrintDefaults()
	}
	if rest, err := parseFlags(fl, args); err != nil || len(rest) > 0 {
		if err == nil { // the flag package printed the usage for a bad flag or -help
			fl.Usage()
		}
		return errUsage
	}
	cfg, err := config.Load(*file)
	if err != nil {
		return configErrors(std, err)
	}
	log := newLogger(std, cfg.LogLevel)
	outputs, err := buildOutputs(cfg, log)
	if err != nil {
		return configErrors(std, err)
	}
	token, err := apiToken(cfg)
	if err != nil {
		return err
	}
	spec := daemonSpec{
		dataDir: cfg.DataDir, listen: cfg.Listen, token: token, pipeline: pipelineConfig(cfg.Pipeline),
		ruleDirs: cfg.Detect.Rules, noBuiltin: cfg.Detect.NoBuiltin, noBehav: cfg.Detect.NoBehavior,
		geo: geoip.Config{CityPath: cfg.Detect.GeoIPCity, ASNPath: cfg.Detect.GeoIPASN, CityKey: "detect.geoip_city", ASNKey: "detect.geoip_asn"},
		sources: func(n *normalize.Normalizer) ([]source.Source, error) {
			return buildSources(cfg, providerDeps{norm: n, logger: log, budgets: azure.NewBudgets()})
		},
		outputs: outputs, logger: log,
		console: consoleSpec{
			adminUser: cfg.API.AdminUser, adminPassword: os.Getenv(adminPasswordEnv),
			tlsCert: cfg.API.TLSCertFile, tlsKey: cfg.API.TLSKeyFile,
			sessionTTL: cfg.API.SessionTTL.D(), idleTTL: cfg.API.SessionIdle.D(),
		},
		// The login goes to the terminal, never to the log.
		onConsole: func(line string) { fmt.Fprintln(std.out, line) },
	}
	d, err := buildDaemon(ctx, spec)
	if err != nil {
		var ce config.Errors
		if errors.As(err, &ce) {
			return configErrors(std, err)
		}
		return err
	}
	return d.run(ctx)
}

// pipelineConfig is the pipeline's tuning from the config's pipeline: section.
func pipelineConfig(p config.Pipeline) pipeline.Config {
	c := pipeline.DefaultConfig()
	c.AllowedLateness, c.IdleTimeout, c.QueueBatches = p.AllowedLateness.D(), p.IdleTimeout.D(), p.QueueBatches
	c.SnapshotInterval, c.ReplayWindow = p.SnapshotInterval.D(), p.ReplayWindow.D()
	c.FoldWindow, c.DrainOnStop = p.FoldWindow.D(), p.DrainOnStop
	return c
}

// apiToken is the configured token, or one made on first start and kept (mode 0600) in
// the data folder, whose path — never the token — is logged.
func apiToken(cfg *config.Config) (string, error) {
	if t := cfg.API.Token.Reveal(); t != "" {
		return t, nil
	}
	path := filepath.Join(cfg.DataDir, "api-token")
	if b, err := os.ReadFile(path); err == nil {
		return strings.TrimSpace(string(b)), nil
	}
	if err := os.MkdirAll(cfg.DataDir, 0o750); err != nil {
		return "", err
	}
	t := randomToken()
	if err := os.WriteFile(path, []byte(t+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("write the API token: %w", err)
	}
	return t, nil
}

func newLogger(std stdio, level string) *slog.Logger {
	var l slog.Level
	switch strings.ToLower(level) {
	case "debug":
		l = slog.LevelDebug
	case "warn", "warning":
		l = slog.LevelWarn
	case "error":
		l = slog.LevelError
	}
	return slog.New(slog.NewTextHandler(std.err, &slog.HandlerOptions{Level: l}))
}

// builtOutput is a configured output's sender and how its queue delivers.
type builtOutput struct {
	sender output.Sender
	opts   output.QueueOptions
	close  func() error
}

// buildOutputs builds the configured outputs' senders, every item's errors at once.
// The daemon puts each behind a durable queue in its store.
func buildOutputs(cfg *config.Config, log *slog.Logger) ([]builtOutput, error) {
	var outs []builtOutput
	var errs []error
	for _, it := range cfg.Outputs {
		switch it.Type {
		case "cef":
			c := cef.DefaultConfig()
			if err := it.Decode(&c); err != nil {
				errs = append(errs, err)
				continue
			}
			s, err := cef.New(c, versionString(), log)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", it.Path, err))
				continue
			}
			opts := c.QueueOptions()
			opts.Logger = log
			outs = append(outs, builtOutput{sender: s, opts: opts, close: s.Close})
		case "webhook":
			c := webhook.DefaultConfig()
			if err := it.Decode(&c); err != nil {
				errs = append(errs, err)
				continue
			}
			s, err := webhook.New(c, nil, log)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", it.Path, err))
				continue
			}
			opts := c.QueueOptions()
			opts.Logger = log
			outs = append(outs, builtOutput{sender: s, opts: opts, close: func() error { return nil }})
		default:
			errs = append(errs, config.Errors{{Path: it.Path + ".type", Line: it.Line, Reason: "no output of type " + it.Type}})
		}
	}
	if err := errors.Join(errs...); err != nil {
		for _, o := range outs {
			o.close()
		}
		return nil, err
	}
	return outs, nil
}

// demoOutputs are the outputs of the config `vigil demo --config` names.
func demoOutputs(path string, log *slog.Logger) ([]builtOutput, error) {
	cfg, err := config.Load(path)
	if err != nil {
		return nil, err
	}
	return buildOutputs(cfg, log)
}

// randomToken is 24 random bytes in hex: an API token or a demo app's secret.
func randomToken() string {
	b := make([]byte, 24)
	rand.Read(b)
	return hex.EncodeToString(b)
}
