package emulate

import (
	"net/http"
	"sync"

	"github.com/vigil-sec/vigil/internal/sim"
)

// EndpointStats count one endpoint's answers.
type EndpointStats struct {
	Requests  int // answers sent, faults included
	OK        int // 2xx
	Throttled int // 429, by budget or by fault
	Errors    int // other 4xx and 5xx
	Faults    int // answers a fault switch made (throttle, status, reset, truncate)
	Records   int // records served in bodies (duplicates counted each time)
}

// Stats is what the emulator has served.
type Stats struct {
	Requests   int
	Throttled  int
	Records    int // records served, over all endpoints
	Tokens     int // access tokens issued
	Added      map[sim.Kind]int
	Visible    map[sim.Kind]int // distinct records visible at the clock's now
	Ignored    int              // records added that no endpoint serves (CloudTrail, other diagnostics)
	Duplicates int              // records given a second, later copy
	Endpoints  map[string]EndpointStats
}

type statsBook struct {
	mu        sync.Mutex
	tokens    int
	endpoints map[string]EndpointStats
}

func newStatsBook() *statsBook { return &statsBook{endpoints: map[string]EndpointStats{}} }

func (b *statsBook) count(endpoint string, status, records int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	e := b.endpoints[endpoint]
	e.Requests++
	switch {
	case status == http.StatusTooManyRequests:
		e.Throttled++
	case status >= 200 && status < 300:
		e.OK++
		e.Records += records
	default:
		e.Errors++
	}
	b.endpoints[endpoint] = e
}

func (b *statsBook) fault(endpoint string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	e := b.endpoints[endpoint]
	e.Faults++
	b.endpoints[endpoint] = e
}

func (b *statsBook) token() {
	b.mu.Lock()
	b.tokens++
	b.mu.Unlock()
}

// Stats is a snapshot of what has been served so far.
func (s *Server) Stats() Stats {
	st := Stats{Added: map[sim.Kind]int{}, Endpoints: map[string]EndpointStats{}}
	s.stats.mu.Lock()
	st.Tokens = s.stats.tokens
	for k, e := range s.stats.endpoints {
		st.Endpoints[k] = e
		st.Requests += e.Requests
		st.Throttled += e.Throttled
		st.Records += e.Records
	}
	s.stats.mu.Unlock()
	now := s.opts.Clock.Now()
	st.Visible = map[sim.Kind]int{}
	s.mu.RLock()
	for k, n := range s.added {
		st.Added[k] = n
	}
	for _, stream := range s.streams {
		for i := range stream.entries {
			if e := &stream.entries[i]; !e.dup && !e.visible.After(now) {
				st.Visible[e.kind]++
			}
		}
	}
	st.Ignored, st.Duplicates = s.ignored, s.duplicates
	s.mu.RUnlock()
	return st
}
