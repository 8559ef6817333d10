package graph

import (
	"context"
	"encoding/json"
	"fmt"
	"github.com/vigil-sec/vigil/internal/source/azure"
	"testing"
	"time"

	"github.com/vigil-sec/vigil/internal/config"
	"github.com/vigil-sec/vigil/internal/sim"
	"github.com/vigil-sec/vigil/internal/sim/emulate"
)

const (
	testTenant = "5d3e1f2a-7b6c-4d8e-9f0a-1b2c3d4e5f60"
	testClient = "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d"
	testSecret = "Zq8~not-a-real-secret-4f1e"
)

// harness is an emulated tenant with a simulated organisation's Graph records in it,
// and a clock both sides read.
type harness struct {
	emu       *emulate.Server
	clock     *emulate.ManualClock
	expected  map[string]bool // ids of every record a Graph stream serves
	perStream map[string]int  // how many each stream serves
	simEnd    time.Time
}

func newHarness(t testing.TB, mod func(*emulate.Options)) *harness {
	t.Helper()
	simu, err := sim.New(sim.Config{Seed: 3, Users: 20, Days: 3})
	if err != nil {
		t.Fatal(err)
	}
	end := sim.DefaultEnd()
	h := &harness{clock: emulate.NewManualClock(end.Add(-24 * time.Hour)), expected: map[string]bool{}, perStream: map[string]int{}, simEnd: end}
	opts := emulate.Options{Clock: h.clock, Seed: 11, TenantID: testTenant, ClientID: testClient, ClientSecret: testSecret,
		Budget: emulate.Budget{Requests: 100000, Per: 10 * time.Second}}
	if mod != nil {
		mod(&opts)
	}
	h.emu, err = emulate.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := h.emu.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = h.emu.Close() })
	var recs []sim.Record
	if _, err := simu.Run(context.Background(), func(r sim.Record) error {
		if name := graphStream(r); name != "" {
			recs = append(recs, r)
			h.expected[r.ID] = true
			h.perStream[name]++
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	// Identity Protection rates few sign-ins of a small tenant: add risk detections
	// spread over the last day, detected 30 s to 90 min after the activity.
	for i := 0; i < 40; i++ {
		at := end.Add(-time.Duration(i*37) * time.Minute)
		detected := at.Add(30*time.Second + time.Duration(i%4)*30*time.Minute)
		id := fmt.Sprintf("6b0d%04x-0000-4000-8000-%012x", i, i)
		b, _ := json.Marshal(map[string]any{"id": id, "riskEventType": "unfamiliarFeatures", "riskLevel": "medium",
			"activityDateTime": at.Format(time.RFC3339Nano), "detectedDateTime": detected.Format(time.RFC3339Nano),
			"lastUpdatedDateTime": detected.Add(time.Minute).Format(time.RFC3339Nano), "userPrincipalName": "someone@example.com"})
		recs = append(recs, sim.Record{Time: detected, Kind: sim.KindGraphRisk, ID: id, JSON: b})
		h.expected[id] = true
		h.perStream["risk_detections"]++
	}
	h.emu.Add(recs...)
	if len(h.expected) < 500 || h.perStream["risk_detections"] == 0 {
		t.Fatalf("the simulation gave only %v Graph records", h.perStream)
	}
	return h
}

// graphStream is the stream that lists a simulated record, "" for none.
func graphStream(r sim.Record) string {
	switch r.Kind {
	case sim.KindGraphSignIn:
		return "signins"
	case sim.KindGraphAudit:
		return "directory_audits"
	case sim.KindGraphRisk:
		return "risk_detections"
	case sim.KindEventHub:
		var d struct{ Category string }
		_ = json.Unmarshal(r.JSON, &d)
		return map[string]string{"NonInteractiveUserSignInLogs": "noninteractive",
			"ServicePrincipalSignInLogs": "serviceprincipal", "ManagedIdentitySignInLogs": "managedidentity"}[d.Category]
	}
	return ""
}

func (h *harness) config() Config {
	c := DefaultConfig()
	c.Name = "entra-test"
	c.TenantID, c.ClientID, c.ClientSecret = testTenant, testClient, testSecret
	c.LoginEndpoint, c.GraphEndpoint = h.emu.URL(), h.emu.URL()
	c.PollInterval = config.Duration(time.Millisecond)
	c.Backfill = config.Duration(3 * 24 * time.Hour)
	c.RequestBudget = 0
	return c
}

func (h *harness) source(t testing.TB, c Config) *Source {
	t.Helper()
	s, err := New(c, azure.WithHTTPClient(h.emu.Client()), azure.WithClock(h.clock.Now))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func mustTime(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}
