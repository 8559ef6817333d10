package sigma

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/vigil-sec/vigil/internal/alert"
	"github.com/vigil-sec/vigil/internal/detect"
	"github.com/vigil-sec/vigil/internal/event"
)

// Correlation windows: the matches each correlation keeps per group, judged as they come
// or when the window closes, and the alerts they raise.

// maxHitsPerGroup bounds the matches a correlation keeps per group and window.
const maxHitsPerGroup = 10000

// hit is one match of a referenced rule. Hits are kept in correlation windows long after
// their event is gone, so nothing in a kept hit points into an event: its strings are
// copies, and field (which reads the matching event) is nil once observe has read it.
type hit struct {
	t      time.Time
	ref    string // the referenced rule's name or id as the correlation lists it
	uid    string
	uids   []string
	entity event.Entity
	field  func(string) string // reads a field of the matching event (or correlation); nil when kept
	value  string              // value_count: the counted field's value
}

type corrState struct {
	rule   *Rule
	c      *correlation
	groups map[string]*group
}

// group is one correlation group: its key and group-by values (copies, never the event's
// bytes) and its hits in the window.
type group struct {
	key    string
	values map[string]string
	hits   []hit
}

// feed gives a match of rule r to every correlation referencing it.
func (d *Detector) feed(r *Rule, h hit, emit detect.Emit) {
	for _, fr := range d.refs[r] {
		hh := h
		hh.ref = fr.ref
		d.observe(fr.cs, r, hh, emit)
	}
}

func (d *Detector) observe(cs *corrState, from *Rule, h hit, emit detect.Emit) {
	c := cs.c
	// The values read may point into the event's raw record (fields.go reads strings
	// without copying): what is kept is copied below, and only what is kept.
	parts := make([]string, len(c.groupBy))
	for i, f := range c.groupBy {
		parts[i] = h.field(aliasFor(c, f, from))
	}
	if c.field != "" {
		h.value = h.field(aliasFor(c, c.field, from))
		if h.value == "" {
			return // no value to count
		}
		h.value = strings.Clone(h.value)
	}
	h.field = nil
	key := strings.Join(parts, "\x00") // may be parts[0] itself: a lookup key only
	g := cs.groups[key]
	if g == nil {
		g = newGroup(c, strings.Clone(key), parts)
		cs.groups[g.key] = g
	}
	if len(g.hits) > 0 && h.t.Sub(g.hits[0].t) > c.timespan && c.judgedAtClose() {
		key, values := g.key, g.values
		d.closeGroup(cs, key, g, emit)
		g = &group{key: key, values: values}
		cs.groups[key] = g
	}
	if len(g.hits) >= maxHitsPerGroup {
		g.hits = g.hits[1:] // bounded memory: the oldest hit goes first
	}
	g.hits = append(g.hits, h)
	// Drop what fell out of the window.
	cut := 0
	for cut < len(g.hits) && h.t.Sub(g.hits[cut].t) > c.timespan {
		cut++
	}
	g.hits = g.hits[cut:]
	if c.judgedAtClose() {
		return
	}
	if n, ok := cs.measure(g); ok && c.cond.holds(n) {
		d.fire(cs, g.key, g, n, emit)
	}
}

// newGroup starts a group with copies of its group-by values.
func newGroup(c *correlation, key string, parts []string) *group {
	vals := make(map[string]string, len(c.groupBy))
	for i, f := range c.groupBy {
		vals[f] = strings.Clone(parts[i])
	}
	return &group{key: key, values: vals}
}

// measure is the number the condition is about, and for temporal_ordered whether the
// rules matched in order.
func (cs *corrState) measure(g *group) (float64, bool) {
	c := cs.c
	switch c.kind {
	case "event_count":
		return float64(len(g.hits)), true
	case "value_count":
		distinct := map[string]bool{}
		for _, h := range g.hits {
			distinct[h.value] = true
		}
		return float64(len(distinct)), true
	case "value_sum", "value_avg", "value_min", "value_max", "value_median":
		return numericAggregate(c.kind, g.hits)
	case "value_percentile":
		// The share, in percent, of the rarest value among the group's events.
		counts := map[string]int{}
		for _, h := range g.hits {
			counts[h.value]++
		}
		rarest := len(g.hits)
		for _, n := range counts {
			rarest = min(rarest, n)
		}
		return 100 * float64(rarest) / float64(len(g.hits)), len(g.hits) > 0
	case "temporal":
		refs := map[string]bool{}
		for _, h := range g.hits {
			refs[h.ref] = true
		}
		return float64(len(refs)), true
	case "temporal_ordered":
		next := 0
		for _, h := range g.hits {
			if next < len(c.rules) && h.ref == c.rules[next] {
				next++
			}
		}
		return float64(next), next == len(c.rules)
	}
	return 0, false
}

