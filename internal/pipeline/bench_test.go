package pipeline_test

import (
	"context"
	"testing"
	"time"

	"github.com/vigil-sec/vigil/internal/detect/behavior"
	"github.com/vigil-sec/vigil/internal/hunt"
	"github.com/vigil-sec/vigil/internal/normalize"
	"github.com/vigil-sec/vigil/internal/normalize/formats"
	"github.com/vigil-sec/vigil/internal/pipeline"
	"github.com/vigil-sec/vigil/internal/sim"
	"github.com/vigil-sec/vigil/internal/source"
	"github.com/vigil-sec/vigil/internal/store/sqlite"
)

// BenchmarkPipeline is the whole live path on one machine — normalize, store (events and
// checkpoint in one transaction), detection on arrival and in event-time order with the
// built-in rules and the behavioural baselines — fed the simulated tenant's records as
// polls deliver them. It reports events/s.
func BenchmarkPipeline(b *testing.B) {
	for _, step := range []time.Duration{time.Minute, time.Hour} {
		b.Run("poll="+step.String(), func(b *testing.B) { benchPipeline(b, step) })
	}
}

func benchPipeline(b *testing.B, step time.Duration) {
	s, err := sim.New(sim.Config{Seed: 1, Users: 300, Days: 7})
	if err != nil {
		b.Fatal(err)
	}
	var recs []sim.Record
	if _, err := s.Run(context.Background(), func(r sim.Record) error { recs = append(recs, r); return nil }); err != nil {
		b.Fatal(err)
	}
	all := deliveries(recs, 1)
	b.ResetTimer()
	events := 0
	for range b.N {
		b.StopTimer()
		st, err := sqlite.Open(context.Background(), b.TempDir())
		if err != nil {
			b.Fatal(err)
		}
		rs, _ := hunt.LoadRules(hunt.Options{})
		clock := &simClock{}
		p, err := pipeline.New(pipeline.Options{
			Config: pipeline.DefaultConfig(), Store: st, Normalizer: normalize.New(formats.All()...),
			Sources: []source.Source{&pollingSource{name: "tenant", all: all, clock: clock, step: step}},
			Ordered: rs.Detector(), Baseline: behavior.New(behavior.DefaultConfig()), Clock: clock.now,
		})
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		if err := p.Run(context.Background()); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		events += p.Health().Sources(time.Now())[0].Events
		st.Close()
		b.StartTimer()
	}
	b.ReportMetric(float64(events)/b.Elapsed().Seconds(), "events/s")
}
