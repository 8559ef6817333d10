package behavior

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/vigil-sec/vigil/internal/alert"
	"github.com/vigil-sec/vigil/internal/detect"
	"github.com/vigil-sec/vigil/internal/event"
)

// ruleHit is a stand-in for a Sigma rule: it raises a high alert on every event.
type ruleHit struct{}

func (ruleHit) Name() string { return "rule" }
func (ruleHit) Observe(_ context.Context, ev *event.Event, emit detect.Emit) error {
	emit(alert.Alert{ID: ev.Metadata.UID, Time: ev.Timestamp(), Rule: alert.Rule{ID: "privileged-role", Kind: alert.KindSigma}, Severity: alert.SeverityHigh,
		Score: 75, Entity: ev.Vigil.Entity, EventUIDs: []string{ev.Metadata.UID}, Reason: "role assigned"})
	return nil
}
func (ruleHit) Advance(context.Context, time.Time, detect.Emit) error { return nil }

func roleAssigned(actor string, at time.Duration, app string) *event.Event {
	ev := &event.Event{}
	ev.SetClass(event.ClassUserAccessManagement, event.ActivityCreate)
	ev.SetTime(t0.Add(at))
	ev.Metadata.UID = actor + at.String()
	ev.Vigil.Entity = event.UserEntity(actor)
	ev.Vigil.Category = event.CategoryRoleAssignment
	ev.Actor.AppName = app
	return ev
}

// TestContextLowersWhatIsRoutine: the directory's role grant by the PIM service is an
// activation of an eligible assignment; the fourth hit of a rule on one identity within 30
// days is routine for it. Both are lowered, with the reason and a suppression saying why.
func TestContextLowersWhatIsRoutine(t *testing.T) {
	var supp []detect.Suppression
	d := New(DefaultConfig(), WithSuppressed(func(s detect.Suppression) { supp = append(supp, s) }))
	c := d.InContext(ruleHit{})
	var got []alert.Alert
	emit := func(a alert.Alert) { got = append(got, a) }
	c.Observe(context.Background(), roleAssigned("pim-service", 0, "MS-PIM"), emit)
	if got[0].Severity != alert.SeverityMedium || !strings.Contains(got[0].Reason, "Privileged Identity Management") {
		t.Fatalf("PIM activation: %s %q", got[0].Severity, got[0].Reason)
	}
	for i := 1; i <= 4; i++ {
		c.Observe(context.Background(), roleAssigned("admin@x", time.Duration(i)*24*time.Hour, ""), emit)
	}
	if got[1].Severity != alert.SeverityHigh || got[3].Severity != alert.SeverityHigh {
		t.Fatalf("the first hits must page: %s %s", got[1].Severity, got[3].Severity)
	}
	if last := got[4]; last.Severity != alert.SeverityMedium || !strings.Contains(last.Reason, "3 times in the last 30 days") {
		t.Fatalf("routine hit: %s %q", last.Severity, last.Reason)
	}
	if len(supp) != 2 || !supp[0].Lowered || supp[0].Reason != detect.ReasonPIMActivation || supp[1].Reason != detect.ReasonRoutine {
		t.Fatalf("suppressions: %+v", supp)
	}
}
