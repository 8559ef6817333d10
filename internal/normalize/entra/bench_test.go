package entra

import (
	"bytes"
	stdjson "encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/goccy/go-json"

	"github.com/vigil-sec/vigil/internal/event"
	"github.com/vigil-sec/vigil/internal/normalize"
)

// benchRecord is the shared ~3.4 KB Graph sign-in fixture of the formats benchmarks.
func benchRecord(b *testing.B) []byte {
	rec, err := os.ReadFile(filepath.Join("..", "formats", "testdata", "bench-signin.json"))
	if err != nil {
		b.Fatal(err)
	}
	return bytes.TrimSpace(rec)
}

// BenchmarkParse measures the parser alone (decode + normalize), without the framework's
// validation, probing and raw copy.
func BenchmarkParse(b *testing.B) {
	rec := benchRecord(b)
	p := New()
	probe := normalize.NewProbe(rec)
	b.SetBytes(int64(len(rec)))
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		var ev event.Event
		if err := p.Parse(rec, probe, &ev); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkDecodeStruct is the struct decode alone.
func BenchmarkDecodeStruct(b *testing.B) {
	rec := benchRecord(b)
	b.SetBytes(int64(len(rec)))
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		var r signIn
		if err := json.Unmarshal(rec, &r); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkBaselineMap is encoding/json into map[string]any, the baseline.
func BenchmarkBaselineMap(b *testing.B) {
	rec := benchRecord(b)
	b.SetBytes(int64(len(rec)))
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		var m map[string]any
		if err := stdjson.Unmarshal(rec, &m); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}
