package pipeline_test

import (
	"context"
	"encoding/json"
	"math/rand/v2"
	"slices"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/vigil-sec/vigil/internal/alert"
	"github.com/vigil-sec/vigil/internal/detect/behavior"
	"github.com/vigil-sec/vigil/internal/hunt"
	"github.com/vigil-sec/vigil/internal/normalize"
	"github.com/vigil-sec/vigil/internal/normalize/formats"
	"github.com/vigil-sec/vigil/internal/pipeline"
	"github.com/vigil-sec/vigil/internal/sim"
	"github.com/vigil-sec/vigil/internal/source"
	"github.com/vigil-sec/vigil/internal/store"
	"github.com/vigil-sec/vigil/internal/store/sqlite"
)

// delivery is one record as a provider makes it available: late by a per-kind delay,
// sometimes twice.
type delivery struct {
	visible time.Time
	rec     []byte
}

// providerDelay are delays like the providers document: sign-ins minutes late, the
// Activity Log and CloudTrail 5-15 minutes.
func providerDelay(rng *rand.Rand, k sim.Kind) time.Duration {
	switch k {
	case sim.KindCloudTrail, sim.KindActivityLog:
		return 5*time.Minute + time.Duration(rng.Int64N(int64(10*time.Minute)))
	case sim.KindGraphRisk:
		return 2*time.Minute + time.Duration(rng.Int64N(int64(12*time.Minute)))
	}
	return 30*time.Second + time.Duration(rng.Int64N(int64(8*time.Minute)))
}

func deliveries(recs []sim.Record, seed uint64) []delivery {
	rng := rand.New(rand.NewPCG(seed, 3))
	var out []delivery
	for _, r := range recs {
		d := delivery{visible: r.Time.Add(providerDelay(rng, r.Kind)), rec: r.JSON}
		out = append(out, d)
		if rng.Float64() < 0.05 { // delivered again in a later poll, as Graph's overlap does
			out = append(out, delivery{visible: d.visible.Add(time.Duration(1+rng.IntN(5)) * time.Minute), rec: r.JSON})
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].visible.Before(out[j].visible) })
	return out
}

// pollingSource delivers what is visible at each simulated minute as one poll, the way a
// polling collector sees a provider, with its position as the checkpoint. stopAfter > 0
// shuts the daemon down (stop) after that many polls of this start.
type pollingSource struct {
	name      string
	all       []delivery
	clock     *simClock
	stopAfter int
	stop      func()
	stopped   bool
	step      time.Duration // simulated time between polls; default a minute
}

type checkpoint struct {
	Next int       `json:"next"`
	Poll time.Time `json:"poll"`
}

func (s *pollingSource) Name() string { return s.name }

func (s *pollingSource) Run(ctx context.Context, from []byte, emit source.Emit) error {
	var cp checkpoint
	if from != nil {
		if err := json.Unmarshal(from, &cp); err != nil {
			return err
		}
	} else {
		cp.Poll = s.all[0].visible.Truncate(time.Minute)
	}
	for polls := 0; cp.Next < len(s.all); polls++ {
		if s.stopAfter > 0 && polls == s.stopAfter {
			s.stopped = true
			s.stop()
			<-ctx.Done()
			return ctx.Err()
		}
		step := s.step
		if step == 0 {
			step = time.Minute
		}
		cp.Poll = cp.Poll.Add(step)
		s.clock.set(cp.Poll)
		var recs [][]byte
		for cp.Next < len(s.all) && s.all[cp.Next].visible.Before(cp.Poll) {
			recs = append(recs, s.all[cp.Next].rec)
			cp.Next++
		}
		b, _ := json.Marshal(cp)
		if err := emit(ctx, source.Batch{Records: recs, Available: cp.Poll, Checkpoint: b, EndOfPoll: true}); err != nil {
			return err
		}
	}
	return nil
}

type simClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *simClock) set(t time.Time) { c.mu.Lock(); c.t = t; c.mu.Unlock() }
func (c *simClock) now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

