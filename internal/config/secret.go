package config

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
)

// Secret is a string that never prints: fmt, JSON, YAML and slog all show [redacted],
// so a config, an error or a log line cannot leak it by accident. Reveal gives the value
// to the one place that needs it.
type Secret string

const redacted = "[redacted]"

// Reveal returns the secret itself.
func (s Secret) Reveal() string { return string(s) }

func (s Secret) String() string   { return mask(s) }
func (s Secret) GoString() string { return mask(s) }

// Format prints [redacted] for every verb: without it, %d or %x of a Secret would print
// the value itself (fmt's bad-verb form) or its hex.
func (s Secret) Format(f fmt.State, _ rune) { io.WriteString(f, mask(s)) }

// MarshalText keeps the secret out of encoders that take text (map keys, XML, TOML).
func (s Secret) MarshalText() ([]byte, error) { return []byte(mask(s)), nil }

// LogValue keeps the secret out of structured logs.
func (s Secret) LogValue() slog.Value { return slog.StringValue(mask(s)) }

// MarshalJSON keeps the secret out of the API.
func (s Secret) MarshalJSON() ([]byte, error) { return json.Marshal(mask(s)) }

// MarshalYAML keeps the secret out of a written config.
func (s Secret) MarshalYAML() (any, error) { return mask(s), nil }

func mask(s Secret) string {
	if s == "" {
		return ""
	}
	return redacted
}
