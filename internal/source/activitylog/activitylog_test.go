package activitylog

import (
	"context"
	"errors"
	"github.com/vigil-sec/vigil/internal/source/azure"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/vigil-sec/vigil/internal/config"
	"github.com/vigil-sec/vigil/internal/sim"
	"github.com/vigil-sec/vigil/internal/sim/emulate"
	"github.com/vigil-sec/vigil/internal/source"
	"github.com/vigil-sec/vigil/internal/source/azure/azuretest"
)

const (
	testTenant = "5d3e1f2a-7b6c-4d8e-9f0a-1b2c3d4e5f60"
	testClient = "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d"
	testSecret = "Zq8~not-a-real-secret-4f1e"
	// quietSub is a subscription the credential reads that has no events.
	quietSub = "0c0c0c0c-1111-4222-8333-444444444444"
	// foreignSub is one it cannot read.
	foreignSub = "0f0f0f0f-1111-4222-8333-444444444444"
	step       = 20 * time.Minute
)

// harness is an emulated tenant holding a simulated organisation's Activity Log.
type harness struct {
	emu       *emulate.Server
	clock     *emulate.ManualClock
	expected  map[string]bool
	perStream map[string]int
	simEnd    time.Time
}

func newHarness(t *testing.T, mod func(*emulate.Options)) *harness {
	t.Helper()
	simu, err := sim.New(sim.Config{Seed: 5, Users: 40, Days: 3})
	if err != nil {
		t.Fatal(err)
	}
	end := sim.DefaultEnd()
	h := &harness{clock: emulate.NewManualClock(end.Add(-24 * time.Hour)), expected: map[string]bool{}, perStream: map[string]int{}, simEnd: end}
	var recs []sim.Record
	subs := map[string]bool{}
	if _, err := simu.Run(context.Background(), func(r sim.Record) error {
		if r.Kind == sim.KindActivityLog {
			recs = append(recs, r)
			h.expected[r.ID] = true
			h.perStream["subscriptions/"+strings.ToLower(r.Scope)]++
			subs[r.Scope] = true
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(subs) < 2 || len(recs) < 100 {
		t.Fatalf("the simulation gave %d Activity Log events in %d subscriptions", len(recs), len(subs))
	}
	opts := emulate.Options{Clock: h.clock, Seed: 13, TenantID: testTenant, ClientID: testClient, ClientSecret: testSecret,
		ARMBudget: emulate.Budget{Requests: 100000, Per: 10 * time.Second}, Subscriptions: []string{quietSub}}
	for s := range subs {
		opts.Subscriptions = append(opts.Subscriptions, s)
	}
	if mod != nil {
		mod(&opts)
	}
	if h.emu, err = emulate.New(opts); err != nil {
		t.Fatal(err)
	}
	if err := h.emu.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = h.emu.Close() })
	h.emu.Add(recs...)
	return h
}

func (h *harness) config() Config {
	c := DefaultConfig()
	c.Name = "azure-test"
	c.TenantID, c.ClientID, c.ClientSecret = testTenant, testClient, testSecret
	c.LoginEndpoint, c.ARMEndpoint = h.emu.URL(), h.emu.URL()
	c.PollInterval = config.Duration(time.Millisecond)
	c.Backfill = config.Duration(3 * 24 * time.Hour)
	c.RequestBudget = 0
	return c
}

func (h *harness) source(t *testing.T, c Config) *Source {
	t.Helper()
	s, err := New(c, azure.WithHTTPClient(h.emu.Client()), azure.WithClock(h.clock.Now))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// catchUp polls, a step of the clock after each cycle, until every event is visible.
func (h *harness) catchUp(t *testing.T, st *azuretest.Store, src *Source) {
	t.Helper()
	polls := int(h.simEnd.Add(time.Hour).Sub(h.clock.Now())/step) + 2
	if err := st.Run(t, src, polls, func() { h.clock.Advance(step) }); err != nil {
		t.Fatalf("Run: %v", err)
	}
}

func TestEverySubscriptionsEventsOnceWithLateAndDuplicateEvents(t *testing.T) {
	h := newHarness(t, func(o *emulate.Options) { o.DuplicateRate = 0.1; o.PageSize = 50 })
	st := azuretest.NewStore("eventDataId")
	h.catchUp(t, st, h.source(t, h.config()))
	st.ExpectExactlyOnce(t, h.expected, "after catching up")
	got := map[string]int{}
	for _, b := range st.Batches() {
		got[b.Stream] += len(b.Records)
	}
	for s, n := range h.perStream {
		if got[s] != n {
			t.Errorf("%s: %d events, want %d", s, got[s], n)
		}
	}
	if h.emu.Stats().Duplicates == 0 {
		t.Fatal("the emulator served no duplicates: the test proves nothing about dedupe")
	}
	if !strings.Contains(string(st.Checkpoint()), "subscriptions/"+quietSub) {
		t.Error("the quiet subscription has no cursor in the checkpoint")
	}
	t.Logf("%d events over %d polls: %v", len(h.expected), st.Polls(), got)
	t.Logf("normalized: %v", st.ExpectParsed(t))
}

func TestRestartsRepeatNothing(t *testing.T) {
	h := newHarness(t, func(o *emulate.Options) { o.PageSize = 50 })
	st := azuretest.NewStore("eventDataId")
	for i := 0; i < 4; i++ {
		if err := st.Run(t, h.source(t, h.config()), 5, func() { h.clock.Advance(step) }); err != nil {
			t.Fatal(err)
		}
		h.clock.Advance(step)
	}
	h.catchUp(t, st, h.source(t, h.config()))
	st.ExpectExactlyOnce(t, h.expected, "after restarts")
}

func TestThrottledIsRetryAfter(t *testing.T) {
	h := newHarness(t, nil)
	h.emu.Faults().SetThrottle(1, 4*time.Second)
	err := azuretest.NewStore("eventDataId").Run(t, h.source(t, h.config()), 1, nil)
	var ra *source.RetryAfter
	if !errors.As(err, &ra) || ra.Wait != 4*time.Second {
		t.Fatalf("got %v, want a RetryAfter of 4s", err)
	}
}

func TestUnreadableSubscriptionNamesThePermissionAndStopsNoOther(t *testing.T) {
	h := newHarness(t, nil)
	c := h.config()
	c.Subscriptions = []string{foreignSub}
	for s := range h.perStream {
		c.Subscriptions = append(c.Subscriptions, strings.TrimPrefix(s, "subscriptions/"))
	}
	s := h.source(t, c)
	err := s.Check(t.Context())
	if err == nil || !strings.Contains(err.Error(), foreignSub) || !strings.Contains(err.Error(), readPermission) || strings.Count(err.Error(), "activitylog: subscriptions/") != 1 {
		t.Fatalf("Check = %v, want the foreign subscription named with %s, and only it", err, readPermission)
	}
	st := azuretest.NewStore("eventDataId")
	h.catchUp(t, st, s)
	st.ExpectExactlyOnce(t, h.expected, "beside an unreadable subscription")

	c.Subscriptions = []string{foreignSub}
	err = azuretest.NewStore("eventDataId").Run(t, h.source(t, c), 1, nil)
	if !errors.Is(err, source.ErrPermanent) || !strings.Contains(err.Error(), "AuthorizationFailed") {
		t.Fatalf("Run with nothing readable = %v, want a permanent AuthorizationFailed", err)
	}
}

func TestCheckAndDescribe(t *testing.T) {
	h := newHarness(t, nil)
	s := h.source(t, h.config())
	if err := s.Check(t.Context()); err != nil {
		t.Fatalf("Check: %v", err)
	}
	if p := s.Permissions(); len(p) != 2 || p[0] != readPermission {
		t.Fatalf("Permissions = %v", p)
	}
	if ep := s.Endpoints(); len(ep) != 2 || ep[1] != h.emu.URL() {
		t.Fatalf("Endpoints = %v", ep)
	}
	c := h.config()
	c.ClientSecret = "nope"
	if err := h.source(t, c).Check(t.Context()); !errors.Is(err, source.ErrPermanent) || !strings.Contains(err.Error(), "AADSTS7000215") {
		t.Fatalf("Check with a bad secret = %v", err)
	}
}

func TestValidateNamesKeys(t *testing.T) {
	c := DefaultConfig()
	c.Subscriptions = []string{"not-a-guid"}
	c.ARMEndpoint = "http://plain"
	err := c.Validate()
	for _, want := range []string{"tenant_id: required", "subscriptions[0]:", "arm_endpoint:"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Validate = %v, want %q", err, want)
		}
	}
}

func TestContractKeysDecodeStrictly(t *testing.T) {
	const doc = `
name: azure-prod
type: activitylog
tenant_id: 5d3e1f2a-7b6c-4d8e-9f0a-1b2c3d4e5f60
client_id: a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d
certificate_file: /etc/vigil/app.pem
auth: certificate
cloud: china
login_endpoint: https://login.example
arm_endpoint: https://arm.example
ca_file: /etc/vigil/ca.pem
subscriptions: [0c0c0c0c-1111-4222-8333-444444444444]
poll_interval: 30s
overlap: 20m
backfill: 2d
page_size: 200
`
	c := DefaultConfig()
	dec := yaml.NewDecoder(strings.NewReader(doc))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if c.Auth != "certificate" || c.ARMEndpoint != "https://arm.example" || len(c.Subscriptions) != 1 || c.Overlap.D() != 20*time.Minute {
		t.Fatalf("decoded %+v", c)
	}
}
