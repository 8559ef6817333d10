package sigma

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/vigil-sec/vigil/internal/alert"
	"github.com/vigil-sec/vigil/internal/detect"
	"github.com/vigil-sec/vigil/internal/event"
)

// Detector runs a rule set over events: detection rules per event, correlation rules over
// their matches in event time.
type Detector struct {
	rules     []compiled
	groups    []*lsGroup
	fast      fastLookup
	state     *matchState // scratch for the event being observed, reused: no allocation per event
	scratch   []int
	marks     []bool
	lower     []byte
	refs      map[*Rule][]feedRef // rule → correlations fed by its matches
	corrs     []*corrState
	quietBase map[*Rule]bool // detection matches that only feed correlations (generate: false)
	quietCorr map[*Rule]bool // correlation alerts that only feed other correlations
	corrOnly  bool           // OrderedDetector: detection matches feed correlations, raise nothing
}

// feedRef is one correlation a rule feeds, and the name the correlation lists it under.
type feedRef struct {
	cs  *corrState
	ref string
}

type compiled struct {
	rule   *Rule
	source logsourceFilter
	lskey  string
}

// lsGroup is the rules of one logsource, with their index.
type lsGroup struct {
	source logsourceFilter
	index  *ruleIndex
}

func groupByLogsource(rules []compiled) []*lsGroup {
	members := map[string][]int{}
	var order []string
	for i, c := range rules {
		if _, ok := members[c.lskey]; !ok {
			order = append(order, c.lskey)
		}
		members[c.lskey] = append(members[c.lskey], i)
	}
	var groups []*lsGroup
	for _, k := range order {
		groups = append(groups, &lsGroup{source: rules[members[k][0]].source, index: buildIndex(rules, members[k])})
	}
	return groups
}

// Detector returns a detector for the set: every rule, single-event and correlation
// (ArrivalDetector and OrderedDetector split it in two). Rules whose logsource Vigil has
// no data for are kept out of the hot path.
func (rs *RuleSet) Detector() *Detector { return rs.build(everyRule) }

// build returns a detector of the rules part p selects.
func (rs *RuleSet) build(p part) *Detector {
	d := &Detector{refs: map[*Rule][]feedRef{}, quietBase: map[*Rule]bool{}, quietCorr: map[*Rule]bool{}}
	byRef := map[string]*Rule{}
	for _, r := range rs.rules {
		byRef[r.ID] = r
		if r.Name != "" {
			byRef[r.Name] = r
		}
	}
	d.wireCorrelations(rs, byRef)
	for _, r := range rs.rules {
		if r.condition != nil && p.keeps(d, r) {
			if f := logsourceFor(r.Logsource); f != nil {
				d.rules = append(d.rules, compiled{rule: r, source: f, lskey: lower(r.Logsource.Product) + "/" + lower(r.Logsource.Service) + "/" + lower(r.Logsource.Category)})
			}
		}
	}
	d.groups = groupByLogsource(d.rules)
	d.marks = make([]bool, len(d.rules))
	d.fast.aliases = fieldAliases()
	d.fast.ocsf = ocsfAliases()
	p.finish(d)
	return d
}

// wireCorrelations sets up every correlation and what feeds it.
func (d *Detector) wireCorrelations(rs *RuleSet, byRef map[string]*Rule) {
	for _, r := range rs.rules {
		if r.correlation == nil {
			continue
		}
		cs := &corrState{rule: r, c: r.correlation, groups: map[string]*group{}}
		d.corrs = append(d.corrs, cs)
		for _, ref := range r.correlation.rules {
			base, ok := byRef[ref]
			if !ok {
				continue // a rule that is not loaded: nothing will feed this reference
			}
			d.refs[base] = append(d.refs[base], feedRef{cs: cs, ref: ref})
			if r.correlation.generate {
				continue
			}
			if base.condition != nil {
				d.quietBase[base] = true
			}
			if base.correlation != nil && base != r {
				d.quietCorr[base] = true
			}
		}
	}
}

// Name names the detector.
func (*Detector) Name() string { return "sigma" }

