package normalize

import (
	"context"
	"io"

	"github.com/vigil-sec/vigil/internal/event"
)

// Stats counts what normalization did.
type Stats struct {
	Records  int // records found in the input
	Events   int // events emitted, unparsed ones included
	Unparsed int // records that became `unparsed` events
	Repaired int // records that parsed only after repair
	Skipped  int // recognised non-event records (CloudTrail digests)
}

// Add adds o to s.
func (s *Stats) Add(o Stats) {
	s.Records += o.Records
	s.Events += o.Events
	s.Unparsed += o.Unparsed
	s.Repaired += o.Repaired
	s.Skipped += o.Skipped
}

// EmitFunc receives each event. The event is the callee's to keep.
type EmitFunc func(ev *event.Event) error

// Normalizer reads native input with a set of parsers.
type Normalizer struct {
	parsers []Parser
	forced  Parser // set by WithFormat: no detection
}

// New returns a Normalizer that tries parsers in order.
func New(parsers ...Parser) *Normalizer {
	return &Normalizer{parsers: parsers}
}

// Stream reads every record of r (gzip, a JSON array, a provider wrapper such as
// {"Records":[...]}, {"value":[...]} or {"records":[...]}, JSON lines, CSV with a header, or
// one object) and emits one event per record in input order. name is used in messages.
// It returns an error only when r fails or emit does; bad records become unparsed events.
func (n *Normalizer) Stream(ctx context.Context, r io.Reader, name string, emit EmitFunc) (Stats, error) {
	return n.stream(ctx, r, name, emit)
}
