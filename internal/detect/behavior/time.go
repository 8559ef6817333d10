package behavior

import (
	"time"

	"github.com/vigil-sec/vigil/internal/event"
)

// millis is an instant the detector keeps or compares: milliseconds since the Unix epoch,
// the unit of event.Event.Time (as Prometheus' model.Time). Every time in the detector's
// state is one and every span between two is a time.Duration, so seconds, hours and
// milliseconds cannot be mixed without a conversion that shows. Hours and days since the
// epoch, which profiles keep in 32 bits, are only ever derived from one (hour, day).
type millis int64

// Event times outside [2000, 2200) are not learned from: hours since the epoch must fit
// the profiles' 32-bit fields, and spans between two times must fit a time.Duration.
const (
	minTime millis = 946_684_800_000
	maxTime millis = 7_258_118_400_000
)

// eventTime is when ev happened.
func eventTime(ev *event.Event) millis { return millis(ev.Time) }

// toMillis converts a time.Time.
func toMillis(t time.Time) millis { return millis(t.UnixMilli()) }

// Add returns t moved by d (to the millisecond).
func (t millis) Add(d time.Duration) millis { return t + millis(d.Milliseconds()) }

// Sub returns the span from u to t.
func (t millis) Sub(u millis) time.Duration { return time.Duration(t-u) * time.Millisecond }

// Time returns t as a time.Time in UTC.
func (t millis) Time() time.Time { return time.UnixMilli(int64(t)).UTC() }

// hour is the number of whole hours since the epoch.
func (t millis) hour() int64 { return int64(t) / int64(time.Hour/time.Millisecond) }

// hourFraction is how far into its hour t is, in [0, 1).
func (t millis) hourFraction() float64 {
	const h = int64(time.Hour / time.Millisecond)
	return float64(int64(t)%h) / float64(h)
}

// day is the number of whole days since the epoch (UTC).
func (t millis) day() int64 { return int64(t) / int64(24*time.Hour/time.Millisecond) }
