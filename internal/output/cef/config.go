package cef

import (
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/vigil-sec/vigil/internal/config"
	"github.com/vigil-sec/vigil/internal/output"
)

// Syslog header formats and TCP framings.
const (
	FormatRFC5424 = "rfc5424"
	FormatRFC3164 = "rfc3164"

	FramingOctetCounting = "octet-counting"
	FramingNewline       = "newline"
)

// Config is a `type: cef` output.
type Config struct {
	// Name and Type are the output list entry's own keys; Name names the output and its queue.
	Name string `yaml:"name"`
	Type string `yaml:"type"`
	// Address is udp://HOST:PORT, tcp://HOST:PORT or tls://HOST:PORT.
	Address config.Address `yaml:"address"`
	// Format is the syslog header: rfc5424 (default) or rfc3164 (BSD).
	Format string `yaml:"format"`
	// Framing separates messages on TCP and TLS: octet-counting (RFC 6587 §3.4.1, the
	// default) or newline. UDP sends one message per datagram.
	Framing string `yaml:"framing"`
	// Facility is the syslog facility number, 0–23 (default 10, authpriv).
	Facility int `yaml:"facility"`
	// Hostname is the syslog HOSTNAME field (default: this machine's name).
	Hostname string `yaml:"hostname"`
	// AppName is the RFC 5424 APP-NAME and the RFC 3164 TAG (default vigil).
	AppName string `yaml:"app_name"`
	// Product is the CEF Device Product (default Vigil); the vendor is always Vigil.
	Product string `yaml:"product"`
	// CAFile, ServerName and InsecureSkipVerify set up TLS; CertFile and KeyFile give a
	// client certificate when the receiver asks for one.
	CAFile             string `yaml:"ca_file"`
	CertFile           string `yaml:"cert_file"`
	KeyFile            string `yaml:"key_file"`
	ServerName         string `yaml:"server_name"`
	InsecureSkipVerify bool   `yaml:"insecure_skip_verify"`
	// Timeout bounds connecting and each batch's write (default 10s).
	Timeout config.Duration `yaml:"timeout"`
	// The filter and time offset every output has.
	output.Common `yaml:",inline"`
}

// DefaultConfig returns the defaults: RFC 5424, octet counting, facility authpriv.
func DefaultConfig() Config {
	return Config{Type: "cef", Format: FormatRFC5424, Framing: FramingOctetCounting, Facility: 10,
		AppName: "vigil", Product: "Vigil", Timeout: config.Duration(10 * time.Second)}
}

// Validate checks the settings; each error names its key.
func (c Config) Validate() error {
	errs := []error{c.Common.Validate()}
	if c.Type != "" && c.Type != "cef" {
		errs = append(errs, fmt.Errorf("type: %q is not cef", c.Type))
	}
	if c.Address.Network == "" {
		errs = append(errs, errors.New("address: required (udp://HOST:PORT, tcp://HOST:PORT or tls://HOST:PORT)"))
	}
	if c.Format != FormatRFC5424 && c.Format != FormatRFC3164 {
		errs = append(errs, fmt.Errorf("format: %q: want rfc5424 or rfc3164", c.Format))
	}
	if c.Framing != FramingOctetCounting && c.Framing != FramingNewline {
		errs = append(errs, fmt.Errorf("framing: %q: want octet-counting or newline", c.Framing))
	}
	if c.Facility < 0 || c.Facility > 23 {
		errs = append(errs, errors.New("facility: must be between 0 and 23"))
	}
	if c.AppName == "" || len(c.AppName) > 48 {
		errs = append(errs, errors.New("app_name: must be 1 to 48 characters"))
	}
	if c.Product == "" {
		errs = append(errs, errors.New("product: required"))
	}
	if c.Timeout.D() <= 0 {
		errs = append(errs, errors.New("timeout: must be positive"))
	}
	if (c.CertFile == "") != (c.KeyFile == "") {
		errs = append(errs, errors.New("cert_file: cert_file and key_file go together"))
	}
	if c.Address.Network != "tls" && (c.CAFile != "" || c.CertFile != "" || c.ServerName != "" || c.InsecureSkipVerify) {
		errs = append(errs, errors.New("address: ca_file, cert_file, server_name and insecure_skip_verify need a tls:// address"))
	}
	for _, f := range []struct{ key, path string }{{"ca_file", c.CAFile}, {"cert_file", c.CertFile}, {"key_file", c.KeyFile}} {
		key, path := f.key, f.path
		if path == "" {
			continue
		}
		if _, err := os.Stat(path); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", key, err))
		}
	}
	return errors.Join(errs...)
}

// QueueOptions are the queue settings this output's config implies (its filter and time
// offset); the caller adds the logger.
func (c Config) QueueOptions() output.QueueOptions {
	return output.QueueOptions{Filter: c.Common}
}
