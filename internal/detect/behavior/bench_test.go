package behavior

import (
	"context"
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/vigil-sec/vigil/internal/alert"
	"github.com/vigil-sec/vigil/internal/event"
)

// BenchmarkObserve measures the behavioural detections per sign-in and the memory they keep
// per person, for 10,000 people.
func BenchmarkObserve(b *testing.B) {
	const people = 10000
	evs := make([]*event.Event, people)
	cs := []city{london, newYork, paris, sydney}
	for i := range evs {
		evs[i] = signIn(fmt.Sprintf("user%d@x", i), time.Duration(i)*time.Second, cs[i%len(cs)], fmt.Sprintf("81.%d.%d.%d", i/65536, (i/256)%256, i%256), i%17 != 0, 5089+i%50)
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	d := New(Config{})
	emit := func(alert.Alert) {}
	for _, ev := range evs {
		d.Observe(context.Background(), ev, emit)
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	perEntity := float64(after.HeapAlloc-before.HeapAlloc) / people
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		ev := evs[i%people]
		ev.Time += 3_600_000 // an hour later each round
		d.Observe(context.Background(), ev, emit)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
	b.ReportMetric(perEntity, "bytes/entity")
}
