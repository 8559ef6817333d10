package pipeline_test

import (
	"context"
	"slices"
	"testing"

	"github.com/vigil-sec/vigil/internal/detect/behavior"
	"github.com/vigil-sec/vigil/internal/hunt"
	"github.com/vigil-sec/vigil/internal/incident/grouper"
	"github.com/vigil-sec/vigil/internal/normalize"
	"github.com/vigil-sec/vigil/internal/normalize/formats"
	"github.com/vigil-sec/vigil/internal/pipeline"
	"github.com/vigil-sec/vigil/internal/sim"
	"github.com/vigil-sec/vigil/internal/source"
	"github.com/vigil-sec/vigil/internal/store"
	"github.com/vigil-sec/vigil/internal/store/sqlite"
	"github.com/vigil-sec/vigil/internal/triage"
)

// liveWithHooks is live with the triage summary and the incident grouper attached; it
// returns the stored alerts' ids, how many carry a triage summary, and the incidents' ids.
func liveWithHooks(t *testing.T, all []delivery, stopEvery int) (ids []string, triaged int, incidents []string, starts int) {
	t.Helper()
	ctx := context.Background()
	dataDir := t.TempDir()
	clock := &simClock{}
	for starts = 1; ; starts++ {
		st, err := sqlite.Open(ctx, dataDir)
		if err != nil {
			t.Fatal(err)
		}
		rs, errs := hunt.LoadRules(hunt.Options{})
		if len(errs) > 0 {
			t.Fatal(errs)
		}
		g := grouper.New(st, grouper.Config{}, nil)
		if err := g.Restore(ctx); err != nil {
			t.Fatal(err)
		}
		runCtx, cancel := context.WithCancel(ctx)
		src := &pollingSource{name: "tenant", all: all, clock: clock, stopAfter: stopEvery, stop: cancel}
		p, err := pipeline.New(pipeline.Options{
			Config: pipeline.DefaultConfig(), Store: st, Normalizer: normalize.New(formats.All()...),
			Sources: []source.Source{src},
			Ordered: rs.Detector(), Baseline: behavior.New(behavior.DefaultConfig()),
			Clock:     clock.now,
			Annotate:  triage.New(st, triage.Config{}, nil).Annotate,
			Incidents: g,
		})
		if err != nil {
			t.Fatal(err)
		}
		err = p.Run(runCtx)
		cancel()
		if err != nil {
			t.Fatal(err)
		}
		if !src.stopped {
			ids = storedAlertIDs(t, st)
			page, err := st.Alerts(ctx, store.AlertQuery{Limit: 10000})
			if err != nil {
				t.Fatal(err)
			}
			for _, a := range page.Alerts {
				if _, ok := a.Details["triage"].(map[string]any); ok {
					triaged++
				}
			}
			ip, err := st.Incidents(ctx, store.IncidentQuery{Limit: 10000})
			if err != nil {
				t.Fatal(err)
			}
			for _, in := range ip.Incidents {
				incidents = append(incidents, in.ID)
			}
			slices.Sort(incidents)
			st.Close()
			return ids, triaged, incidents, starts
		}
		st.Close()
		if starts > 500 {
			t.Fatal("too many restarts")
		}
	}
}

// TestHooksTriageAndIncidents: with the hooks attached the daemon raises the same alerts as
// the hunt, every stored alert carries its triage summary, chains make incidents, and a
// daemon restarted along the way makes the same incidents with the same ids.
func TestHooksTriageAndIncidents(t *testing.T) {
	recs, dir := simulate(t, sim.Config{Seed: 3, Users: 40, Days: 4})
	want := huntIDs(t, dir)
	all := deliveries(recs, 3)
	ids, triaged, incs, _ := liveWithHooks(t, all, 0)
	diff(t, "live with hooks", ids, want)
	if triaged != len(ids) {
		t.Errorf("%d of %d stored alerts carry a triage summary", triaged, len(ids))
	}
	if len(incs) == 0 {
		t.Errorf("no incident of two alerts or more from %d alerts of a simulation with attack chains", len(ids))
	}
	ids2, triaged2, incs2, starts := liveWithHooks(t, all, 700)
	if starts < 3 {
		t.Fatalf("started %d times; want several restarts", starts)
	}
	diff(t, "live with hooks and restarts", ids2, want)
	if triaged2 != len(ids2) {
		t.Errorf("restarted: %d of %d stored alerts carry a triage summary", triaged2, len(ids2))
	}
	diff(t, "incidents with restarts", incs2, incs)
	t.Logf("%d alerts, %d incidents, restarted daemon started %d times", len(ids), len(incs), starts)
}