func simulate(t *testing.T, cfg sim.Config) ([]sim.Record, string) {
	t.Helper()
	s, err := sim.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	w := sim.NewWriter(dir, cfg.Seed)
	var recs []sim.Record
	if _, err := s.Run(context.Background(), func(r sim.Record) error {
		recs = append(recs, r)
		return w.Write(r)
	}); err != nil {
		t.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	return recs, dir
}

func huntIDs(t *testing.T, dir string) []string {
	t.Helper()
	var ids []string
	if _, err := hunt.Run(context.Background(), []string{dir}, hunt.Options{}, func(a alert.Alert) error {
		ids = append(ids, a.ID)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	slices.Sort(ids)
	return ids
}

// live runs the pipeline over the deliveries with the hunt's detectors, stopping the
// daemon every stopEvery polls and starting it again on the same store, and returns the
// stored alerts' ids.
func live(t *testing.T, all []delivery, stopEvery int) ([]string, int) {
	t.Helper()
	ctx := context.Background()
	dataDir := t.TempDir()
	clock := &simClock{}
	for starts := 1; ; starts++ {
		st, err := sqlite.Open(ctx, dataDir)
		if err != nil {
			t.Fatal(err)
		}
		rs, errs := hunt.LoadRules(hunt.Options{})
		if len(errs) > 0 {
			t.Fatal(errs)
		}
		runCtx, cancel := context.WithCancel(ctx)
		src := &pollingSource{name: "tenant", all: all, clock: clock, stopAfter: stopEvery, stop: cancel}
		p, err := pipeline.New(pipeline.Options{
			Config: pipeline.DefaultConfig(), Store: st, Normalizer: normalize.New(formats.All()...),
			Sources: []source.Source{src},
			Ordered: rs.Detector(), Baseline: behavior.New(behavior.DefaultConfig()),
			Clock: clock.now,
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
			ids := storedAlertIDs(t, st)
			st.Close()
			return ids, starts
		}
		st.Close()
		if starts > 500 {
			t.Fatal("too many restarts")
		}
	}
}

func storedAlertIDs(t *testing.T, st *sqlite.Store) []string {
	t.Helper()
	var ids []string
	q := store.AlertQuery{Limit: 1000}
	for {
		page, err := st.Alerts(context.Background(), q)
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range page.Alerts {
			ids = append(ids, a.ID)
		}
		if page.Next == "" {
			break
		}
		q.Cursor = page.Next
	}
	slices.Sort(ids)
	return ids
}

// TestLiveEqualsHunt is the property the live path is built on: the simulated tenant's
// records delivered late, out of order and partly twice, through the pipeline, raise the
// same alerts — same ids — as vigil hunt over the same records as files; and so does a
// daemon stopped and started again many times along the way.
func TestLiveEqualsHunt(t *testing.T) {
	recs, dir := simulate(t, sim.Config{Seed: 3, Users: 40, Days: 4})
	want := huntIDs(t, dir)
	if len(want) < 5 {
		t.Fatalf("the hunt raised %d alerts; the simulation should hold attacks", len(want))
	}
	all := deliveries(recs, 3)
	got, _ := live(t, all, 0)
	diff(t, "live", got, want)
	got, starts := live(t, all, 700)
	if starts < 3 {
		t.Fatalf("the daemon started %d times; want several stops along the way", starts)
	}
	diff(t, "live with restarts", got, want)
	t.Logf("%d alerts from %d deliveries; the restarted daemon started %d times", len(want), len(all), starts)
}

func diff(t *testing.T, what string, got, want []string) {
	t.Helper()
	if slices.Equal(got, want) {
		return
	}
	w := map[string]bool{}
	for _, id := range want {
		w[id] = true
	}
	g := map[string]bool{}
	var extra, missing []string
	for _, id := range got {
		g[id] = true
		if !w[id] {
			extra = append(extra, id)
		}
	}
	for _, id := range want {
		if !g[id] {
			missing = append(missing, id)
		}
	}
	t.Errorf("%s: %d alerts, hunt %d; %d not in the hunt %v, %d missing %v", what, len(got), len(want), len(extra), extra, len(missing), missing)
}
