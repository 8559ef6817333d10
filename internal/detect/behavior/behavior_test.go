package behavior

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/vigil-sec/vigil/internal/alert"
	"github.com/vigil-sec/vigil/internal/event"
)

var t0 = time.Date(2026, 10, 20, 9, 0, 0, 0, time.UTC)

type city struct {
	name, cc  string
	lat, long float64
}

var (
	london  = city{"London", "GB", 51.507, -0.128}
	newYork = city{"New York", "US", 40.713, -74.006}
	sydney  = city{"Sydney", "AU", -33.869, 151.209}
	paris   = city{"Paris", "FR", 48.857, 2.352}
)

func signIn(user string, at time.Duration, c city, ip string, ok bool, asn int) *event.Event {
	ev := &event.Event{}
	ev.SetClass(event.ClassAuthentication, event.ActivityLogon)
	ev.SetTime(t0.Add(at))
	ev.Metadata.UID = fmt.Sprintf("%s-%d", user, at)
	ev.Vigil.Entity = event.UserEntity(user)
	ev.Vigil.Category = event.CategoryLogin
	ev.SetStatus(event.StatusSuccess)
	if !ok {
		ev.SetStatus(event.StatusFailure)
		ev.Vigil.Category = event.CategoryLoginFailed
	}
	lat, long := c.lat, c.long
	ev.SrcEndpoint = event.Endpoint{IP: ip, Location: &event.Location{City: c.name, Country: c.cc, Lat: &lat, Long: &long}}
	if asn > 0 {
		ev.SrcEndpoint.AutonomousSystem = &event.AutonomousSystem{Number: asn}
	}
	return ev
}

func run(evs []*event.Event) []alert.Alert {
	d := New(DefaultConfig())
	var out []alert.Alert
	keep := func(a alert.Alert) { out = append(out, a) }
	for _, ev := range evs {
		d.Observe(context.Background(), ev, keep)
	}
	if len(evs) > 0 { // the end of the stream: held candidates are decided
		d.Advance(context.Background(), time.UnixMilli(evs[len(evs)-1].Time).Add(24*time.Hour), keep)
	}
	return out
}

func TestImpossibleTravel(t *testing.T) {
	tests := []struct {
		name string
		evs  []*event.Event
		want int
	}{
		{"london then sydney 40 minutes later", []*event.Event{
			signIn("ann@x", 0, london, "81.2.1.1", true, 0), signIn("ann@x", 40*time.Minute, sydney, "101.160.4.9", true, 0)}, 1},
		{"and back home is the same story", []*event.Event{
			signIn("ann@x", 0, london, "81.2.1.1", true, 0), signIn("ann@x", 40*time.Minute, sydney, "101.160.4.9", true, 0),
			signIn("ann@x", 2*time.Hour, london, "81.2.1.1", true, 0)}, 1},
		{"a real flight to New York", []*event.Event{
			signIn("ann@x", 0, london, "81.2.1.1", true, 0), signIn("ann@x", 11*time.Hour, newYork, "71.190.8.1", true, 0)}, 0},
		{"london to paris by train", []*event.Event{
			signIn("ann@x", 0, london, "81.2.1.1", true, 0), signIn("ann@x", 30*time.Minute, paris, "90.84.1.1", true, 0)}, 0},
		{"failed attempt from far away is not travel", []*event.Event{
			signIn("ann@x", 0, london, "81.2.1.1", true, 0), signIn("ann@x", 10*time.Minute, sydney, "101.160.4.9", false, 0)}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := run(tt.evs)
			if len(got) != tt.want {
				t.Fatalf("%d alerts, want %d: %+v", len(got), tt.want, got)
			}
			if tt.want > 0 && (got[0].Rule.Kind != alert.KindBuiltin || got[0].Reason == "" || got[0].Severity != alert.SeverityHigh) {
				t.Errorf("%+v", got[0])
			}
		})
	}
}

func TestSharedEgressIsNotTravel(t *testing.T) {
	// Five colleagues use the VPN egress in New York; one signs in at home in London too.
	var evs []*event.Event
	for i := 0; i < 5; i++ { // each of them, day after day
		for day := 0; day < 3; day++ {
			evs = append(evs, signIn(fmt.Sprintf("u%d@x", i), time.Duration(i)*time.Minute-time.Duration(3-day)*24*time.Hour, newYork, "198.51.100.9", true, 0))
		}
	}
	evs = append(evs, signIn("u0@x", 20*time.Minute, london, "81.2.1.1", true, 0), signIn("u0@x", 30*time.Minute, newYork, "198.51.100.9", true, 0))
	if got := run(evs); len(got) != 0 {
		t.Errorf("shared egress raised %+v", got)
	}
}

func TestNetworkSpray(t *testing.T) {
	var spray []*event.Event
	for i := 0; i < 25; i++ { // one guess per account, a different address each, over ten hours
		spray = append(spray, signIn(fmt.Sprintf("u%d@x", i), time.Duration(i)*25*time.Minute, paris, fmt.Sprintf("45.148.10.%d", i), false, 204957))
	}
	got := run(spray)
	if len(got) != 1 || got[0].Entity.Name != "AS204957" || len(got[0].EventUIDs) != 20 {
		t.Fatalf("spray: %+v", got)
	}
	// Typos at the office ISP: as many failing accounts, but most sign-ins there succeed.
	var office []*event.Event
	for i := 0; i < 25; i++ {
		office = append(office, signIn(fmt.Sprintf("u%d@x", i), time.Duration(i)*20*time.Minute, london, "81.2.1.1", false, 5089))
		for j := 0; j < 5; j++ {
			office = append(office, signIn(fmt.Sprintf("u%d@x", i), time.Duration(i)*20*time.Minute+time.Minute, london, "81.2.1.1", true, 5089))
		}
	}
	if got := run(office); len(got) != 0 {
		t.Errorf("office typos raised %+v", got)
	}
}

func TestDormantAccount(t *testing.T) {
	var evs []*event.Event
	for i := 0; i < 25; i++ { // a tenant at work for eight days
		for d := 0; d < 8; d++ {
			evs = append(evs, signIn(fmt.Sprintf("u%d@x", i), time.Duration(d*24+i)*time.Hour/2, london, "81.2.1.1", true, 0))
		}
	}
	created := &event.Event{}
	created.SetTime(t0.Add(8 * 24 * time.Hour))
	created.Vigil.Category = event.CategoryUserCreate
	created.User = &event.User{Name: "newhire@x"}
	evs = append(evs, created,
		signIn("newhire@x", 9*24*time.Hour, london, "81.2.1.1", true, 0),    // created while watched: a new hire
		signIn("sleeper@x", 9*24*time.Hour, sydney, "101.160.4.9", true, 0)) // never seen, never created
	got := run(evs)
	if len(got) != 1 || got[0].Entity.Name != "sleeper@x" || got[0].Severity != alert.SeverityMedium {
		t.Fatalf("%+v", got)
	}
	// Sparse logs of a handful of people: nobody is "new".
	if got := run([]*event.Event{signIn("a@x", 0, london, "81.2.1.1", true, 0), signIn("b@x", 10*24*time.Hour, london, "81.2.1.1", true, 0)}); len(got) != 0 {
		t.Errorf("sparse logs: %+v", got)
	}
}
