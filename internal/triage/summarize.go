package triage

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"sort"
	"time"

	"github.com/vigil-sec/vigil/internal/alert"
	"github.com/vigil-sec/vigil/internal/event"
	"github.com/vigil-sec/vigil/internal/store"
)

// Facets are the keys of Summary.History and Summary.New, in the order the text forms use.
var facets = []string{
	"services", "operations", "auth_methods", "ip_addresses", "countries", "asns",
	"user_agents", "accounts", "resource_groups",
}

// Facets returns the facet names of a summary, in display order.
func Facets() []string { return slices.Clone(facets) }

// facetValue reads one facet of an index row.
func facetValue(r *store.HistoryRow, facet string) string {
	switch facet {
	case "services":
		return r.Service
	case "operations":
		return r.Operation
	case "auth_methods":
		if r.Auth != "" && r.MFA == "true" {
			return r.Auth + "+mfa"
		}
		return r.Auth
	case "ip_addresses":
		return r.IP
	case "countries":
		return r.Country
	case "asns":
		return r.ASN
	case "user_agents":
		return r.UserAgent
	case "accounts":
		return r.Account
	case "resource_groups":
		return r.ResourceGroup
	}
	return ""
}

// Store is what a Triager reads.
type Store interface {
	store.HistoryStore
	Get(ctx context.Context, source, uid string) (*event.Event, error)
	Alerts(ctx context.Context, q store.AlertQuery) (store.AlertPage, error)
}

// Config sets the windows of a summary.
type Config struct {
	// Window is the history before the evidence; default 7 days.
	Window time.Duration
	// SignInLookback is how long before the evidence a sign-in counts as the session's
	// start; default 6 hours.
	SignInLookback time.Duration
	// TopValues is how many values per facet a summary keeps; default 10.
	TopValues int
	// CacheRows bounds the history rows kept between summaries of the same identity
	// (see historyCache); default 120,000 (tens of MB at most), negative: none kept.
	CacheRows int
	// CacheTTL is how long kept rows serve; default 2 minutes.
	CacheTTL time.Duration
}

func (c Config) withDefaults() Config {
	if c.Window <= 0 {
		c.Window = 7 * 24 * time.Hour
	}
	if c.SignInLookback <= 0 {
		c.SignInLookback = 6 * time.Hour
	}
	if c.TopValues <= 0 {
		c.TopValues = 10
	}
	if c.CacheRows == 0 {
		c.CacheRows = 120000
	}
	if c.CacheTTL <= 0 {
		c.CacheTTL = 2 * time.Minute
	}
	return c
}

// A Triager computes summaries from the store. It is safe for concurrent use.
type Triager struct {
	st   Store
	cfg  Config
	log  *slog.Logger
	hist *historyCache // nil when Config.CacheRows < 0
}

// New returns a Triager over st.
func New(st Store, cfg Config, log *slog.Logger) *Triager {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	t := &Triager{st: st, cfg: cfg.withDefaults(), log: log}
	if t.cfg.CacheRows > 0 {
		t.hist = newHistoryCache(t.cfg.CacheTTL, t.cfg.CacheRows, time.Now)
	}
	return t
}

// maxEvidence bounds the evidence events a summary reads.
const maxEvidence = 200

// Annotate attaches each alert's summary as Details["triage"]. An alert whose summary
// cannot be computed goes on without it (the error is logged): triage never holds an
// alert back. It has the signature of pipeline.Options.Annotate.
func (t *Triager) Annotate(ctx context.Context, alerts []alert.Alert) []alert.Alert {
	for i := range alerts {
		s, err := t.Summarize(ctx, alerts[i])
		if err != nil {
			t.log.Warn("triage: summary failed; the alert goes on without it", "alert", alerts[i].ID, "err", err)
			continue
		}
		d := make(map[string]any, len(alerts[i].Details)+1)
		for k, v := range alerts[i].Details {
			d[k] = v
		}
		d["triage"] = s
		alerts[i].Details = d
	}
	return alerts
}

