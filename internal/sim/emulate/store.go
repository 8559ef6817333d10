package emulate

import (
	"encoding/json"
	"hash/fnv"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/vigil-sec/vigil/internal/sim"
)

// Streams the emulator serves. Activity Log streams are per subscription:
// streamActivityLog + "/" + lower-case subscription id.
const (
	streamSignIns         = "signIns"
	streamDirectoryAudits = "directoryAudits"
	streamRiskDetections  = "riskDetections"
	streamAlerts          = "alerts_v2"
	streamActivityLog     = "activityLog"
)

// entry is one served copy of a record. A duplicated record has two entries with the
// same JSON and event time and different visibility times.
type entry struct {
	at      time.Time // the stream's primary time (createdDateTime, activityDateTime, …)
	seq     uint64    // insertion order: the tie-break that makes paging cursors total
	visible time.Time // when it becomes visible, in simulated time
	dup     bool      // the second copy of a duplicated record
	kind    sim.Kind
	evType  string               // sign-ins: interactiveUser, nonInteractiveUser, …
	alt     map[string]time.Time // other filterable time fields (risk detections)
	attrs   map[string]string    // lower-cased eq-filterable fields (Activity Log)
	json    []byte
}

// stream is one list endpoint's records, kept sorted by (at, seq).
type stream struct {
	entries []entry
}

// insert places e in order: an append for the usual time-ordered arrival, a binary
// search and a move for a late one.
func (st *stream) insert(e entry) {
	n := len(st.entries)
	if n == 0 || !entryLess(&e, &st.entries[n-1]) {
		st.entries = append(st.entries, e)
		return
	}
	i := sort.Search(n, func(i int) bool { return entryLess(&e, &st.entries[i]) })
	st.entries = slices.Insert(st.entries, i, e)
}

func entryLess(a, b *entry) bool {
	if !a.at.Equal(b.at) {
		return a.at.Before(b.at)
	}
	return a.seq < b.seq
}

// DelayRange is how long after its event time a record becomes visible: uniform in
// [Min, Max], except a TailShare of records that take up to TailMax (Max..TailMax).
type DelayRange struct {
	Min, Max  time.Duration
	TailShare float64
	TailMax   time.Duration
}

// defaultDelays are the per-provider availability delays (docs/emulators.md has sources).
// KindEventHub stands for the sign-in categories Graph serves from diagnostic-shaped
// records: non-interactive, service principal and managed identity sign-ins.
func defaultDelays() map[sim.Kind]DelayRange {
	return map[sim.Kind]DelayRange{
		sim.KindGraphSignIn: {Min: 30 * time.Second, Max: 5 * time.Minute, TailShare: 0.02, TailMax: 25 * time.Minute},
		sim.KindEventHub:    {Min: time.Minute, Max: 10 * time.Minute, TailShare: 0.05, TailMax: 30 * time.Minute},
		sim.KindGraphAudit:  {Min: 30 * time.Second, Max: 5 * time.Minute, TailShare: 0.01, TailMax: 15 * time.Minute},
		sim.KindGraphRisk:   {Min: 5 * time.Minute, Max: 30 * time.Minute, TailShare: 0.05, TailMax: 2 * time.Hour},
		sim.KindActivityLog: {Min: 3 * time.Minute, Max: 15 * time.Minute, TailShare: 0.05, TailMax: 20 * time.Minute},
	}
}

func (d DelayRange) draw(rng *rand.Rand) time.Duration {
	lo, hi := d.Min, d.Max
	if d.TailShare > 0 && d.TailMax > d.Max && rng.Float64() < d.TailShare {
		lo, hi = d.Max, d.TailMax
	}
	if hi <= lo {
		return lo
	}
	return lo + time.Duration(rng.Int64N(int64(hi-lo)))
}

// recordRNG is a record's own random source: its delay and duplication depend on the seed
// and its id only, never on the order records were added in.
func recordRNG(seed uint64, id string) *rand.Rand {
	h := fnv.New64a()
	h.Write([]byte(id))
	return rand.New(rand.NewPCG(seed, h.Sum64()))
}

