// Package graph collects a tenant's Entra ID logs from Microsoft Graph: interactive,
// non-interactive, service principal and managed identity sign-ins, directory audits,
// risk detections and security alerts, one cursor per log, with an overlap for records
// Graph makes available late.
package graph

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"github.com/vigil-sec/vigil/internal/source"
	"github.com/vigil-sec/vigil/internal/source/azure"
)

// Option configures New: azure.WithLogger, WithHTTPClient, WithClock, WithBudgets.
type Option = azure.Option

// Source reads one tenant's Graph logs. Run must not be called concurrently.
type Source struct {
	name   string
	cfg    Config
	graph  string
	client *azure.Client
	poller *azure.Poller
	log    *slog.Logger
}

// New makes a source from a validated config.
func New(cfg Config, opts ...Option) (*Source, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("graph: %w", err)
	}
	o, err := azure.Resolve(cfg.CAFile, opts)
	if err != nil {
		return nil, fmt.Errorf("graph: %w", err)
	}
	cl, _ := azure.LookupCloud(cfg.Cloud)
	base := cfg.GraphEndpoint
	if base == "" {
		base = cl.Graph
	}
	base = strings.TrimSuffix(base, "/")
	tokens, err := azure.NewTokens(cfg.Credentials, o.HTTP, graphAudience(base, cl.Graph))
	if err != nil {
		return nil, fmt.Errorf("graph: %w", err)
	}
	name := cfg.Name
	if name == "" {
		name = "graph-" + cfg.TenantID
	}
	log := o.Log.With("source", name)
	s := &Source{
		name: name, cfg: cfg, graph: base, log: log,
		client: &azure.Client{
			HTTP: o.HTTP, Base: base, Home: cl.Graph,
			Tokens: tokens,
			Budget: o.Budgets.For(cfg.AppKey()+"/graph", cfg.RequestBudget, cfg.RequestWindow.D()),
		},
	}
	specs := cfg.streamsOf()
	s.poller = &azure.Poller{
		Client: s.client, Interval: cfg.PollInterval.D(), Overlap: cfg.Overlap.D(), Backfill: cfg.Backfill.D(),
		Now: o.Now, Log: log, Component: "graph",
		Streams: func(context.Context) ([]azure.Stream, error) {
			out := make([]azure.Stream, len(specs))
			for i, sp := range specs {
				out[i] = azure.Stream{
					Name: sp.name, IDField: "id", TimeField: sp.timeField, MaxAge: maxAge, MinOverlap: sp.minOverlap,
					URL: func(from, to time.Time) string { return sp.firstURL(base, cfg.PageSize, from, to) },
				}
			}
			return out, nil
		},
	}
	return s, nil
}

// graphAudience is the resource tokens are asked for: the endpoint itself when it is one
// of Microsoft's Graph hosts (DoD's dod-graph.microsoft.us is reached only by override),
// else the cloud's Graph — a proxy or the emulator in front of it takes Graph's tokens.
func graphAudience(base, cloudGraph string) string {
	u, err := url.Parse(base)
	if err != nil {
		return cloudGraph
	}
	switch strings.ToLower(u.Host) {
	case "graph.microsoft.com", "graph.microsoft.us", "dod-graph.microsoft.us", "microsoftgraph.chinacloudapi.cn":
		return "https://" + strings.ToLower(u.Host)
	}
	return cloudGraph
}

// Name is the configured source name.
func (s *Source) Name() string { return s.name }

// Run polls every configured stream each poll_interval until ctx ends or a request
// fails (the supervisor restarts it from the stored checkpoint).
func (s *Source) Run(ctx context.Context, from []byte, emit source.Emit) error {
	return s.poller.Run(ctx, from, emit)
}

var (
	_ source.Source    = (*Source)(nil)
	_ source.Describer = (*Source)(nil)
	_ source.Checker   = (*Source)(nil)
)
