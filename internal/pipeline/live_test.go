package pipeline_test

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/vigil-sec/vigil/internal/config"
	"github.com/vigil-sec/vigil/internal/detect/behavior"
	"github.com/vigil-sec/vigil/internal/hunt"
	"github.com/vigil-sec/vigil/internal/normalize"
	"github.com/vigil-sec/vigil/internal/normalize/formats"
	"github.com/vigil-sec/vigil/internal/pipeline"
	"github.com/vigil-sec/vigil/internal/sim"
	"github.com/vigil-sec/vigil/internal/sim/emulate"
	"github.com/vigil-sec/vigil/internal/source"
	"github.com/vigil-sec/vigil/internal/source/activitylog"
	"github.com/vigil-sec/vigil/internal/source/azure"
	"github.com/vigil-sec/vigil/internal/source/graph"
	"github.com/vigil-sec/vigil/internal/store/sqlite"
)

// TestCollectedThroughTheEmulatorsEqualsHunt is the live path end to end: the simulated
// tenant's Graph and Activity Log records served by the emulators over the real wire
// formats (TLS, OAuth client credentials, $filter, paging, records visible minutes after
// they happened, 5% served twice), collected by the graph and activitylog sources in
// accelerated time, stored and detected by the pipeline — the same alert ids as vigil
// hunt over the same records as files.
func TestCollectedThroughTheEmulatorsEqualsHunt(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the collectors for about 20 s")
	}
	cfg := sim.Config{Seed: 5, Users: 30, Days: 4}
	s, err := sim.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	w := sim.NewWriter(dir, cfg.Seed)
	var recs []sim.Record
	if _, err := s.Run(context.Background(), func(r sim.Record) error {
		switch r.Kind {
		case sim.KindGraphSignIn, sim.KindGraphAudit, sim.KindGraphRisk, sim.KindActivityLog:
			recs = append(recs, r)
			return w.Write(r)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	want := huntIDs(t, dir)
	if len(want) < 3 {
		t.Fatalf("the hunt raised %d alerts; want a simulation with attacks in it", len(want))
	}

	end := sim.DefaultEnd()
	start := end.Add(-2 * 24 * time.Hour) // two days of history are the first start's backfill
	clock := emulate.NewAccelerated(start, 10000)
	delay := emulate.DelayRange{Min: time.Minute, Max: 20 * time.Minute} // within the allowed lateness
	emu, err := emulate.New(emulate.Options{
		Clock: clock, Seed: 5, TenantID: "tenant-1", ClientID: "app-1", ClientSecret: "secret-1", DuplicateRate: 0.05,
		Delay:  map[sim.Kind]emulate.DelayRange{sim.KindGraphSignIn: delay, sim.KindGraphAudit: delay, sim.KindGraphRisk: delay, sim.KindActivityLog: delay},
		Budget: emulate.Budget{Requests: 10000, Per: 10 * time.Second}, ARMBudget: emulate.Budget{Requests: 10000, Per: 10 * time.Second},
	})
	if err != nil {
		t.Fatal(err)
	}
	emu.Add(recs...)
	if err := emu.Start(); err != nil {
		t.Fatal(err)
	}
	defer emu.Close()

	cred := azure.DefaultCredentials()
	cred.TenantID, cred.ClientID, cred.ClientSecret, cred.LoginEndpoint = "tenant-1", "app-1", "secret-1", emu.URL()
	opts := []azure.Option{azure.WithHTTPClient(emu.Client()), azure.WithClock(clock.Now), azure.WithLogger(slog.New(slog.DiscardHandler))}
	gc := graph.DefaultConfig()
	gc.Name, gc.Credentials, gc.GraphEndpoint = "entra", cred, emu.URL()
	gc.PollInterval, gc.Backfill, gc.RequestBudget = config.Duration(time.Second), config.Duration(3*24*time.Hour), 10000
	gc.Streams = []string{"signins", "directory_audits", "risk_detections"}
	gs, err := graph.New(gc, opts...)
	if err != nil {
		t.Fatal(err)
	}
	ac := activitylog.DefaultConfig()
	ac.Name, ac.Credentials, ac.ARMEndpoint = "azure", cred, emu.URL()
	ac.PollInterval, ac.Backfill, ac.RequestBudget = config.Duration(time.Second), config.Duration(3*24*time.Hour), 10000
	as, err := activitylog.New(ac, opts...)
	if err != nil {
		t.Fatal(err)
	}

	st, err := sqlite.Open(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	rs, _ := hunt.LoadRules(hunt.Options{})
	pc := pipeline.DefaultConfig()
	pc.IdleTimeout, pc.DrainOnStop = 24*time.Hour, true
	p, err := pipeline.New(pipeline.Options{
		Config: pc, Store: st, Normalizer: normalize.New(formats.All()...), Sources: []source.Source{gs, as},
		Arrival: rs.ArrivalDetector(), Ordered: rs.OrderedDetector(), Baseline: behavior.New(behavior.DefaultConfig()),
		Clock: clock.Now,
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()
	// Wait until both sources completed a poll after every record became visible.
	allVisible := end.Add(delay.Max + time.Minute)
	deadline := time.Now().Add(2 * time.Minute)
	for {
		caught := 0
		for _, h := range p.Health().Sources(clock.Now()) {
			if h.LastPoll.After(allVisible) {
				caught++
			}
		}
		if caught == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the sources did not catch up: %+v", p.Health().Sources(clock.Now()))
		}
		time.Sleep(50 * time.Millisecond) // the accelerated clock moves on its own
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	got := storedAlertIDs(t, st)
	diff(t, "collected through the emulators", got, want)
	es := emu.Stats()
	if es.Duplicates == 0 || es.Records <= len(recs) {
		t.Errorf("the emulator served %d records (%d duplicated) of %d: the test should see records twice", es.Records, es.Duplicates, len(recs))
	}
	t.Logf("%d records, %d served over %d requests (%d given a second copy), %d alerts", len(recs), es.Records, es.Requests, es.Duplicates, len(want))
}
