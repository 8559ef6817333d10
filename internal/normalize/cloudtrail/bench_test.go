package cloudtrail

import (
	"testing"

	"github.com/vigil-sec/vigil/internal/normalize/normalizetest"
)

const benchFixture = "bench-cloudtrail.json" // a ~2 KB RunInstances by an assumed role

func BenchmarkParse(b *testing.B) {
	normalizetest.BenchParse(b, New(), normalizetest.BenchRecord(b, benchFixture))
}

func BenchmarkDecodeStruct(b *testing.B) {
	normalizetest.BenchDecode(b, normalizetest.BenchRecord(b, benchFixture), func() any { return new(record) })
}

func BenchmarkBaselineMap(b *testing.B) {
	normalizetest.BenchBaselineMap(b, normalizetest.BenchRecord(b, benchFixture))
}
