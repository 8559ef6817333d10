package behavior

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/vigil-sec/vigil/internal/alert"
	"github.com/vigil-sec/vigil/internal/detect"
	"github.com/vigil-sec/vigil/internal/event"
)

// routineWindow is how far back an identity's earlier hits of a rule make a new one routine.
const routineWindow = 30 * 24 * time.Hour

// routineHits: this many hits of one rule on one identity in routineWindow make the next routine.
const routineHits = 3

// maxRoutineHits bounds what is kept per identity and rule.
const maxRoutineHits = 32

// InContext wraps a detector whose alerts say what happened but not to whom it is usual
// (the Sigma rules): each of its paging alerts is scored against the acting identity's
// pattern of life before it leaves, and lowered or raised with the reason saying why. The
// wrapper must run before the behavioural detector sees the same event, so the identity's
// history is what came before it.
func (d *Detector) InContext(inner detect.Detector) detect.Detector {
	return contextual{inner: inner, d: d}
}

type contextual struct {
	inner detect.Detector
	d     *Detector
}

func (c contextual) Name() string { return c.inner.Name() + "+context" }

func (c contextual) Observe(ctx context.Context, ev *event.Event, emit detect.Emit) error {
	return c.inner.Observe(ctx, ev, func(a alert.Alert) {
		c.d.contextualize(ev, &a)
		emit(a)
	})
}

func (c contextual) Advance(ctx context.Context, now time.Time, emit detect.Emit) error {
	return c.inner.Advance(ctx, now, emit)
}

// contextualize scores a paging alert raised on ev against its identity: an eligible role
// activated through PIM and read-only calls in a root session signed in with MFA are
// lowered; a rule that keeps hitting an identity which does this routinely is lowered with
// its count; a privileged operation new to a known identity is raised.
func (d *Detector) contextualize(ev *event.Event, a *alert.Alert) {
	if a.Rule.Kind == alert.KindCorrelation || a.Severity.Rank() < alert.SeverityHigh.Rank() {
		return
	}
	actor := ev.Vigil.Entity
	hits := d.routineHitsOf(a.Rule.ID, actor, eventTime(ev))
	switch {
	case strings.EqualFold(ev.Actor.AppName, "MS-PIM") && strings.HasPrefix(string(ev.Vigil.Category), "admin."):
		d.lower(ev, a, detect.ReasonPIMActivation, "an eligible assignment activated through Privileged Identity Management, which approved it by its policy")
	case isRootReadOnlyWithMFA(ev):
		d.lower(ev, a, detect.ReasonRoutine, "read-only calls in a root session signed in with MFA")
	case hits >= routineHits:
		d.lower(ev, a, detect.ReasonRoutine, fmt.Sprintf("routine for this identity: %d times in the last %d days", hits, int(routineWindow/(24*time.Hour))))
	case hits == 0 && d.newPrivileged(ev):
		a.Severity, a.Score = alert.SeverityCritical, max(a.Score, alert.SeverityScore(alert.SeverityCritical))
		a.Reason += "; raised: new for this identity, whose history has no such operation"
	}
}

// lower takes a paging alert down to medium, saying why.
func (d *Detector) lower(ev *event.Event, a *alert.Alert, r detect.SuppressReason, why string) {
	a.Severity, a.Score = alert.SeverityMedium, min(a.Score, alert.SeverityScore(alert.SeverityMedium))
	a.Reason += "; lowered: " + why
	d.suppress(ev, a.Rule.ID, r, true, why)
}

// routineHitsOf counts the identity's earlier hits of a rule within routineWindow, then
// remembers this one.
func (d *Detector) routineHitsOf(rule string, actor event.Entity, t millis) int {
	k := rule + "\x00" + actor.Key()
	hits := d.st.Routine[k]
	keep := hits[:0]
	for _, h := range hits {
		if t.Sub(h) < routineWindow {
			keep = append(keep, h)
		}
	}
	n := len(keep)
	if len(keep) >= maxRoutineHits {
		keep = keep[1:]
	}
	d.st.Routine[k] = append(keep, t)
	return n
}

// newPrivileged reports whether ev is a privileged operation its identity, known long
// enough for novelty to mean something, never did before.
func (d *Detector) newPrivileged(ev *event.Event) bool {
	if !d.priv[ev.Vigil.Category] {
		return false
	}
	p := d.st.Profiles[ev.Vigil.Entity]
	if !d.known(p, eventTime(ev)) {
		return false
	}
	_, seen := p.lookup(fCategory, hash(string(ev.Vigil.Category)))
	return !seen
}

func isRootReadOnlyWithMFA(ev *event.Event) bool {
	u := ev.Actor.User
	if !strings.EqualFold(u.Type, "Root") || ev.Actor.Session == nil || ev.Actor.Session.IsMFA == nil || !*ev.Actor.Session.IsMFA {
		return false
	}
	op := ev.API.Operation
	return strings.HasPrefix(op, "Get") || strings.HasPrefix(op, "List") || strings.HasPrefix(op, "Describe")
}
