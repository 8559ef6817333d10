package normalizetest

import (
	"bytes"
	stdjson "encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/goccy/go-json"

	"github.com/vigil-sec/vigil/internal/event"
	"github.com/vigil-sec/vigil/internal/normalize"
	"github.com/vigil-sec/vigil/internal/rawjson"
)

// BenchRecord reads one of the shared benchmark fixtures in internal/normalize/formats/testdata
// from a parser package's directory.
func BenchRecord(b *testing.B, name string) []byte {
	b.Helper()
	rec, err := os.ReadFile(filepath.Join("..", "formats", "testdata", name))
	if err != nil {
		b.Fatal(err)
	}
	return bytes.TrimSpace(rec)
}

func report(b *testing.B) {
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}

// BenchParse measures a parser alone (decode + normalize), without the framework's
// validation, probing and raw copy.
func BenchParse(b *testing.B, p normalize.Parser, rec []byte) {
	probe := rawjson.NewProbe(rec)
	b.SetBytes(int64(len(rec)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		var ev event.Event
		if err := p.Parse(rec, probe, &ev); err != nil {
			b.Fatal(err)
		}
	}
	report(b)
}

// BenchDecode measures decoding rec into the value newV returns, with goccy/go-json.
func BenchDecode(b *testing.B, rec []byte, newV func() any) {
	b.SetBytes(int64(len(rec)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := json.Unmarshal(rec, newV()); err != nil {
			b.Fatal(err)
		}
	}
	report(b)
}

// BenchBaselineMap is the baseline parsers are measured against: encoding/json decoding
// the same bytes into map[string]any.
func BenchBaselineMap(b *testing.B, rec []byte) {
	b.SetBytes(int64(len(rec)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		var m map[string]any
		if err := stdjson.Unmarshal(rec, &m); err != nil {
			b.Fatal(err)
		}
	}
	report(b)
}
