package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/vigil-sec/vigil/internal/config"
	"github.com/vigil-sec/vigil/internal/normalize"
	"github.com/vigil-sec/vigil/internal/source"
	"github.com/vigil-sec/vigil/internal/source/activitylog"
	"github.com/vigil-sec/vigil/internal/source/azure"
	"github.com/vigil-sec/vigil/internal/source/cloudtrail"
	"github.com/vigil-sec/vigil/internal/source/eventhub"
	"github.com/vigil-sec/vigil/internal/source/file"
	"github.com/vigil-sec/vigil/internal/source/graph"
)

// providerDeps are what a source needs from the daemon to be built.
type providerDeps struct {
	norm   *normalize.Normalizer
	logger *slog.Logger
	// budgets are the request budgets per app and tenant, shared by every Microsoft
	// source of the daemon (two sources with one app registration share Graph's limit).
	budgets *azure.Budgets
}

// sourceProvider builds one type of source from its config item. Every provider is
// registered here, explicitly, and nowhere else.
type sourceProvider func(it config.Item, deps providerDeps) (source.Source, error)

func sourceProviders() map[string]sourceProvider {
	return map[string]sourceProvider{
		"files": func(it config.Item, deps providerDeps) (source.Source, error) {
			cfg := fileConfig{Config: file.DefaultConfig()}
			if err := it.Decode(&cfg); err != nil {
				return nil, err
			}
			return file.New(it.Name, cfg.Config, deps.norm, nil)
		},
		"graph": func(it config.Item, deps providerDeps) (source.Source, error) {
			cfg := graph.DefaultConfig()
			if err := it.Decode(&cfg); err != nil {
				return nil, err
			}
			return graph.New(cfg, azure.WithLogger(deps.logger), azure.WithBudgets(deps.budgets))
		},
		"activitylog": func(it config.Item, deps providerDeps) (source.Source, error) {
			cfg := activitylog.DefaultConfig()
			if err := it.Decode(&cfg); err != nil {
				return nil, err
			}
			return activitylog.New(cfg, azure.WithLogger(deps.logger), azure.WithBudgets(deps.budgets))
		},
		"eventhub": func(it config.Item, deps providerDeps) (source.Source, error) {
			cfg := eventhub.DefaultConfig()
			if err := it.Decode(&cfg); err != nil {
				return nil, err
			}
			return eventhub.New(cfg, eventhub.WithLogger(deps.logger))
		},
		"cloudtrail": func(it config.Item, deps providerDeps) (source.Source, error) {
			cfg := cloudtrail.DefaultConfig()
			if err := it.Decode(&cfg); err != nil {
				return nil, err
			}
			return cloudtrail.New(cfg, cloudtrail.WithLogger(deps.logger))
		},
	}
}

// fileConfig is a files source's config item (its own keys plus the list's).
type fileConfig struct {
	file.Config `yaml:",inline"`
}

// buildSources builds every configured source, reporting every item's errors at once.
func buildSources(cfg *config.Config, deps providerDeps) ([]source.Source, error) {
	providers := sourceProviders()
	var srcs []source.Source
	var errs []error
	for _, it := range cfg.Sources {
		build, ok := providers[it.Type]
		if !ok {
			errs = append(errs, config.Errors{{Path: it.Path + ".type", Line: it.Line, Reason: "no provider for type " + it.Type}})
			continue
		}
		s, err := build(it, deps)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		srcs = append(srcs, s)
	}
	return srcs, errors.Join(errs...)
}

// checkOnline asks each source that can to try its credentials and permissions.
func checkOnline(ctx context.Context, srcs []source.Source) error {
	var errs []error
	for _, s := range srcs {
		c, ok := s.(source.Checker)
		if !ok {
			continue
		}
		if err := c.Check(ctx); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", s.Name(), err))
		}
	}
	return errors.Join(errs...)
}
