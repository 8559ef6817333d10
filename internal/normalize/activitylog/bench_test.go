package activitylog

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/vigil-sec/vigil/internal/normalize/normalizetest"
)

// benchRecord reads one of this package's benchmark fixtures, written from the Activity Log
// schema: a REST event with a full claims set, and a diagnostic record with an escaped
// request body.
func benchRecord(b *testing.B, name string) []byte {
	b.Helper()
	rec, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		b.Fatal(err)
	}
	return bytes.TrimSpace(rec)
}

func BenchmarkParseREST(b *testing.B) {
	normalizetest.BenchParse(b, New(), benchRecord(b, "bench-rest.json"))
}

func BenchmarkParseDiag(b *testing.B) {
	normalizetest.BenchParse(b, New(), benchRecord(b, "bench-diag.json"))
}

func BenchmarkBaselineMapREST(b *testing.B) {
	normalizetest.BenchBaselineMap(b, benchRecord(b, "bench-rest.json"))
}

func BenchmarkBaselineMapDiag(b *testing.B) {
	normalizetest.BenchBaselineMap(b, benchRecord(b, "bench-diag.json"))
}
