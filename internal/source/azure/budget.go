package azure

import (
	"context"
	"sync"
	"time"
)

// Limiter allows at most n requests in any window of its length (a sliding log of the
// last n request times). The Microsoft APIs throttle per app and tenant (Graph's reports
// service: 5 requests per 10 seconds), so every source signing in as one app to one
// tenant shares one Limiter and stays under the limit before the service has to say 429.
// A token bucket would not do: its burst plus refill lets up to 2n through one fixed
// window. The window is stretched by 5% so uneven network latency cannot squeeze n+1
// requests into one of the service's windows.
type Limiter struct {
	mu     sync.Mutex
	window time.Duration
	sent   []time.Time // ring of the last n request times
	next   int
}

// NewLimiter allows n requests per window; n <= 0 allows everything.
func NewLimiter(n int, window time.Duration) *Limiter {
	if n <= 0 || window <= 0 {
		return &Limiter{}
	}
	return &Limiter{window: window + window/20, sent: make([]time.Time, n)}
}

// Wait blocks until a request may go, or ctx ends.
func (l *Limiter) Wait(ctx context.Context) error {
	for {
		d := l.reserve(time.Now())
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

// reserve records a request at now and returns 0, or returns how long until the
// oldest of the last n requests leaves the window.
func (l *Limiter) reserve(now time.Time) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.sent) == 0 {
		return 0
	}
	oldest := l.sent[l.next]
	if !oldest.IsZero() {
		if free := oldest.Add(l.window); now.Before(free) {
			return free.Sub(now)
		}
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
