package auth

import (
	"sync"
	"time"
)

// limiter counts failed logins per key (a user name, an address) in a fixed window and
// refuses a key that failed too often until its window ends. It forgets old keys, so a
// flood of distinct names cannot grow it without bound.
type limiter struct {
	mu     sync.Mutex
	max    int
	window time.Duration
	keys   map[string]*failures
}

type failures struct {
	n     int
	start time.Time
}

const limiterKeys = 100000

func newLimiter(max int, window time.Duration) *limiter {
	return &limiter{max: max, window: window, keys: map[string]*failures{}}
}

// wait is how long key must wait before another attempt; 0 when it may try now.
func (l *limiter) wait(key string, now time.Time) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	f := l.keys[key]
	if f == nil || now.Sub(f.start) >= l.window {
		return 0
	}
	if f.n >= l.max {
		return f.start.Add(l.window).Sub(now)
	}
	return 0
}

// fail records a failed attempt of key.
func (l *limiter) fail(key string, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	f := l.keys[key]
	if f == nil || now.Sub(f.start) >= l.window {
		if len(l.keys) >= limiterKeys {
			l.prune(now)
		}
		f = &failures{start: now}
		l.keys[key] = f
	}
	f.n++
}

// reset forgets key's failures (after a successful login).
func (l *limiter) reset(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.keys, key)
}

// prune drops expired windows, and when all are live, the oldest half of them.
func (l *limiter) prune(now time.Time) {
	for k, f := range l.keys {
		if now.Sub(f.start) >= l.window {
			delete(l.keys, k)
		}
	}
	if len(l.keys) < limiterKeys {
		return
	}
	cut := now.Add(-l.window / 2)
	for k, f := range l.keys {
		if f.start.Before(cut) {
			delete(l.keys, k)
		}
	}
	if len(l.keys) >= limiterKeys {
		// A flood within half a window: forget all but the locked keys.
		for k, f := range l.keys {
			if f.n < l.max {
				delete(l.keys, k)
			}
		}
	}
	if len(l.keys) >= limiterKeys {
		clear(l.keys)
	}
}
