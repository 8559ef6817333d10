package webhook

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/vigil-sec/vigil/internal/config"
	"github.com/vigil-sec/vigil/internal/output"
)

// Message formats.
const (
	FormatJSON  = "json"
	FormatSlack = "slack"
	FormatTeams = "teams"
)

// Config is a `type: webhook` output.
type Config struct {
	// Name and Type are the output list entry's own keys; Name names the output and its queue.
	Name string `yaml:"name"`
	Type string `yaml:"type"`
	// URL is the endpoint (https, or http for a receiver on the same host or network).
	URL string `yaml:"url"`
	// Secret is the HMAC key of the signature (secret_file reads it from a file). Required
	// for the json format; Slack and Teams URLs carry their own secret and ignore it.
	Secret config.Secret `yaml:"secret"`
	// Format is json (default), slack or teams.
	Format string `yaml:"format"`
	// Headers are sent with every request (an Authorization header, for example).
	Headers map[string]string `yaml:"headers"`
	// Timeout bounds one request (default 10s).
	Timeout config.Duration `yaml:"timeout"`
	// ConsoleURL, when set, links each Slack and Teams message to the alert in the console.
	ConsoleURL string `yaml:"console_url"`
	// The filter and time offset every output has.
	output.Common `yaml:",inline"`
}

// DefaultConfig returns the defaults: the json format, 10s per request.
func DefaultConfig() Config {
	return Config{Type: "webhook", Format: FormatJSON, Timeout: config.Duration(10 * time.Second)}
}

// Validate checks the settings; each error names its key and never quotes the secret.
func (c Config) Validate() error {
	errs := []error{c.Common.Validate()}
	if c.Type != "" && c.Type != "webhook" {
		errs = append(errs, fmt.Errorf("type: %q is not webhook", c.Type))
	}
	if err := checkURL(c.URL); err != nil {
		errs = append(errs, fmt.Errorf("url: %w", err))
	}
	switch c.Format {
	case FormatJSON:
		if c.Secret == "" {
			errs = append(errs, errors.New("secret: required for the json format (the receiver checks X-Vigil-Signature with it)"))
		}
	case FormatSlack, FormatTeams:
	default:
		errs = append(errs, fmt.Errorf("format: %q: want json, slack or teams", c.Format))
	}
	if c.Timeout.D() <= 0 {
		errs = append(errs, errors.New("timeout: must be positive"))
	}
	for k := range c.Headers {
		if k == "" || strings.ContainsAny(k, " :\r\n") || http.CanonicalHeaderKey(k) == "Content-Type" {
			errs = append(errs, fmt.Errorf("headers: %q is not a header Vigil can set", k))
		}
	}
	if c.ConsoleURL != "" {
		if err := checkURL(c.ConsoleURL); err != nil {
			errs = append(errs, fmt.Errorf("console_url: %w", err))
		}
	}
	return errors.Join(errs...)
}

func checkURL(s string) error {
	if s == "" {
		return errors.New("required")
	}
	u, err := url.Parse(s)
	if err != nil {
		return errors.New("not a URL")
	}
	if (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return errors.New("want an http:// or https:// URL with a host")
	}
	return nil
}

// QueueOptions are the queue settings this output's config implies (its filter and time
// offset); the caller adds the logger. Slack and Teams take one message per alert.
func (c Config) QueueOptions() output.QueueOptions {
	o := output.QueueOptions{Filter: c.Common}
	if c.Format != FormatJSON {
		o.BatchSize = 20
	}
	return o
}