// classify turns a simulator record into the stream it is served on and its entry (without
// visibility). ok is false for records no emulated endpoint serves (CloudTrail, other
// diagnostic categories).
func classify(r sim.Record) (string, entry, bool) {
	e := entry{at: r.Time.UTC(), kind: r.Kind, json: r.JSON}
	switch r.Kind {
	case sim.KindGraphSignIn:
		e.evType = "interactiveUser"
		var b struct {
			Types []string `json:"signInEventTypes"`
		}
		if json.Unmarshal(r.JSON, &b) == nil && len(b.Types) > 0 {
			e.evType = b.Types[0]
		}
		return streamSignIns, e, true
	case sim.KindEventHub:
		// Graph's beta signIns serves every sign-in category as a signIn object: the
		// diagnostic record's properties are that object.
		var d struct {
			Category   string          `json:"category"`
			Properties json.RawMessage `json:"properties"`
		}
		if json.Unmarshal(r.JSON, &d) != nil || len(d.Properties) == 0 {
			return "", e, false
		}
		switch d.Category {
		case "NonInteractiveUserSignInLogs":
			e.evType = "nonInteractiveUser"
		case "ServicePrincipalSignInLogs":
			e.evType = "servicePrincipal"
		case "ManagedIdentitySignInLogs":
			e.evType = "managedIdentity"
		default:
			return "", e, false
		}
		e.json = d.Properties
		return streamSignIns, e, true
	case sim.KindGraphAudit:
		return streamDirectoryAudits, e, true
	case sim.KindGraphRisk:
		var b struct {
			Activity string `json:"activityDateTime"`
			Updated  string `json:"lastUpdatedDateTime"`
		}
		if json.Unmarshal(r.JSON, &b) == nil {
			e.alt = map[string]time.Time{}
			if t, err := time.Parse(time.RFC3339Nano, b.Activity); err == nil {
				e.alt["activitydatetime"] = t
			}
			if t, err := time.Parse(time.RFC3339Nano, b.Updated); err == nil {
				e.alt["lastupdateddatetime"] = t
			}
		}
		return streamRiskDetections, e, true
	case sim.KindActivityLog:
		var b struct {
			ResourceGroup string `json:"resourceGroupName"`
			ResourceID    string `json:"resourceId"`
			Correlation   string `json:"correlationId"`
			Provider      struct {
				Value string `json:"value"`
			} `json:"resourceProviderName"`
		}
		_ = json.Unmarshal(r.JSON, &b) // a record without them is served, just never matched by them
		e.attrs = map[string]string{
			"resourcegroupname": strings.ToLower(b.ResourceGroup),
			"resourceuri":       strings.ToLower(b.ResourceID),
			"correlationid":     strings.ToLower(b.Correlation),
			"resourceprovider":  strings.ToLower(b.Provider.Value),
		}
		return streamActivityLog + "/" + strings.ToLower(r.Scope), e, true
	}
	return "", e, false
}

// Add gives the emulator records to serve. Each becomes visible at its event time plus its
// own seeded delay; a DuplicateRate share is served a second time, later. Records no
// endpoint serves are counted in Stats().Ignored. Safe to call while serving.
func (s *Server) Add(recs ...sim.Record) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, r := range recs {
		name, e, ok := classify(r)
		if !ok {
			s.ignored++
			continue
		}
		rng := recordRNG(s.opts.Seed, r.ID)
		delay := s.delays[r.Kind].draw(rng)
		e.visible = e.at.Add(delay)
		st := s.streams[name]
		if st == nil {
			st = &stream{}
			s.streams[name] = st
			if r.Kind == sim.KindActivityLog {
				s.seenSubs = append(s.seenSubs, r.Scope)
			}
		}
		s.seq++
		e.seq = s.seq
		st.insert(e)
		s.added[r.Kind]++
		if s.opts.DuplicateRate > 0 && rng.Float64() < s.opts.DuplicateRate {
			d := e
			d.dup = true
			s.seq++
			d.seq = s.seq
			// Served again one to three poll windows later, as a late re-delivery.
			d.visible = e.visible.Add(time.Duration(2+rng.IntN(28)) * time.Minute)
			st.insert(d)
			s.duplicates++
		}
	}
}

// Visible is how many distinct records of kind are visible at simulated time now
// (duplicate copies not counted). KindEventHub counts the sign-ins Graph serves from it.
func (s *Server) Visible(kind sim.Kind, now time.Time) int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	n := 0
	for _, st := range s.streams {
		for i := range st.entries {
			e := &st.entries[i]
			if e.kind == kind && !e.dup && !e.visible.After(now) {
				n++
			}
		}
	}
	return n
}
