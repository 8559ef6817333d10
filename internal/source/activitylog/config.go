package activitylog

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/vigil-sec/vigil/internal/config"
	"github.com/vigil-sec/vigil/internal/source/azure"
)

// Config is a `type: activitylog` source: the Azure Activity Log (management plane) of
// the subscriptions one credential can read.
type Config struct {
	// Name and Type are the source list entry's own keys; Name becomes the source's name.
	Name              string `yaml:"name"`
	Type              string `yaml:"type"`
	azure.Credentials `yaml:",inline"`
	// ARMEndpoint overrides the cloud's Resource Manager host.
	ARMEndpoint string `yaml:"arm_endpoint"`
	// Subscriptions are the subscription ids to read; empty reads every subscription
	// GET /subscriptions lists for the credential, looked up again each cycle.
	Subscriptions []string        `yaml:"subscriptions"`
	PollInterval  config.Duration `yaml:"poll_interval"`
	// Overlap is how far before its cursor each query starts again: the Activity Log
	// delivers events late and out of order.
	Overlap  config.Duration `yaml:"overlap"`
	Backfill config.Duration `yaml:"backfill"`
	// PageSize is accepted for symmetry with the Graph source; the Activity Log API has
	// no page size parameter (the service pages by 200), so it changes nothing.
	PageSize int `yaml:"page_size"`
	// RequestBudget is how many requests per 10 seconds this app may send to ARM for
	// this tenant, shared by every source with the same app and tenant.
	RequestBudget int `yaml:"request_budget"`
	// RequestWindow is the window RequestBudget counts in (default 10s).
	RequestWindow config.Duration `yaml:"request_window"`
}

// DefaultConfig returns the defaults: every readable subscription, a poll a minute, 30
// minutes of overlap (Activity Log events take from a few minutes to about 20 to be
// listed), one day of backfill, 100 requests per 10 seconds (ARM's read bucket is 250
// per subscription and principal, refilled at 25 a second).
func DefaultConfig() Config {
	return Config{
		Type:          "activitylog",
		Credentials:   azure.DefaultCredentials(),
		PollInterval:  config.Duration(60 * time.Second),
		Overlap:       config.Duration(30 * time.Minute),
		Backfill:      config.Duration(24 * time.Hour),
		PageSize:      200,
		RequestBudget: 100,
		RequestWindow: config.Duration(10 * time.Second),
	}
}

// subscriptionID is a subscription's GUID.
var subscriptionID = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// Validate checks the settings; each error names its key.
func (c Config) Validate() error {
	errs := []error{c.Credentials.Validate()}
	if c.Type != "" && c.Type != "activitylog" {
		errs = append(errs, fmt.Errorf("type: %q is not activitylog", c.Type))
	}
	if err := azure.CheckEndpoint(c.ARMEndpoint); err != nil {
		errs = append(errs, fmt.Errorf("arm_endpoint: %w", err))
	}
	if c.PollInterval.D() <= 0 {
		errs = append(errs, errors.New("poll_interval: must be positive"))
	}
	if c.Overlap.D() < 0 {
		errs = append(errs, errors.New("overlap: must not be negative"))
	}
	if c.Backfill.D() < 0 || c.Backfill.D() > maxAge-time.Hour {
		errs = append(errs, errors.New("backfill: must be between 0 and 89d (the Activity Log keeps 90 days)"))
	}
	if c.PageSize < 0 || c.PageSize > 1000 {
		errs = append(errs, errors.New("page_size: must be between 0 and 1000"))
	}
	if c.RequestBudget < 0 {
		errs = append(errs, errors.New("request_budget: must not be negative (0 is unlimited)"))
	}
	if c.RequestBudget > 0 && c.RequestWindow.D() <= 0 {
		errs = append(errs, errors.New("request_window: must be positive"))
	}
	seen := map[string]bool{}
	for i, s := range c.Subscriptions {
		if !subscriptionID.MatchString(s) {
			errs = append(errs, fmt.Errorf("subscriptions[%d]: %q is not a subscription id (a GUID)", i, s))
		} else if seen[strings.ToLower(s)] {
			errs = append(errs, fmt.Errorf("subscriptions[%d]: %q listed twice", i, s))
		}
		seen[strings.ToLower(s)] = true
	}
	return errors.Join(errs...)
}
