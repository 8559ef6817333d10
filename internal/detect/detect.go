// Package detect is the detection stage's contract: a Detector sees normalized events and
// raises alerts. Children implement it: sigma/ (rules, and correlations of them) and
// behavior/ (pattern of life, with its chains of detections on one identity); detecttest/
// runs detection scripts.
//
// Offline (vigil hunt) one Fanout sees every event in event-time order. The live pipeline
// splits the work by what needs order: sigma's ArrivalDetector (single-event rules, no
// state) sees events as they arrive; sigma's OrderedDetector (correlations) and the
// behavioural detector see each entity's events in event-time order once a watermark says
// the events up to a time are in, and Advance as it moves. The split raises the same alerts,
// with the same ids, as one Detector over the ordered stream.
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
// entity at least) unless the detector says it keeps no state between events; a detector
// keeps per-entity state keyed by entity, so events can be partitioned by entity across
// detector instances.
type Detector interface {
	Name() string
	// Observe processes one event. It must not keep ev, or anything pointing into it (its
	// Raw bytes above all), after returning: the caller may reuse the event and its buffer.
	// It changes nothing of ev but its score: a scoring detector (behavior) sets
	// ev.Vigil.Score and ScoreReason for the store and the console, and no detector reads
	// them, so the order of detectors in a Fanout changes no alert.
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
