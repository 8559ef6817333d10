package behavior

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/vigil-sec/vigil/internal/alert"
	"github.com/vigil-sec/vigil/internal/detect"
	"github.com/vigil-sec/vigil/internal/event"
)

var (
	frankfurt = city{"Frankfurt am Main", "DE", 50.11, 8.68}
	singapore = city{"Singapore", "SG", 1.352, 103.82}
	saoPaulo  = city{"Sao Paulo", "BR", -23.55, -46.633}
)

// refresh makes ev a token refresh: non-interactive, from a registered device when dev is
// set, from no device at all (a server) when it is not.
func refresh(ev *event.Event, dev, app string) *event.Event {
	ev.Vigil.Category = event.CategoryLoginNonInteractive
	ev.Actor.AppName = app
	if dev != "" {
		ev.Device = &event.Device{UID: dev, OS: "Windows10"}
	} else {
		ev.Device = nil
	}
	return ev
}

func collect(d *Detector, evs []*event.Event) ([]alert.Alert, detect.SuppressionCounts) {
	counts := detect.SuppressionCounts{}
	WithSuppressed(func(s detect.Suppression) { counts.Add(s) })(d)
	return observe(d, evs, "vigil-impossible-travel"), counts
}

// TestTravelCloudClientIsNotThePerson: a SaaS app refreshing the person's delegated token
// from its cloud in Virginia places its server there, not the person; counted as such.
func TestTravelCloudClientIsNotThePerson(t *testing.T) {
	evs := []*event.Event{
		signIn("ann@x", 0, london, "81.2.1.1", true, 5089),
		refresh(signIn("ann@x", 20*time.Minute, newYork, "3.80.1.1", true, 14618), "", "Slack"),
		signIn("ann@x", 40*time.Minute, london, "81.2.1.1", true, 5089),
	}
	got, counts := collect(New(DefaultConfig()), evs)
	if len(got) != 0 {
		t.Fatalf("a SaaS refresh from its cloud raised travel: %+v", got)
	}
	if n := counts[[2]string{"vigil-impossible-travel", string(detect.ReasonCloudClient)}]; n != 1 {
		t.Fatalf("cloud-client suppressions = %d, want 1 (%v)", n, counts)
	}
}

// TestTravelStrengthOfEvidence: two interactive sign-ins page; a hop involving a refresh
// from an unknown device is raised at medium.
func TestTravelStrengthOfEvidence(t *testing.T) {
	interactive := []*event.Event{signIn("ann@x", 0, london, "81.2.1.1", true, 5089), signIn("ann@x", 40*time.Minute, sydney, "101.160.4.9", true, 1221)}
	if got, _ := collect(New(DefaultConfig()), interactive); len(got) != 1 || got[0].Severity != alert.SeverityHigh {
		t.Fatalf("interactive hop: %+v", got)
	}
	// A week of sign-ins from home first: a refresh hop pages once the identity is known.
	var refreshed []*event.Event
	for i := range 60 {
		refreshed = append(refreshed, signIn("ann@x", time.Duration(i)*3*time.Hour, london, "81.2.1.1", true, 5089))
	}
	hop := 60*3*time.Hour + 40*time.Minute
	refreshed = append(refreshed, refresh(signIn("ann@x", hop, sydney, "101.160.4.9", true, 1221), "never-seen", "Microsoft Teams"))
	if got, _ := collect(New(DefaultConfig()), refreshed); len(got) != 1 || got[0].Severity != alert.SeverityMedium || !strings.Contains(got[0].Reason, "token refresh") {
		t.Fatalf("refresh hop: %+v", got)
	}
}

// TestTravelRefreshWhileLearning: on an identity's first day its second network (carrier,
// service edge, the laptop left on at home) is not known yet, so a refresh hop is counted
// as learning, not paged; two interactive sign-ins still page from the first day.
func TestTravelRefreshWhileLearning(t *testing.T) {
	refreshed := []*event.Event{signIn("ann@x", 0, london, "81.2.1.1", true, 5089),
		refresh(signIn("ann@x", 40*time.Minute, sydney, "101.160.4.9", true, 1221), "never-seen", "Microsoft Teams")}
	got, counts := collect(New(DefaultConfig()), refreshed)
	if len(got) != 0 {
		t.Fatalf("a refresh hop on the first day paged: %+v", got)
	}
	if n := counts[[2]string{"vigil-impossible-travel", string(detect.ReasonLearning)}]; n != 1 {
		t.Fatalf("learning suppressions = %d, want 1 (%v)", n, counts)
	}
}

// TestTravelSharedEgressLearnedFromThePopulation: a security service edge that places
// people in several countries is learned as shared egress within the hold, from the first
// day, with no list; a hop to a home ISP of one country is still travel.
func TestTravelSharedEgressLearnedFromThePopulation(t *testing.T) {
	const sse = 62044
	var evs []*event.Event
	homes := []struct {
		c  city
		ip string
		as int
	}{{saoPaulo, "177.92.1.1", 28573}, {singapore, "116.14.1.1", 9506}, {london, "81.2.1.1", 5089}, {paris, "90.84.1.1", 3215}}
	nodes := []city{newYork, frankfurt, sydney, frankfurt}
	for i, h := range homes { // each person at home, then on the laptop through the service edge's node
		u := fmt.Sprintf("p%d@x", i)
		evs = append(evs, signIn(u, time.Duration(i)*time.Minute, h.c, h.ip, true, h.as),
			signIn(u, time.Duration(20+i)*time.Minute, nodes[i], fmt.Sprintf("165.225.%d.10", i), true, sse))
	}
	// The attack, in the same hour: a home sign-in, then Sydney on a national ISP.
	evs = append(evs, signIn("victim@x", 5*time.Minute, london, "81.2.9.9", true, 5089), signIn("victim@x", 50*time.Minute, sydney, "101.160.4.9", true, 1221))
	sortEvents(evs)
	got, counts := collect(New(DefaultConfig()), evs)
	if len(got) != 1 || got[0].Entity.Name != "victim@x" {
		t.Fatalf("raised %d: %+v", len(got), got)
	}
	if n := counts[[2]string{"vigil-impossible-travel", string(detect.ReasonSharedEgress)}]; n < 3 {
		t.Fatalf("shared-egress suppressions = %d, want the service edge's hops (%v)", n, counts)
	}
	// Without the hold the first people's hops page before the population has shown it.
	cfg := DefaultConfig()
	cfg.ImpossibleTravel.Hold = 0
	if got, _ := collect(New(cfg), evs); len(got) <= 1 {
		t.Fatalf("without a hold only %d alerts: the learning would not be what removed them", len(got))
	}
}

// TestSuppressionsAddUp: every impossible hop is either raised or suppressed with a reason.
func TestSuppressionsAddUp(t *testing.T) {
	evs := []*event.Event{
		signIn("ann@x", 0, london, "81.2.1.1", true, 5089),
		refresh(signIn("ann@x", 10*time.Minute, newYork, "3.80.1.1", true, 14618), "", "Zoom"), // cloud client
		signIn("ann@x", 20*time.Minute, sydney, "101.160.4.9", true, 1221),                     // raised
		signIn("ann@x", 30*time.Minute, london, "81.2.1.1", true, 5089),                        // back: same journey
		signIn("ann@x", 40*time.Minute, newYork, "71.190.8.1", true, 5089),                     // same network
	}
	got, counts := collect(New(DefaultConfig()), evs)
	total := 0
	for _, n := range counts {
		total += n
	}
	if len(got)+total != 4 {
		t.Fatalf("raised %d + suppressed %d (%v), want the 4 impossible hops", len(got), total, counts)
	}
}
