package formats

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/vigil-sec/vigil/internal/event"
	"github.com/vigil-sec/vigil/internal/normalize"
)

// The benchmarks below measure the whole per-record path a file takes through `vigil parse`
// (validation, detection, parse, normalize, raw copy), against plain encoding/json decoding
// of the same bytes into map[string]any as the baseline. Each reports events/s.

func benchRecord(b *testing.B, name string) []byte {
	b.Helper()
	rec, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		b.Fatal(err)
	}
	return bytes.TrimSpace(rec)
}

func reportRate(b *testing.B, events int) {
	b.ReportMetric(float64(events)/b.Elapsed().Seconds(), "events/s")
}

func benchmarkNormalize(b *testing.B, name string) {
	rec := benchRecord(b, name)
	n := normalize.New(All()...)
	ctx := context.Background()
	var last *event.Event
	emit := func(ev *event.Event) error { last = ev; return nil }
	b.SetBytes(int64(len(rec)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := n.Record(ctx, rec, emit); err != nil {
			b.Fatal(err)
		}
	}
	reportRate(b, b.N)
	if last == nil || last.IsUnparsed() {
		b.Fatalf("%s did not normalize: %+v", name, last)
	}
}

func benchmarkBaseline(b *testing.B, name string) {
	rec := benchRecord(b, name)
	b.SetBytes(int64(len(rec)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		var m map[string]any
		if err := json.Unmarshal(rec, &m); err != nil {
			b.Fatal(err)
		}
	}
	reportRate(b, b.N)
}

func BenchmarkNormalizeCloudTrail(b *testing.B)    { benchmarkNormalize(b, "bench-cloudtrail.json") }
func BenchmarkBaselineMapCloudTrail(b *testing.B)  { benchmarkBaseline(b, "bench-cloudtrail.json") }
func BenchmarkNormalizeEntraSignIn(b *testing.B)   { benchmarkNormalize(b, "bench-signin.json") }
func BenchmarkBaselineMapEntraSignIn(b *testing.B) { benchmarkBaseline(b, "bench-signin.json") }