// Summarize computes the summary of a's entity before a's evidence.
func (t *Triager) Summarize(ctx context.Context, a alert.Alert) (Summary, error) {
	evidence, err := store.Evidence(ctx, t.st, a, maxEvidence)
	if err != nil {
		return Summary{}, fmt.Errorf("triage: alert %s: %w", a.ID, err)
	}
	start, end := a.Time, a.Time
	if !a.FirstSeen.IsZero() && a.FirstSeen.Before(start) {
		start = a.FirstSeen
	}
	for _, ev := range evidence {
		ts := ev.Timestamp()
		if ts.Before(start) {
			start = ts
		}
		if ts.After(end) {
			end = ts
		}
	}
	s := Summary{Entity: a.Entity, From: start.Add(-t.cfg.Window), To: start, History: map[string][]store.ValueCount{}}
	var rows []store.HistoryRow
	if t.hist != nil {
		rows, err = t.hist.history(ctx, t.st, a.Entity, s.From, start)
	} else {
		rows, err = t.st.History(ctx, a.Entity, s.From, start, 0)
	}
	if err != nil {
		return Summary{}, fmt.Errorf("triage: alert %s: %w", a.ID, err)
	}
	s.Events = len(rows)
	counts := make([]map[string]int, len(facets))
	for i := range counts {
		counts[i] = map[string]int{}
	}
	for i := range rows {
		for f, name := range facets {
			if v := facetValue(&rows[i], name); v != "" {
				counts[f][v]++
			}
		}
	}
	for f, name := range facets {
		s.History[name] = top(counts[f], t.cfg.TopValues)
	}
	evRows := make([]store.HistoryRow, len(evidence))
	for i, ev := range evidence {
		evRows[i] = rowOf(ev)
	}
	s.New = newValues(counts, evRows)
	s.DoneBefore = precedents(rows, evRows)
	if s.SignIns, s.UnusualSignIn, err = t.signIns(ctx, a, rows, start); err != nil {
		return Summary{}, err
	}
	if s.Memberships, err = t.memberships(ctx, a.Entity, end.Add(time.Second)); err != nil {
		return Summary{}, err
	}
	return s, nil
}

// top is the n most frequent values, ties by value.
func top(m map[string]int, n int) []store.ValueCount {
	out := make([]store.ValueCount, 0, len(m))
	for v, c := range m {
		out = append(out, store.ValueCount{Value: v, Count: c})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Count != out[j].Count {
			return out[i].Count > out[j].Count
		}
		return out[i].Value < out[j].Value
	})
	return out[:min(n, len(out))]
}

// newValues are the evidence's facet values the history never had.
func newValues(counts []map[string]int, evidence []store.HistoryRow) map[string][]string {
	out := map[string][]string{}
	for i := range evidence {
		for f, name := range facets {
			v := facetValue(&evidence[i], name)
			if v != "" && counts[f][v] == 0 && !slices.Contains(out[name], v) {
				out[name] = append(out[name], v)
			}
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// precedents answers, per distinct operation and resource of the evidence, how often the
// history did it.
func precedents(history, evidence []store.HistoryRow) []Precedent {
	var out []Precedent
	for i := range evidence {
		e := &evidence[i]
		if e.Operation == "" || slices.ContainsFunc(out, func(p Precedent) bool { return p.Operation == e.Operation && p.Resource == e.Resource }) {
			continue
		}
		p := Precedent{Operation: e.Operation, Resource: e.Resource}
		for j := range history {
			if h := &history[j]; h.Operation == e.Operation && h.Resource == e.Resource {
				p.Count++
				p.Last = time.UnixMilli(h.Time).UTC()
			}
		}
		out = append(out, p)
	}
	return out
}

// rowOf is the index row of an event, as the store writes it.
func rowOf(ev *event.Event) store.HistoryRow {
	r := store.HistoryRow{
		Time: ev.Time, UID: ev.Metadata.UID, Entity: ev.Vigil.Entity, Category: ev.Vigil.Category,
		Operation: ev.API.Operation, Service: ev.API.Service.Name, IP: ev.SrcEndpoint.IP,
		Account: ev.Cloud.Account.UID, Region: ev.Cloud.Region, UserAgent: ev.HTTPRequest.UserAgent,
		App: ev.Actor.AppName, Status: ev.Status, Auth: ev.AuthProto,
	}
	if l := ev.SrcEndpoint.Location; l != nil {
		r.Country = l.Country
	}
	if as := ev.SrcEndpoint.AutonomousSystem; as != nil && as.Number > 0 {
		r.ASN = fmt.Sprint(as.Number)
	}
	if ev.IsMFA != nil {
		r.MFA = fmt.Sprint(*ev.IsMFA)
	}
	r.ResourceGroup, r.Resource = store.ResourceOf(ev)
	return r
}