// numericAggregate is sum, avg, min, max or median of the hits' numeric values.
func numericAggregate(kind string, hits []hit) (float64, bool) {
	var vals []float64
	for _, h := range hits {
		if f, err := strconv.ParseFloat(strings.TrimSpace(h.value), 64); err == nil {
			vals = append(vals, f)
		}
	}
	if len(vals) == 0 {
		return 0, false
	}
	sort.Float64s(vals)
	sum := 0.0
	for _, v := range vals {
		sum += v
	}
	switch kind {
	case "value_sum":
		return sum, true
	case "value_avg":
		return sum / float64(len(vals)), true
	case "value_min":
		return vals[0], true
	case "value_max":
		return vals[len(vals)-1], true
	}
	if len(vals)%2 == 1 {
		return vals[len(vals)/2], true
	}
	return (vals[len(vals)/2-1] + vals[len(vals)/2]) / 2, true
}

func (d *Detector) closeWindows(cs *corrState, now time.Time, emit detect.Emit) {
	keys := make([]string, 0, len(cs.groups))
	for k := range cs.groups {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		g := cs.groups[k]
		switch {
		case len(g.hits) == 0:
			delete(cs.groups, k)
		case now.Sub(g.hits[0].t) < cs.c.timespan:
		case cs.c.judgedAtClose():
			d.closeGroup(cs, k, g, emit)
		default:
			// Judged on every hit already: only forget what left the window, so a
			// group that never reaches its bound does not live for ever.
			cut := 0
			for cut < len(g.hits) && now.Sub(g.hits[cut].t) > cs.c.timespan {
				cut++
			}
			if g.hits = g.hits[cut:]; len(g.hits) == 0 {
				delete(cs.groups, k)
			}
		}
	}
}

func (d *Detector) closeGroup(cs *corrState, key string, g *group, emit detect.Emit) {
	if n, ok := cs.measure(g); ok && cs.c.cond.holds(n) {
		d.fire(cs, key, g, n, emit)
		return
	}
	delete(cs.groups, key)
}

// fire raises the correlation's alert, resets the group, and feeds correlations of
// correlations.
func (d *Detector) fire(cs *corrState, key string, g *group, measured float64, emit detect.Emit) {
	n := int(measured)
	r := cs.rule
	last := g.hits[len(g.hits)-1]
	var uids []string
	seen := map[string]bool{}
	for _, h := range g.hits {
		for _, u := range append([]string{h.uid}, h.uids...) {
			if u != "" && !seen[u] && len(uids) < 100 {
				seen[u] = true
				uids = append(uids, u)
			}
		}
	}
	sev := alert.ParseSeverity(r.Level)
	groupDesc := make([]string, 0, len(g.values))
	for _, f := range cs.c.groupBy {
		groupDesc = append(groupDesc, f+"="+g.values[f])
	}
	reason := fmt.Sprintf("Correlation %q (%s): %s within %s", r.Title, cs.c.kind, strconv.FormatFloat(measured, 'f', -1, 64), cs.c.timespan)
	if len(groupDesc) > 0 {
		reason += " for " + strings.Join(groupDesc, ", ")
	}
	a := alert.Alert{
		ID:        alert.StableID(r.ID, last.entity, uids),
		Time:      last.t,
		Title:     r.Title,
		Rule:      alert.Rule{ID: r.ID, Kind: alert.KindCorrelation, Title: r.Title, Level: r.Level},
		Severity:  sev,
		Score:     alert.SeverityScore(sev),
		Entity:    last.entity,
		EventUIDs: uids,
		Reason:    reason,
		Attack:    nonNil(r.Attack()),
		GroupBy:   g.values,
		Count:     n,
	}
	if a.Title == "" {
		a.Title = r.ID
	}
	delete(cs.groups, key)
	if !d.quietCorr[r] {
		emit(a)
	}
	values := g.values
	d.feed(r, hit{t: last.t, uids: uids, entity: last.entity, field: func(f string) string { return values[f] }}, emit)
}

// aliasFor is the field a group-by alias stands for in the matches of rule from.
func aliasFor(c *correlation, field string, from *Rule) string {
	if m, ok := c.aliases[field]; ok {
		for _, key := range []string{from.Name, from.ID} {
			if f, ok := m[key]; ok && key != "" {
				return f
			}
		}
	}
	return field
}
