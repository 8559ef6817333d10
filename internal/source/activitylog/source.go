// Package activitylog collects the Azure Activity Log — who created, changed or deleted
// what in the management plane — of every subscription a credential can read, one
// cursor per subscription, with an overlap for events Azure lists late.
package activitylog

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"github.com/vigil-sec/vigil/internal/source"
	"github.com/vigil-sec/vigil/internal/source/azure"
)

// maxAge is how long the Activity Log keeps events.
const maxAge = 90 * 24 * time.Hour

const (
	activityAPIVersion     = "2015-04-01"
	subscriptionAPIVersion = "2022-12-01"
)

// Option configures New: azure.WithLogger, WithHTTPClient, WithClock, WithBudgets.
type Option = azure.Option

// Source reads the Activity Log of a tenant's subscriptions. Run must not be called
// concurrently.
type Source struct {
	name   string
	cfg    Config
	arm    string
	client *azure.Client
	poller *azure.Poller
	log    *slog.Logger
}

// New makes a source from a validated config.
func New(cfg Config, opts ...Option) (*Source, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("activitylog: %w", err)
	}
	o, err := azure.Resolve(cfg.CAFile, opts)
	if err != nil {
		return nil, fmt.Errorf("activitylog: %w", err)
	}
	cl, _ := azure.LookupCloud(cfg.Cloud)
	base := cfg.ARMEndpoint
	if base == "" {
		base = cl.ARM
	}
	base = strings.TrimSuffix(base, "/")
	tokens, err := azure.NewTokens(cfg.Credentials, o.HTTP, cl.ARMAudience)
	if err != nil {
		return nil, fmt.Errorf("activitylog: %w", err)
	}
	name := cfg.Name
	if name == "" {
		name = "activitylog-" + cfg.TenantID
	}
	log := o.Log.With("source", name)
	s := &Source{
		name: name, cfg: cfg, arm: base, log: log,
		client: &azure.Client{
			HTTP: o.HTTP, Base: base, Home: cl.ARM,
			Tokens: tokens,
			Budget: o.Budgets.For(cfg.AppKey()+"/arm", cfg.RequestBudget, cfg.RequestWindow.D()),
		},
	}
	s.poller = &azure.Poller{
		Client: s.client, Interval: cfg.PollInterval.D(), Overlap: cfg.Overlap.D(), Backfill: cfg.Backfill.D(),
		Now: o.Now, Log: log, Component: "activitylog", Streams: s.streams,
	}
	return s, nil
}

// Name is the configured source name.
func (s *Source) Name() string { return s.name }

// Run polls every subscription each poll_interval until ctx ends or a request fails
// (the supervisor restarts it from the stored checkpoint).
func (s *Source) Run(ctx context.Context, from []byte, emit source.Emit) error {
	return s.poller.Run(ctx, from, emit)
}

// streams are this cycle's subscriptions, one stream each.
func (s *Source) streams(ctx context.Context) ([]azure.Stream, error) {
	subs := s.cfg.Subscriptions
	if len(subs) == 0 {
		var err error
		if subs, err = s.subscriptions(ctx); err != nil {
			return nil, err
		}
	}
	out := make([]azure.Stream, len(subs))
	for i, sub := range subs {
		sub = strings.ToLower(sub)
		out[i] = azure.Stream{
			Name: "subscriptions/" + sub, IDField: "eventDataId", TimeField: "eventTimestamp", MaxAge: maxAge,
			URL: func(from, to time.Time) string { return s.valuesURL(sub, from, to) },
		}
	}
	return out, nil
}

// armTime is how the Activity Log filter writes a time (quoted, as ISO 8601).
func armTime(t time.Time) string { return "'" + t.UTC().Format("2006-01-02T15:04:05Z") + "'" }

func (s *Source) valuesURL(sub string, from, to time.Time) string {
	filter := "eventTimestamp ge " + armTime(from) + " and eventTimestamp le " + armTime(to)
	return s.arm + "/subscriptions/" + url.PathEscape(sub) + "/providers/Microsoft.Insights/eventtypes/management/values?api-version=" +
		activityAPIVersion + "&$filter=" + strings.ReplaceAll(url.QueryEscape(filter), "+", "%20")
}

// subscriptions lists the subscriptions the credential can read, leaving out disabled
// and deleted ones (their Activity Log answers nothing new).
func (s *Source) subscriptions(ctx context.Context) ([]string, error) {
	var out []string
	for link := s.arm + "/subscriptions?api-version=" + subscriptionAPIVersion; link != ""; {
		page, err := s.client.GetPage(ctx, link)
		if err != nil {
			return nil, fmt.Errorf("activitylog: list subscriptions: %w", err)
		}
		for _, raw := range page.Values {
			var sub struct {
				ID    string `json:"subscriptionId"`
				State string `json:"state"`
			}
			if json.Unmarshal(raw, &sub) != nil || sub.ID == "" {
				continue
			}
			if sub.State == "Disabled" || sub.State == "Deleted" {
				continue
			}
			out = append(out, sub.ID)
		}
		link = page.NextLink
	}
	if len(out) == 0 {
		return nil, source.Permanent(fmt.Errorf("activitylog: the credential can read no subscription: assign it the Reader role (or Monitoring Reader) on each subscription, or list them under subscriptions"))
	}
	return out, nil
}

var (
	_ source.Source    = (*Source)(nil)
	_ source.Describer = (*Source)(nil)
	_ source.Checker   = (*Source)(nil)
)
