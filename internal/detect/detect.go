// Package detect is the detection stage's contract: a Detector sees normalized events in
// event-time order and raises alerts. Children implement it: sigma/ (rules), behavior/
// (pattern of life) and chain/ (incidents); detecttest/ runs detection scripts.
package detect

import (
	"context"
	"time"

	"github.com/vigil-sec/vigil/internal/alert"
	"github.com/vigil-sec/vigil/internal/event"
)

// Emit receives alerts as a detector raises them.
type Emit func(alert.Alert)

// A Detector looks at events and raises alerts. Events reach it in event-time order (per
// entity at least); a detector keeps per-entity state keyed by entity, so events can be
// partitioned by entity across detector instances.
type Detector interface {
	Name() string
	// Observe processes one event. It must not keep ev after returning (copy what it needs).
	Observe(ctx context.Context, ev *event.Event, emit Emit) error
	// Advance tells the detector that event time has reached now, so windowed detections
	// due by then are raised. At the end of a stream it is called with the last event time
	// plus the longest window, so every pending window closes.
	Advance(ctx context.Context, now time.Time, emit Emit) error
}

// Fanout runs several detectors as one, in order.
type Fanout []Detector

// Name lists the members.
func (f Fanout) Name() string { return "fanout" }

// Observe gives ev to every member; it stops at the first error.
func (f Fanout) Observe(ctx context.Context, ev *event.Event, emit Emit) error {
	for _, d := range f {
		if err := d.Observe(ctx, ev, emit); err != nil {
			return err
		}
	}
	return nil
}

// Advance advances every member.
func (f Fanout) Advance(ctx context.Context, now time.Time, emit Emit) error {
	for _, d := range f {
		if err := d.Advance(ctx, now, emit); err != nil {
			return err
		}
	}
	return nil
}

var _ Detector = Fanout(nil)
