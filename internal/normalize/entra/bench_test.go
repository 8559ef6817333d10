package entra

import (
	"testing"

	"github.com/vigil-sec/vigil/internal/normalize/normalizetest"
)

const benchFixture = "bench-signin.json" // a ~3.4 KB Graph sign-in

func BenchmarkParse(b *testing.B) {
	normalizetest.BenchParse(b, New(), normalizetest.BenchRecord(b, benchFixture))
}

func BenchmarkDecodeStruct(b *testing.B) {
	normalizetest.BenchDecode(b, normalizetest.BenchRecord(b, benchFixture), func() any { return new(signIn) })
}

func BenchmarkBaselineMap(b *testing.B) {
	normalizetest.BenchBaselineMap(b, normalizetest.BenchRecord(b, benchFixture))
}
