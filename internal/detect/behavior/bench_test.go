package behavior

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"runtime"
	"testing"
	"time"

	"github.com/vigil-sec/vigil/internal/alert"
	"github.com/vigil-sec/vigil/internal/event"
)

// benchWorld is a population of identities with a week of history each, and a ring of
// fresh events to score: sign-ins of people (location, device, client, app) and API calls
// of engineers.
type benchWorld struct {
	d     *Detector
	ring  []*event.Event
	bytes float64 // heap per identity after learning, its addresses' profiles included
}

func newBenchWorld(b *testing.B, entities, historyPerEntity int) *benchWorld {
	b.Helper()
	tn := newTenant(1, 0)
	people := make([]person, entities)
	for i := range people {
		people[i] = person{upn: fmt.Sprintf("user%07d@corp.example", i), home: cities[i%len(cities)],
			homeIP: fmt.Sprintf("10.%d.%d.%d", i>>16&255, i>>8&255, i&255), asn: 64512 + i%500, device: fmt.Sprintf("dev%07d", i)}
	}
	mk := func(i, k int, t time.Time) *event.Event {
		if k%4 == 3 {
			return tn.apiCall(people[i], t, "DescribeInstances", event.CategoryResourceRead, "eu-west-1")
		}
		return tn.signIn(people[i], t)
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	d := New(DefaultConfig())
	emit := func(alert.Alert) {}
	start := t0.Add(-8 * 24 * time.Hour)
	step := 8 * 24 * time.Hour / time.Duration(historyPerEntity)
	for k := 0; k < historyPerEntity; k++ {
		for i := 0; i < entities; i++ {
			d.Observe(context.Background(), mk(i, k, start.Add(time.Duration(k)*step+time.Duration(i%3600)*time.Second)), emit)
		}
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	w := &benchWorld{d: d, bytes: float64(after.HeapAlloc-before.HeapAlloc) / float64(entities)}
	ring := min(entities, 100_000)
	for i := 0; i < ring; i++ {
		w.ring = append(w.ring, mk(i*(entities/ring), i, t0.Add(time.Duration(i)*time.Millisecond)))
	}
	return w
}

// BenchmarkObserve is the whole behavioural path per event — score, detections, learning —
// over identities that each have a week of history, at 10,000 and 1,000,000 identities
// (the latter only with VIGIL_BENCH_LARGE=1, `make bench-large`: building it takes minutes).
// It reports events/s and bytes of state per identity.
func BenchmarkObserve(b *testing.B) {
	for _, n := range []int{10_000, 1_000_000} {
		b.Run(fmt.Sprintf("entities=%d", n), func(b *testing.B) {
			if n > 10_000 && os.Getenv("VIGIL_BENCH_LARGE") == "" {
				b.Skip("1M identities take minutes to build: set VIGIL_BENCH_LARGE=1")
			}
			w := newBenchWorld(b, n, 12)
			emit := func(alert.Alert) {}
			ctx := context.Background()
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				ev := w.ring[i%len(w.ring)]
				if i > 0 && i%len(w.ring) == 0 {
					for _, e := range w.ring { // next lap: three hours later, past the dedup window
						e.Time += 3 * 3_600_000
					}
				}
				w.d.Observe(ctx, ev, emit)
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
			b.ReportMetric(w.bytes, "bytes/entity")
		})
	}
}

// BenchmarkScore is scoring alone: features read from the event and rated against the
// identity's trained profile, without detections or learning.
func BenchmarkScore(b *testing.B) {
	w := newBenchWorld(b, 10_000, 12)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		ev := w.ring[i%len(w.ring)]
		extract(ev, &w.d.fs)
		sc := w.d.score(ev, w.d.st.Profiles[ev.Vigil.Entity], nil)
		ev.Vigil.Score = sc.total
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkSnapshot measures saving and restoring the state of 10,000 identities.
func BenchmarkSnapshot(b *testing.B) {
	w := newBenchWorld(b, 10_000, 12)
	var buf bytes.Buffer
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		buf.Reset()
		if err := w.d.Snapshot(&buf); err != nil {
			b.Fatal(err)
		}
		if err := New(DefaultConfig()).Restore(bytes.NewReader(buf.Bytes())); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(buf.Len())/10_000, "snapshot-bytes/entity")
	b.ReportMetric(b.Elapsed().Seconds()/float64(b.N)/10_000*1e6, "µs/entity")
}
