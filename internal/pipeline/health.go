package pipeline

import (
	"fmt"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/vigil-sec/vigil/internal/alert"
	"github.com/vigil-sec/vigil/internal/event"
	"github.com/vigil-sec/vigil/internal/source"
)

// latencySamples is how many recent latencies each source keeps for its percentiles.
const latencySamples = 1024

// Health is what the pipeline knows of its sources, safe for concurrent use.
type Health struct {
	mu        sync.Mutex
	sources   map[string]*sourceHealth
	order     []string
	watermark time.Time
	alerts    map[alert.Severity]int
	metrics   *Metrics
	finished  bool
}

// Finished reports whether every source finished and detection has read to the end
// (files sources only): every alert is stored.
func (h *Health) Finished() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.finished
}

func (h *Health) setFinished() {
	h.mu.Lock()
	h.finished = true
	h.mu.Unlock()
}

// SourceStatus is one source's health, as the API and `vigil status` show it.
type SourceStatus struct {
	Name        string    `json:"name"`
	State       string    `json:"state"` // running, backoff, finished, stopped
	LastPoll    time.Time `json:"last_poll,omitzero"`
	LastRecords time.Time `json:"last_records,omitzero"`
	Batches     int       `json:"batches"`
	Events      int       `json:"events"`
	New         int       `json:"new"`
	Unparsed    int       `json:"unparsed"`
	Late        int       `json:"late"`
	EventsPerS  float64   `json:"events_per_second"`
	// Lag is how far the newest event collected is behind the clock.
	Lag string `json:"lag,omitempty"`
	// ProviderLatency is from event time to the provider making the record available;
	// StoreLatency from available to stored. p50 and p95 of recent events.
	ProviderLatencyP50 string    `json:"provider_latency_p50,omitempty"`
	ProviderLatencyP95 string    `json:"provider_latency_p95,omitempty"`
	StoreLatencyP50    string    `json:"store_latency_p50,omitempty"`
	StoreLatencyP95    string    `json:"store_latency_p95,omitempty"`
	Errors             int       `json:"errors"`
	LastError          string    `json:"last_error,omitempty"`
	LastErrorAt        time.Time `json:"last_error_at,omitzero"`
	Silent             bool      `json:"silent"`
	Endpoints          []string  `json:"endpoints,omitempty"`
	Permissions        []string  `json:"permissions,omitempty"`
	// Findings are what the source's own check of its provider's setup finds wrong now
	// (a CloudTrail trail not logging), each "what: why — to fix: what to do".
	Findings []string `json:"findings,omitempty"`
}

// setupAlerter is implemented by sources that check their provider's setup while they
// run (the CloudTrail trail check): SetupAlerts are what is wrong now, each with an id
// that stays the same while it stays wrong. Health shows them and raises each once.
type setupAlerter interface {
	SetupAlerts() []alert.Alert
}

type sourceHealth struct {
	h  *Health
	st SourceStatus
	// rate: events in the current and previous wall-clock minute.
	rateStart          time.Time
	rateNow, ratePrev  int
	newest             time.Time
	provider, storeLat []time.Duration // rings
	ringAt             int
	gaps               []time.Duration // recent gaps between batches holding records
	silentAlerted      bool
	setup              setupAlerter    // nil for sources without a setup check
	raised             map[string]bool // setup alert ids raised
}

func newHealth(srcs []source.Source, m *Metrics) *Health {
	h := &Health{sources: map[string]*sourceHealth{}, alerts: map[alert.Severity]int{}, metrics: m}
	for _, s := range srcs {
		sh := &sourceHealth{h: h, st: SourceStatus{Name: s.Name(), State: "starting"}, rateStart: time.Now()}
		if d, ok := s.(source.Describer); ok {
			sh.st.Endpoints, sh.st.Permissions = d.Endpoints(), d.Permissions()
		}
		if a, ok := s.(setupAlerter); ok {
			sh.setup, sh.raised = a, map[string]bool{}
		}
		h.sources[s.Name()] = sh
		h.order = append(h.order, s.Name())
	}
	return h
}

func (h *Health) source(name string) *sourceHealth { return h.sources[name] }

// Sources returns every source's status, in configuration order.
func (h *Health) Sources(now time.Time) []SourceStatus {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make([]SourceStatus, 0, len(h.order))
	for _, n := range h.order {
		sh := h.sources[n]
		st := sh.st
		st.EventsPerS = sh.rate()
		if !sh.newest.IsZero() {
			st.Lag = roundDur(now.Sub(sh.newest))
		}
		st.ProviderLatencyP50, st.ProviderLatencyP95 = percentiles(sh.provider)
		st.StoreLatencyP50, st.StoreLatencyP95 = percentiles(sh.storeLat)
		st.Endpoints = slices.Clone(st.Endpoints)
		st.Permissions = slices.Clone(st.Permissions)
		if sh.setup != nil {
			for _, a := range sh.setup.SetupAlerts() {
				st.Findings = append(st.Findings, a.Rule.Title+": "+a.Reason)
			}
		}
		out = append(out, st)
	}
	return out
}

// Watermark is the event time up to which order-dependent detections have run.
func (h *Health) Watermark() time.Time {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.watermark
}

// Alerts counts the alerts raised since start, by severity.
func (h *Health) Alerts() map[alert.Severity]int {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make(map[alert.Severity]int, len(h.alerts))
	for k, v := range h.alerts {
		out[k] = v
	}
	return out
}

func (s *sourceHealth) setState(state string) {
	s.h.mu.Lock()
	s.st.State = state
	s.h.mu.Unlock()
}

