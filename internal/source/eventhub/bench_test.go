package eventhub

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vigil-sec/vigil/internal/source"
)

// BenchmarkConsume measures diagnostic records per second from kfake (TLS, SASL PLAIN,
// 4 partitions, bodies of 50 records) through Run to an emit that only counts: the
// collector's and the client's cost including the group join and a commit after every
// fetch, without the normalizer or the store.
func BenchmarkConsume(b *testing.B) {
	once, perBody := diagnosticBodies(b, 50)
	var bodies [][]byte
	for len(bodies)*50 < 100_000 {
		bodies = append(bodies, once...)
	}
	events := len(bodies) / len(once) * perBody
	var total int
	for b.Loop() {
		b.StopTimer()
		ns := newNamespace(b, 4, testHub)
		ns.produce(b, testHub, 4, bodies, time.Now())
		src := ns.source(b, ns.config())
		var got atomic.Int64
		all := make(chan struct{})
		emit := func(_ context.Context, bt source.Batch) error {
			if got.Add(int64(len(bt.Records))) == int64(len(bodies)) {
				close(all)
			}
			return nil
		}
		b.StartTimer()
		stop, _ := run(b, src, emit)
		select {
		case <-all:
		case <-time.After(2 * time.Minute):
			b.Fatalf("%d of %d bodies in 2 minutes", got.Load(), len(bodies))
		}
		b.StopTimer()
		_ = stop()
		ns.cluster.Close()
		total += events
		b.StartTimer()
	}
	b.ReportMetric(float64(total)/b.Elapsed().Seconds(), "events/s")
}