// Observe matches ev against the rules it could match and feeds correlations. A Detector
// is used by one goroutine at a time (it keeps scratch space between events). Field values
// are read from ev.Raw without copying; what correlations keep past Observe is copied
// (see hit), so the caller may reuse ev and its buffer once Observe returns.
func (d *Detector) Observe(ctx context.Context, ev *event.Event, emit detect.Emit) error {
	var m *matchState
	cands := d.candidates(ev)
	for _, i := range cands {
		c := d.rules[i]
		if m == nil {
			m = d.resetState(ev)
		} else {
			clear(m.sels)
		}
		if !c.rule.condition.eval(m) {
			continue
		}
		if !d.quietBase[c.rule] && !d.corrOnly {
			emit(newAlert(c.rule, ev, m))
		}
		if len(d.refs[c.rule]) > 0 {
			// The hit outlives ev (correlation windows keep it): it owns copies of its
			// strings, and the field reader, which reads ev, is dropped once read (observe).
			state := m
			ent := ev.Vigil.Entity
			ent.Name = strings.Clone(ent.Name)
			d.feed(c.rule, hit{t: ev.Timestamp(), uid: strings.Clone(ev.Metadata.UID), entity: ent,
				field: func(f string) string { return firstText(state, f) }}, emit)
		}
	}
	return nil
}

// resetState prepares the detector's match state for ev.
func (d *Detector) resetState(ev *event.Event) *matchState {
	if d.state == nil {
		d.state = newMatchStateWith(ev, &d.fast)
		return d.state
	}
	m := d.state
	m.ev, m.raw, m.decoded, m.leaves = ev, nil, false, nil
	clear(m.sels)
	clear(m.fields)
	clear(m.objects)
	return m
}

// Advance closes the windows that ended by now: conditions with an upper bound ("fewer
// than 5 in 10 minutes") can only be judged then.
func (d *Detector) Advance(ctx context.Context, now time.Time, emit detect.Emit) error {
	for _, cs := range d.corrs {
		d.closeWindows(cs, now, emit)
	}
	return nil
}

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

// firstText is the first value of a field of the matching event, as text.
func firstText(m *matchState, field string) string {
	vals, ok := m.lookup(field)
	if !ok {
		return ""
	}
	for _, v := range vals {
		if s, ok := text(v); ok {
			return s
		}
	}
	return ""
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// Match reports whether one detection rule matches ev (rule tests use it).
func (r *Rule) Match(ev *event.Event) bool {
	f := logsourceFor(r.Logsource)
	return r.condition != nil && f != nil && f(ev) && r.condition.eval(newMatchState(ev))
}

func newAlert(r *Rule, ev *event.Event, m *matchState) alert.Alert {
	sev := alert.ParseSeverity(r.Level)
	uids := []string{ev.Metadata.UID}
	what := ev.API.Operation
	if what == "" {
		what = string(ev.Vigil.Category)
	}
	who := ev.Vigil.Entity.Name
	if who == "" {
		who = ev.Actor.User.Name
	}
	reason := fmt.Sprintf("Sigma rule %q matched %s", r.Title, strings.TrimSpace(what))
	if who != "" {
		reason += " by " + who
	}
	if ev.SrcEndpoint.IP != "" {
		reason += " from " + ev.SrcEndpoint.IP
	}
	if fields := matchedFields(r, m); fields != "" {
		reason += " (" + fields + ")"
	}
	return alert.Alert{
		ID:        alert.StableID(r.ID, ev.Vigil.Entity, uids),
		Time:      ev.Timestamp(),
		Title:     r.Title,
		Rule:      alert.Rule{ID: r.ID, Kind: alert.KindSigma, Title: r.Title, Level: r.Level},
		Severity:  sev,
		Score:     alert.SeverityScore(sev),
		Entity:    ev.Vigil.Entity,
		EventUIDs: uids,
		Reason:    reason,
		Attack:    nonNil(r.Attack()),
	}
}

var _ detect.Detector = (*Detector)(nil)

// matchedFields lists the values of the fields that made the rule match: the fields of
// each selection that held, in selection name order, at most six, long values cut.
func matchedFields(r *Rule, m *matchState) string {
	if m == nil {
		return ""
	}
	names := make([]string, 0, len(r.selections))
	for name, sel := range r.selections {
		if m.sels[sel] {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	var parts []string
	seen := map[string]bool{}
	for _, name := range names {
		for _, alt := range r.selections[name].alternatives {
			if !m.alternative(alt) {
				continue
			}
			for _, it := range alt {
				if it.field == "" || seen[it.field] || len(parts) == 6 {
					continue
				}
				seen[it.field] = true
				v := firstText(m, it.field)
				if len(v) > 80 {
					v = v[:77] + "..."
				}
				parts = append(parts, it.field+"="+strconv.Quote(v))
			}
			break
		}
	}
	return strings.Join(parts, ", ")
}
