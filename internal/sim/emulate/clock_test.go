package emulate

import (
	"net/url"
	"testing"
	"time"

	"github.com/vigil-sec/vigil/internal/sim"
)

func TestAcceleratedClockMapsWallTimeToSimulatedTime(t *testing.T) {
	wall := newFakeWall()
	c := NewAcceleratedWall(t0, 60, wall.c.Now)
	if !c.Now().Equal(t0) || c.Speed() != 60 {
		t.Fatalf("at start: %v speed %v", c.Now(), c.Speed())
	}
	wall.c.Advance(90 * time.Second)
	if want := t0.Add(90 * time.Minute); !c.Now().Equal(want) {
		t.Fatalf("after 90 wall seconds at 60x: %v, want %v", c.Now(), want)
	}
	if frozen := NewAcceleratedWall(t0, -1, wall.c.Now); frozen.Speed() != 0 {
		t.Fatalf("negative speed = %v, want 0", frozen.Speed())
	}
}

func TestAcceleratedClockDrivesVisibility(t *testing.T) {
	wall := newFakeWall()
	clock := NewAcceleratedWall(t0, 120, wall.c.Now)
	s := start(t, func(o *Options) { o.Clock = clock; o.Wall = wall.c.Now })
	s.Add(signIn(1, t0.Add(time.Minute), "interactiveUser"))
	tok := getToken(t, s, "https://graph.microsoft.com/.default")
	list := s.URL() + "/v1.0/auditLogs/signIns?$filter=" + url.QueryEscape("createdDateTime ge 2026-10-20T00:00:00Z")
	if n := len(walk(t, s, tok, list, "@odata.nextLink")); n != 0 {
		t.Fatalf("served %d before its time", n)
	}
	wall.c.Advance(30 * time.Second) // one simulated hour: past every sign-in delay
	if n := len(walk(t, s, tok, list, "@odata.nextLink")); n != 1 {
		t.Fatalf("served %d after a simulated hour, want 1", n)
	}
}

func TestNewRefusesIncompleteOptions(t *testing.T) {
	ok := Options{TenantID: testTenant, ClientID: testClient, ClientSecret: testSecret}
	for name, mod := range map[string]func(*Options){
		"no tenant":        func(o *Options) { o.TenantID = "" },
		"no client":        func(o *Options) { o.ClientID = "" },
		"no secret":        func(o *Options) { o.ClientSecret = "" },
		"duplicate rate 2": func(o *Options) { o.DuplicateRate = 2 },
		"negative page":    func(o *Options) { o.PageSize = -1 },
		"max below min": func(o *Options) {
			o.Delay = map[sim.Kind]DelayRange{sim.KindGraphAudit: {Min: time.Minute, Max: time.Second}}
		},
	} {
		o := ok
		mod(&o)
		if _, err := New(o); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, err := New(ok); err != nil {
		t.Fatal(err)
	}
}
