package graph

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/vigil-sec/vigil/internal/config"
	"github.com/vigil-sec/vigil/internal/source/azure"
)

// Config is a `type: graph` source: one tenant's Entra ID logs through Microsoft Graph.
type Config struct {
	// Name and Type are the source list entry's own keys; Name becomes the source's name.
	Name              string `yaml:"name"`
	Type              string `yaml:"type"`
	azure.Credentials `yaml:",inline"`
	// GraphEndpoint overrides the cloud's Graph host (a proxy, a private endpoint).
	GraphEndpoint string `yaml:"graph_endpoint"`
	// PollInterval is the time from one cycle's start to the next; a cycle that takes
	// longer is followed at once.
	PollInterval config.Duration `yaml:"poll_interval"`
	// Overlap is how far before its cursor each query starts again, for records that
	// Graph makes available late; the ids seen within it are skipped.
	Overlap config.Duration `yaml:"overlap"`
	// Backfill is how far back the first start reads (nil checkpoint).
	Backfill config.Duration `yaml:"backfill"`
	// PageSize is $top; Graph's maximum is 1,000 for the logs (2,000 for alerts).
	PageSize int `yaml:"page_size"`
	// Streams are the logs to read (signins, noninteractive, serviceprincipal,
	// managedidentity, directory_audits, risk_detections, alerts); empty reads all.
	Streams []string `yaml:"streams"`
	// RequestBudget is how many requests per 10 seconds this app may send to this
	// tenant, shared by every source with the same app and tenant; Graph's reports
	// service throttles beyond 5.
	RequestBudget int `yaml:"request_budget"`
	// RequestWindow is the window RequestBudget counts in (default 10s).
	RequestWindow config.Duration `yaml:"request_window"`
}

// DefaultConfig returns the defaults: every stream, a poll a minute, 30 minutes of
// overlap (Entra ID makes 99% of sign-ins and audits available within 5 minutes, but
// non-interactive sign-ins often take 15 to 30; risk detections and alerts get more,
// see streams), one day of backfill, pages of 1,000, and Graph's reports budget of 5
// requests per 10 seconds.
func DefaultConfig() Config {
	return Config{
		Type:          "graph",
		Credentials:   azure.DefaultCredentials(),
		PollInterval:  config.Duration(60 * time.Second),
		Overlap:       config.Duration(30 * time.Minute),
		Backfill:      config.Duration(24 * time.Hour),
		PageSize:      1000,
		RequestBudget: 5,
		RequestWindow: config.Duration(10 * time.Second),
	}
}

// Validate checks the settings; each error names its key.
func (c Config) Validate() error {
	errs := []error{c.Credentials.Validate()}
	if c.Type != "" && c.Type != "graph" {
		errs = append(errs, fmt.Errorf("type: %q is not graph", c.Type))
	}
	if err := azure.CheckEndpoint(c.GraphEndpoint); err != nil {
		errs = append(errs, fmt.Errorf("graph_endpoint: %w", err))
	}
	if c.PollInterval.D() <= 0 {
		errs = append(errs, errors.New("poll_interval: must be positive"))
	}
	if c.Overlap.D() < 0 {
		errs = append(errs, errors.New("overlap: must not be negative"))
	}
	if c.Backfill.D() < 0 || c.Backfill.D() > maxAge {
		errs = append(errs, fmt.Errorf("backfill: must be between 0 and %s (Graph keeps the logs 30 days)", "30d"))
	}
	if c.PageSize < 1 || c.PageSize > 1000 {
		errs = append(errs, errors.New("page_size: must be between 1 and 1000"))
	}
	if c.RequestBudget < 0 {
		errs = append(errs, errors.New("request_budget: must not be negative (0 is unlimited)"))
	}
	if c.RequestBudget > 0 && c.RequestWindow.D() <= 0 {
		errs = append(errs, errors.New("request_window: must be positive"))
	}
	seen := map[string]bool{}
	for i, s := range c.Streams {
		if _, ok := lookupStream(s); !ok {
			errs = append(errs, fmt.Errorf("streams[%d]: unknown stream %q (want %s)", i, s, strings.Join(streamNames(), ", ")))
		} else if seen[s] {
			errs = append(errs, fmt.Errorf("streams[%d]: %q listed twice", i, s))
		}
		seen[s] = true
	}
	return errors.Join(errs...)
}

// streamsOf is the configured streams in the table's order. When none are named it is
// all of them, less risk detections in the China cloud, which has no Identity
// Protection API.
func (c Config) streamsOf() []streamSpec {
	var out []streamSpec
	for _, s := range streams {
		switch {
		case len(c.Streams) > 0 && !slices.Contains(c.Streams, s.name):
		case len(c.Streams) == 0 && s.name == "risk_detections" && strings.EqualFold(c.Cloud, "china"):
		default:
			out = append(out, s)
		}
	}
	return out
}
