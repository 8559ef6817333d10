package webhook

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
)

// BenchmarkDeliverJSON measures alerts/s posted, signed, to a loopback HTTP receiver in
// batches of 500 (the queue's default).
func BenchmarkDeliverJSON(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()
	cfg := DefaultConfig()
	cfg.Name, cfg.URL, cfg.Secret = "bench", srv.URL, "k"
	s, err := New(cfg, srv.Client(), nil)
	if err != nil {
		b.Fatal(err)
	}
	as := sample(500)
	n := 0
	for b.Loop() {
		if err := s.Deliver(context.Background(), as); err != nil {
			b.Fatal(err)
		}
		n += len(as)
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "alerts/s")
}
