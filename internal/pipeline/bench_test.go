package pipeline_test

import (
	"context"
	"io/fs"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/vigil-sec/vigil/internal/detect/behavior"
	"github.com/vigil-sec/vigil/internal/event"
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

// tenantEvents is the simulated tenant's week (300 users × 7 days, every record kind),
// normalized once per test binary (the benchmarks only read them), in batches of up to
// 1,000 events as a Graph page brings them.
func tenantEvents(b *testing.B) [][]*event.Event {
	b.Helper()
	batches, err := tenantWeek()
	if err != nil {
		b.Fatal(err)
	}
	return batches
}

var tenantWeek = sync.OnceValues(func() ([][]*event.Event, error) {
	s, err := sim.New(sim.Config{Seed: 1, Users: 300, Days: 7})
	if err != nil {
		return nil, err
	}
	n := normalize.New(formats.All()...)
	var batches [][]*event.Event
	var cur []*event.Event
	if _, err := s.Run(context.Background(), func(r sim.Record) error {
		_, err := n.Record(context.Background(), r.JSON, func(ev *event.Event) error {
			ev.Vigil.Collector = "tenant"
			cur = append(cur, ev)
			if len(cur) == 1000 {
				batches, cur = append(batches, cur), nil
			}
			return nil
		})
		return err
	}); err != nil {
		return nil, err
	}
	return append(batches, cur), nil
})

// BenchmarkStoreAppend is the store step of the live path alone: the simulated tenant's
// normalized events appended to a fresh store with a checkpoint, 1,000 a transaction.
// It reports events/s, allocations and heap bytes per event, and the disk per event.
func BenchmarkStoreAppend(b *testing.B) {
	batches := tenantEvents(b)
	total := 0
	for _, bt := range batches {
		total += len(bt)
	}
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	cpu := cpuTime(b)
	var disk int64
	for range b.N {
		b.StopTimer()
		dir := b.TempDir()
		st, err := sqlite.Open(ctx, dir)
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		for i, bt := range batches {
			if _, err := st.AppendNew(ctx, "tenant", bt, []byte(strconv.Itoa(i))); err != nil {
				b.Fatal(err)
			}
		}
		b.StopTimer()
		cpu.pause()
		st.Close()
		disk = dirSize(b, dir)
		cpu.resume()
		b.StartTimer()
	}
	b.ReportMetric(float64(b.N*total)/b.Elapsed().Seconds(), "events/s")
	b.ReportMetric(cpu.per(b.N*total), "cpu-µs/event")
	b.ReportMetric(float64(disk)/float64(total), "disk-B/event")
}

// BenchmarkStoredReadBack is the ordered detections' read of the stored events
// (pipeline.Stored over the whole week, in EventOrder) with no detector: what the second
// pass over each event costs. The store is the one the events were just appended to, as
// in the live path.
func BenchmarkStoredReadBack(b *testing.B) {
	batches := tenantEvents(b)
	ctx := context.Background()
	st, err := sqlite.Open(ctx, b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	for i, bt := range batches {
		if _, err := st.AppendNew(ctx, "tenant", bt, []byte(strconv.Itoa(i))); err != nil {
			b.Fatal(err)
		}
	}
	far := time.Now().Add(100 * 365 * 24 * time.Hour)
	b.ReportAllocs()
	b.ResetTimer()
	cpu := cpuTime(b)
	n := 0
	for range b.N {
		if err := pipeline.Stored(ctx, st, time.Time{}, far, func(*event.Event) error { n++; return nil }); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "events/s")
	b.ReportMetric(cpu.per(n), "cpu-µs/event")
}

func dirSize(b *testing.B, dir string) int64 {
	b.Helper()
	var n int64
	err := filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		info, err := d.Info()
		if err == nil {
			n += info.Size()
		}
		return err
	})
	if err != nil {
		b.Fatal(err)
	}
	return n
}

// cpuClock counts the process's CPU time (user and system, every thread: the GC and
// SQLite's work included) while the benchmark runs. On a shared machine it varies far
// less than the wall-clock rate, which waits for the other sessions' work.
type cpuClock struct {
	b      *testing.B
	used   time.Duration
	since  time.Duration
	paused bool
}

func cpuTime(b *testing.B) *cpuClock {
	c := &cpuClock{b: b}
	c.since = c.now()
	return c
}

func (c *cpuClock) now() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		c.b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func (c *cpuClock) pause()  { c.used += c.now() - c.since; c.paused = true }
func (c *cpuClock) resume() { c.since = c.now(); c.paused = false }

// per is the CPU time in microseconds per one of n.
func (c *cpuClock) per(n int) float64 {
	if !c.paused {
		c.pause()
	}
	return float64(c.used.Microseconds()) / float64(max(n, 1))
}
