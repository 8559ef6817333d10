package azure

import (
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// DefaultThrottleWait is the wait after a 429 or 503 that named none. Graph's guidance
// is to back off and retry; its reports service allows 5 requests per 10 seconds per app
// and tenant, so a wait of several windows lets the budget refill.
const DefaultThrottleWait = 30 * time.Second

// maxRetryAfter caps what a server may ask for, so a garbled header cannot park a source
// for days.
const maxRetryAfter = time.Hour

// ParseRetryAfter reads a Retry-After header: delay-seconds ("120") or an HTTP date.
// It reports false when the header is absent or unreadable. The wait is capped at an hour.
func ParseRetryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	var d time.Duration
	if secs, err := strconv.ParseFloat(v, 64); err == nil {
		if secs < 0 {
			return 0, false
		}
		d = time.Duration(secs * float64(time.Second))
	} else if t, err := http.ParseTime(v); err == nil {
		d = t.Sub(now)
		if d < 0 {
			d = 0
		}
	} else {
		return 0, false
	}
	return min(d, maxRetryAfter), true
}

// Jitter spreads d by ±frac (0.2 = ±20%), so sources throttled together do not come
// back together.
func Jitter(d time.Duration, frac float64) time.Duration {
	if d <= 0 || frac <= 0 {
		return d
	}
	return time.Duration(float64(d) * (1 - frac + 2*frac*rand.Float64()))
}

// Backoff is the wait before attempt n (0-based): base doubled each attempt up to max,
// with full jitter in its upper half (the "equal jitter" of the AWS architecture blog).
func Backoff(n int, base, max time.Duration) time.Duration {
	if base <= 0 {
		return 0
	}
	d := base
	for i := 0; i < n && d < max; i++ {
		d *= 2
	}
	d = min(d, max)
	half := d / 2
	return half + time.Duration(rand.Int64N(int64(half)+1))
}

// throttleWait is the wait a throttling reply asks for: its Retry-After, else the
// millisecond headers some Azure services send (retry-after-ms, x-ms-retry-after-ms),
// else the default, jittered.
func throttleWait(h http.Header, now time.Time) time.Duration {
	if d, ok := ParseRetryAfter(h.Get("Retry-After"), now); ok {
		return d
	}
	for _, k := range []string{"Retry-After-Ms", "X-Ms-Retry-After-Ms"} {
		if ms, err := strconv.ParseInt(strings.TrimSpace(h.Get(k)), 10, 64); err == nil && ms >= 0 {
			return min(time.Duration(ms)*time.Millisecond, maxRetryAfter)
		}
	}
	return Jitter(DefaultThrottleWait, 0.2)
}
