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