func (s *sourceHealth) recordError(err error, now time.Time) {
	s.h.mu.Lock()
	s.st.Errors++
	s.st.LastError, s.st.LastErrorAt = err.Error(), now
	s.h.mu.Unlock()
	s.h.metrics.sourceError(s.st.Name)
}

func (s *sourceHealth) recordBatch(b source.Batch, events []*event.Event, fresh int, stored time.Time, took time.Duration) {
	h := s.h
	h.mu.Lock()
	defer h.mu.Unlock()
	st := &s.st
	st.Batches++
	st.Events += len(events)
	st.New += fresh
	if b.EndOfPoll {
		st.LastPoll = stored
	}
	if len(b.Records) > 0 {
		if !st.LastRecords.IsZero() {
			s.gaps = append(s.gaps, stored.Sub(st.LastRecords))
			if len(s.gaps) > 64 {
				s.gaps = s.gaps[1:]
			}
		}
		st.LastRecords = stored
		s.silentAlerted, st.Silent = false, false
	}
	if now := time.Now(); now.Sub(s.rateStart) >= time.Minute {
		s.ratePrev, s.rateNow, s.rateStart = s.rateNow, 0, now
	}
	s.rateNow += len(events)
	for _, ev := range events {
		if ev.IsUnparsed() {
			st.Unparsed++
			continue
		}
		t := ev.Timestamp()
		if t.After(s.newest) {
			s.newest = t
		}
		s.sample(time.UnixMilli(ev.Vigil.AvailableTime).Sub(t), stored.Sub(time.UnixMilli(ev.Vigil.AvailableTime)))
	}
	h.metrics.batch(st.Name, len(events), fresh, events, stored, took)
}

func (s *sourceHealth) sample(provider, store time.Duration) {
	if len(s.provider) < latencySamples {
		s.provider = append(s.provider, provider)
		s.storeLat = append(s.storeLat, store)
		return
	}
	s.provider[s.ringAt], s.storeLat[s.ringAt] = provider, store
	s.ringAt = (s.ringAt + 1) % latencySamples
}

// rate is events per second over the last full minute and the current one.
func (s *sourceHealth) rate() float64 {
	el := time.Since(s.rateStart).Seconds()
	if s.ratePrev > 0 {
		return float64(s.ratePrev+s.rateNow) / (60 + el)
	}
	if el < 1 {
		return 0
	}
	return float64(s.rateNow) / el
}

func (h *Health) recordLate(source string) {
	h.mu.Lock()
	h.sources[source].st.Late++
	h.mu.Unlock()
	h.metrics.late(source)
}

func (h *Health) setWatermark(t time.Time) {
	h.mu.Lock()
	h.watermark = t
	h.mu.Unlock()
	h.metrics.watermark(t)
}

func (h *Health) recordAlert(a alert.Alert) {
	h.mu.Lock()
	h.alerts[a.Severity]++
	h.mu.Unlock()
	h.metrics.alert(a)
}

// silenceFactor and minSilence decide when a source has gone silent: far longer than its
// usual gap between batches with records (the 90th percentile of recent gaps), and never
// sooner than minSilence, so a quiet hour of a small tenant is not an outage.
const (
	silenceFactor = 10
	minSilence    = time.Hour
	minGaps       = 5
)

// checkSilence raises one alert for each source that has gone silent, and one for each
// new finding of a source's setup check.
func (h *Health) checkSilence(now time.Time, raise func(alert.Alert)) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, n := range h.order {
		s := h.sources[n]
		if s.setup != nil {
			for _, a := range s.setup.SetupAlerts() {
				if !s.raised[a.ID] {
					s.raised[a.ID] = true
					raise(a)
				}
			}
		}
		if s.silentAlerted || len(s.gaps) < minGaps || s.st.State == "finished" {
			continue
		}
		g := slices.Clone(s.gaps)
		slices.Sort(g)
		usual := g[len(g)*9/10]
		limit := max(usual*silenceFactor, minSilence)
		quiet := now.Sub(s.st.LastRecords)
		if quiet <= limit {
			continue
		}
		s.silentAlerted, s.st.Silent = true, true
		ent := event.Entity{Type: event.EntityService, Name: "vigil/source/" + n}
		raise(alert.Alert{
			ID:       alert.StableID("vigil-source-silent", ent, []string{s.st.LastRecords.UTC().Format(time.RFC3339Nano)}),
			Time:     now.UTC(),
			Title:    "Log source went silent: " + n,
			Rule:     alert.Rule{ID: "vigil-source-silent", Kind: alert.KindBuiltin, Title: "Log source went silent"},
			Severity: alert.SeverityHigh,
			Score:    alert.SeverityScore(alert.SeverityHigh),
			Entity:   ent,
			Reason: fmt.Sprintf("no records from %s for %s; its usual gap is %s (last error: %s)",
				n, roundDur(quiet), roundDur(usual), orNone(s.st.LastError)),
			Attack:    []string{"T1562.008"},
			EventUIDs: []string{},
		})
	}
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

func percentiles(ds []time.Duration) (string, string) {
	if len(ds) == 0 {
		return "", ""
	}
	s := slices.Clone(ds)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return roundDur(s[len(s)/2]), roundDur(s[len(s)*95/100])
}

func roundDur(d time.Duration) string {
	switch {
	case d >= time.Minute:
		return d.Round(time.Second).String()
	case d >= time.Second:
		return d.Round(10 * time.Millisecond).String()
	}
	return d.Round(time.Millisecond).String()
}
