package normalize

import (
	"context"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/vigil-sec/vigil/internal/event"
	"github.com/vigil-sec/vigil/internal/rawjson"
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

// Normalizer reads native input with a set of parsers. It is safe for concurrent use.
type Normalizer struct {
	parsers []Parser
	forced  Parser // set by WithFormat: no detection
	now     func() time.Time
	sinks   *sync.Pool // *recordSink, so per-message calls reuse the probe's memory
}

// New returns a Normalizer that tries parsers in order.
func New(parsers ...Parser) *Normalizer {
	return &Normalizer{parsers: parsers, now: time.Now, sinks: &sync.Pool{New: func() any { return new(recordSink) }}}
}

// WithFormat returns a Normalizer that gives every record to the named parser, skipping
// detection.
func (n *Normalizer) WithFormat(name string) (*Normalizer, error) {
	for _, p := range n.parsers {
		if strings.EqualFold(p.Format(), name) {
			c := *n
			c.forced = p
			return &c, nil
		}
	}
	var names []string
	for _, p := range n.parsers {
		names = append(names, p.Format())
	}
	return nil, fmt.Errorf("normalize: unknown format %q (known: %s)", name, strings.Join(names, ", "))
}

// WithClock returns a Normalizer that reads processing times from now (for tests).
func (n *Normalizer) WithClock(now func() time.Time) *Normalizer {
	c := *n
	c.now = now
	return &c
}

// Stream reads every record of r (gzip, a JSON array, a provider wrapper such as
// {"Records":[...]}, {"value":[...]} or {"records":[...]}, JSON lines, CSV with a header, or
// one object) and emits one event per record in input order. name is used in messages.
// It returns an error only when r fails or emit does; bad records become unparsed events.
func (n *Normalizer) Stream(ctx context.Context, r io.Reader, name string, emit EmitFunc) (Stats, error) {
	return n.stream(ctx, r, name, emit)
}

// Record normalizes one record already cut out of its container (a Kafka message holding a
// single record, say). Wrappers are unwrapped, so a whole {"records":[...]} body works too.
func (n *Normalizer) Record(ctx context.Context, rec []byte, emit EmitFunc) (Stats, error) {
	rs := n.sinks.Get().(*recordSink)
	rs.n, rs.ctx, rs.emit, rs.stats = n, ctx, emit, Stats{}
	err := rs.document(rec)
	st := rs.stats
	rs.ctx, rs.emit = nil, nil
	n.sinks.Put(rs)
	return st, err
}

// parserFor picks the parser for a record.
func (n *Normalizer) parserFor(p *rawjson.Probe) Parser {
	if n.forced != nil {
		return n.forced
	}
	for _, ps := range n.parsers {
		if ps.Detect(p) {
			return ps
		}
	}
	return nil
}
