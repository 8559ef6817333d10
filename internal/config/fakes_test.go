package config

import (
	"errors"
	"fmt"
	"net/url"
	"time"
)

// The fakes below are provider configs as provider packages declare them (this package
// imports none): a Microsoft source, a files source, a CEF and a webhook output.

type provider struct {
	TenantID     string   `yaml:"tenant_id"`
	ClientID     string   `yaml:"client_id"`
	ClientSecret Secret   `yaml:"client_secret"`
	PollInterval Duration `yaml:"poll_interval"`
	Streams      []string `yaml:"streams"`
	PageSize     int      `yaml:"page_size"`
	Cloud        string   `yaml:"cloud"`
	Overlap      Duration `yaml:"overlap"`
	Backfill     Duration `yaml:"backfill"`
	// activitylog's own key; one struct serves both fakes.
	Subscriptions []string `yaml:"subscriptions"`
}

func (p provider) Validate() error {
	var errs []error
	if p.TenantID == "" {
		errs = append(errs, errors.New("tenant_id: required"))
	}
	if p.PollInterval < Duration(time.Second) {
		errs = append(errs, fmt.Errorf("poll_interval: at least 1s, got %s", p.PollInterval.D()))
	}
	return errors.Join(errs...)
}

type filesConfig struct {
	Paths     []string `yaml:"paths"`
	BatchSize int      `yaml:"batch_size"`
	MaxObject Size     `yaml:"max_object"`
}

func (f filesConfig) Validate() error {
	if len(f.Paths) == 0 {
		return errors.New("paths: required")
	}
	return nil
}

type cefConfig struct {
	Address  Address `yaml:"address"`
	Format   string  `yaml:"format"`
	MinScore int     `yaml:"min_score"`
}

func (c cefConfig) Validate() error {
	var errs Errors
	if c.Address.Network == "" {
		errs = append(errs, Error{Path: "address", Reason: "required"})
	}
	if c.Format != "rfc5424" && c.Format != "rfc3164" {
		errs = append(errs, Error{Path: "format", Reason: fmt.Sprintf("%q: want rfc5424 or rfc3164", c.Format)})
	}
	if len(errs) > 0 {
		return errs
	}
	return nil
}

type webhookConfig struct {
	URL    string `yaml:"url"`
	Secret Secret `yaml:"secret"`
}

func (w webhookConfig) Validate() error {
	u, err := url.Parse(w.URL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return errors.New("url: want an http:// or https:// URL")
	}
	return nil
}

func decoder[T any](defaults T) func(Item) error {
	return func(it Item) error {
		v := defaults
		return it.Decode(&v)
	}
}

// fakeDecoders register the fakes as cmd/vigil registers the real providers.
func fakeDecoders() (sources, outputs map[string]func(Item) error) {
	return map[string]func(Item) error{
			"graph":       decoder(provider{PollInterval: Duration(time.Minute)}),
			"activitylog": decoder(provider{PollInterval: Duration(time.Minute)}),
			"files":       decoder(filesConfig{BatchSize: 1000}),
		}, map[string]func(Item) error{
			"cef":     decoder(cefConfig{Format: "rfc5424"}),
			"webhook": decoder(webhookConfig{}),
		}
}

// loadAndCheck is what `vigil config check` does: Load, then each item's decoder.
func loadAndCheck(path string) (*Config, error) {
	cfg, err := Load(path)
	if cfg == nil {
		return nil, err
	}
	src, out := fakeDecoders()
	return cfg, errors.Join(err, cfg.Check(src, out))
}
