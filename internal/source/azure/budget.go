package azure

import (
	"context"
	"sync"
	"time"
)

// Limiter keeps requests within n per window over any window of that length: it
// remembers when the last n were sent and lets the next go only once the oldest is a
// window old. (A token bucket of n refilled at n per window would let up to 2n through
// in one window, and the services count in fixed or sliding windows: Graph's reports
// service allows 5 requests per 10 seconds per app and tenant.) Every source signing in
// as one app to one tenant shares one Limiter and spends the budget before the service
// has to say 429.
type Limiter struct {
	mu     sync.Mutex
	window time.Duration
	sent   []time.Time // the last n sends, oldest first; nil when unlimited
	next   int         // ring position of the oldest
	now    func() time.Time
}

// windowMargin widens the window a little: the service counts when a request arrives,
// the limiter when it leaves, and the two clocks' windows need not line up.
const windowMargin = 1.05

// NewLimiter allows n requests per window; n <= 0 allows everything.
func NewLimiter(n int, window time.Duration) *Limiter {
	if n <= 0 || window <= 0 {
		return &Limiter{}
	}
	return &Limiter{window: time.Duration(float64(window) * windowMargin), sent: make([]time.Time, n), now: time.Now}
}

// Wait blocks until a request may go, or ctx ends.
func (l *Limiter) Wait(ctx context.Context) error {
	for {
		d := l.reserve()
		if d == 0 {
			return nil
		}
		t := time.NewTimer(d)
		select {
		case <-ctx.Done():
			t.Stop()
			return context.Cause(ctx)
		case <-t.C:
		}
	}
}

// reserve records a send and returns 0, or returns how long until one may go.
func (l *Limiter) reserve() time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.sent) == 0 {
		return 0
	}
	now := l.now()
	oldest := l.sent[l.next]
	if wait := oldest.Add(l.window).Sub(now); !oldest.IsZero() && wait > 0 {
		return wait
	}
	l.sent[l.next] = now
	l.next = (l.next + 1) % len(l.sent)
	return 0
}

// Budgets hands out one Limiter per app, tenant and API, so sources configured with the
// same credentials share it. The pipeline makes one Budgets and gives it to every
// Microsoft source (WithBudgets); a source without one has a budget of its own.
type Budgets struct {
	mu       sync.Mutex
	limiters map[string]*Limiter
}

// NewBudgets returns an empty registry.
func NewBudgets() *Budgets { return &Budgets{limiters: map[string]*Limiter{}} }

// For returns the limiter of key (app@tenant plus the API), making it with n per window
// on first use; later callers share the first caller's numbers.
func (b *Budgets) For(key string, n int, window time.Duration) *Limiter {
	b.mu.Lock()
	defer b.mu.Unlock()
	if l, ok := b.limiters[key]; ok {
		return l
	}
	l := NewLimiter(n, window)
	b.limiters[key] = l
	return l
}
