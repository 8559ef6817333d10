package graph

import (
	"testing"
	"time"

	"github.com/vigil-sec/vigil/internal/sim/emulate"
)

// BenchmarkCatchUp measures a backfill of the simulated tenant's Graph logs through the
// emulator over loopback TLS, without a request budget: the collector's own cost per
// record (token, paging, dedupe, checkpoints), not Graph's throttling.
func BenchmarkCatchUp(b *testing.B) {
	records := 0
	for b.Loop() {
		b.StopTimer()
		h := newHarness(b, func(o *emulate.Options) { o.DuplicateRate = 0.1 })
		h.clock.Set(h.simEnd.Add(3 * time.Hour)) // everything visible: one poll reads it all
		st := newStore()
		src := h.source(b, h.config())
		b.StartTimer()
		if err := st.Run(b, src, 1, nil); err != nil {
			b.Fatal(err)
		}
		for _, bt := range st.Batches() {
			records += len(bt.Records)
		}
	}
	b.ReportMetric(float64(records)/b.Elapsed().Seconds(), "records/s")
}
