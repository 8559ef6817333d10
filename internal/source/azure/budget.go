package azure

import (
	"context"
	"sync"
	"time"
)

// Limiter is a token bucket: up to n requests at once, refilled at n per window. The
// Microsoft APIs throttle per app and tenant (Graph's reports service: 5 requests per 10
// seconds), so every source signing in as one app to one tenant shares one Limiter and
// spends the budget before the service has to say 429.
type Limiter struct {
	mu     sync.Mutex
	n      float64
	rate   float64 // tokens per second
	tokens float64
	last   time.Time
}

// NewLimiter allows n requests per window; n <= 0 allows everything.
func NewLimiter(n int, window time.Duration) *Limiter {
	if n <= 0 || window <= 0 {
		return &Limiter{}
	}
	return &Limiter{n: float64(n), rate: float64(n) / window.Seconds(), tokens: float64(n), last: time.Now()}
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

// reserve takes a token and returns 0, or returns how long until one is there.
func (l *Limiter) reserve() time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.rate == 0 {
		return 0
	}
	now := time.Now()
	l.tokens = min(l.n, l.tokens+now.Sub(l.last).Seconds()*l.rate)
	l.last = now
	if l.tokens >= 1 {
		l.tokens--
		return 0
	}
	return time.Duration((1 - l.tokens) / l.rate * float64(time.Second))
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
