// Package normalize turns native log records into normalized events. It owns what is common
// to every format: reading files and streams (gzip, JSON arrays, provider wrappers, JSON
// lines, CSV), splitting them into records, repairing dirty JSON, choosing the parser for
// each record, and the `unparsed` event for anything no parser can take. Each child package
// is one native format and implements Parser.
package normalize

import (
	"errors"

	"github.com/vigil-sec/vigil/internal/event"
	"github.com/vigil-sec/vigil/internal/rawjson"
)

// A Parser normalizes records of one native format.
type Parser interface {
	// Format is the parser's name, used by `vigil parse --format` and in vigil.source
	// ("cloudtrail", "entra", "activitylog"; records no parser takes are "unparsed").
	Format() string
	// Detect reports whether the record, seen through its top-level keys, is of this format.
	// It must be cheap: it runs for every record until one parser claims it.
	Detect(p *rawjson.Probe) bool
	// Parse fills ev (zeroed by the caller) from rec, one JSON object that is valid JSON,
	// whose probe the caller already computed (parsers use it instead of scanning again).
	// It sets everything but Raw and Metadata.ProcessedTime, which the caller sets. It
	// returns ErrNotEvent for records that are not events (a CloudTrail digest), and any
	// other error for a record it recognised but could not normalize.
	Parse(rec []byte, p *rawjson.Probe, ev *event.Event) error
}

// ErrNotEvent marks a record that is recognised but is not a log event, such as a
// CloudTrail digest file. It is counted and skipped, never turned into an event.
var ErrNotEvent = errors.New("not an event")

// OperationMapping documents which native operations a parser maps to a category.
// docs/categories.md is generated from these, so they must come from the same tables the
// parser uses, never a hand-kept copy.
type OperationMapping struct {
	Category   event.Category
	Source     string   // e.g. "CloudTrail", "Entra sign-ins", "Azure Activity Log"
	Operations []string // native operation names, error codes or rules, as a person would search for them
}

// A Documenter is a Parser that can list its category mappings.
type Documenter interface {
	Mappings() []OperationMapping
}
