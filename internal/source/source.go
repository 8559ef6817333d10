// Package source is the collection stage's contract: a Source delivers batches of native
// records with an opaque checkpoint, and the pipeline stores each batch's events and its
// checkpoint in one transaction before the source may move its cursor. Child packages are
// the providers (graph/, activitylog/, and later eventhub/, cloudtrail/, file/).
package source

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/vigil-sec/vigil/internal/event"
)

// Batch is what a source delivers at once: native records and the position after them.
type Batch struct {
	// Stream names the part of the source the records came from ("signIns",
	// "subscriptions/<id>"), for health and logs. May be empty.
	Stream string
	// Records are native records or whole documents as the provider delivered them (a
	// Graph record, a {"records":[…]} body, a CloudTrail object); each is normalized as a
	// document, so wrappers are unwrapped.
	Records [][]byte
	// Events are records a source normalized itself: a file source, since framing a file
	// (gzip, JSON lines, CSV, arrays) is what the normalizer's streaming reader does. They
	// are stored like the events of Records.
	Events []*event.Event
	// Available is when the provider made the records available, as well as the source
	// can tell (the poll's time when the provider does not say).
	Available time.Time
	// Checkpoint is the source's whole position after this batch (every stream's cursor),
	// stored in the same transaction as the batch's events and handed back to Run after a
	// restart. Nil leaves the stored checkpoint as it is.
	Checkpoint []byte
	// EndOfPoll marks the last batch of a poll cycle that completed (it may hold no
	// records): health counts it as a successful poll, and the source's watermark moves.
	EndOfPoll bool
	// Watermark, with EndOfPoll, says the source has delivered every record the provider
	// made available before it (zero means Available): detections that need event-time
	// order wait for it, less the allowed lateness. A file source sets its newest event.
	Watermark time.Time
}

// Emit stores a batch. When it returns nil the batch's events and checkpoint are durable
// and the source may move its provider-side cursor (commit Kafka offsets, delete SQS
// messages). An error is the pipeline's (ctx ended, store failed): Run returns it.
type Emit func(ctx context.Context, b Batch) error

// A Source delivers batches of native records until ctx ends. It starts from the last
// stored checkpoint (nil on a first start). It must not retry failures on its own beyond
// what one request needs: it returns the error and the supervisor restarts it after a
// backoff (the wait a RetryAfter error asks for, else jittered exponential).
type Source interface {
	Name() string
	Run(ctx context.Context, from []byte, emit Emit) error
}

// RetryAfter is an error that asks the supervisor to wait before restarting the source:
// the provider throttled it (HTTP 429/503 with Retry-After) or said when to come back.
type RetryAfter struct {
	Wait time.Duration
	Err  error
}

func (e *RetryAfter) Error() string {
	return fmt.Sprintf("%v (retry after %s)", e.Err, e.Wait)
}

func (e *RetryAfter) Unwrap() error { return e.Err }

// ErrPermanent marks an error no retry can mend (a bad secret, a missing permission, a
// wrong tenant): the supervisor reports it and retries only slowly.
var ErrPermanent = errors.New("permanent")

// Permanent wraps err so errors.Is(err, ErrPermanent) holds.
func Permanent(err error) error { return fmt.Errorf("%w: %w", ErrPermanent, err) }

// Describer is implemented by sources that can say what they need, for health and
// `vigil config check --online`.
type Describer interface {
	// Endpoints are the URLs or addresses the source talks to.
	Endpoints() []string
	// Permissions are the provider permissions the source needs, by their provider names
	// (Graph "AuditLog.Read.All", ARM "Microsoft.Insights/eventtypes/values/read").
	Permissions() []string
}

// Checker is implemented by sources that can test their credentials and permissions
// without collecting: each missing permission is named in the error.
type Checker interface {
	Check(ctx context.Context) error
}
