package sigma

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/vigil-sec/vigil/internal/alert"
	"github.com/vigil-sec/vigil/internal/detect"
	"github.com/vigil-sec/vigil/internal/event"
)

// Detector runs a rule set over events.
type Detector struct {
	rules []compiled
}

type compiled struct {
	rule   *Rule
	source logsourceFilter
}

// Detector returns a detector for the set. Rules whose logsource Vigil has no data for are
// kept out of the hot path.
func (rs *RuleSet) Detector() *Detector {
	d := &Detector{}
	for _, r := range rs.rules {
		if f := logsourceFor(r.Logsource); f != nil {
			d.rules = append(d.rules, compiled{rule: r, source: f})
		}
	}
	return d
}

// Name names the detector.
func (*Detector) Name() string { return "sigma" }

// Observe matches ev against every rule of its logsource.
func (d *Detector) Observe(ctx context.Context, ev *event.Event, emit detect.Emit) error {
	var m *matchState
	for _, c := range d.rules {
		if !c.source(ev) {
			continue
		}
		if m == nil {
			m = newMatchState(ev)
		} else {
			clear(m.sels)
		}
		if c.rule.condition.eval(m) {
			emit(newAlert(c.rule, ev))
		}
	}
	return nil
}

// Advance has nothing to do for single-event rules.
func (*Detector) Advance(context.Context, time.Time, detect.Emit) error { return nil }

// Match reports whether one rule matches ev (rule tests use it).
func (r *Rule) Match(ev *event.Event) bool {
	f := logsourceFor(r.Logsource)
	return f != nil && f(ev) && r.condition.eval(newMatchState(ev))
}

func newAlert(r *Rule, ev *event.Event) alert.Alert {
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
	attack := r.Attack()
	if attack == nil {
		attack = []string{}
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
		Attack:    attack,
	}
}

var _ detect.Detector = (*Detector)(nil)
