package output_test

import (
	"context"
	"io"
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/vigil-sec/vigil/internal/output"
	"github.com/vigil-sec/vigil/internal/output/cef"
	"github.com/vigil-sec/vigil/internal/store/sqlite"
)

// BenchmarkQueueToCEF measures the whole path: Send into a queue kept in SQLite, Run
// delivering to CEF over TCP on loopback, until every alert is delivered and deleted.
func BenchmarkQueueToCEF(b *testing.B) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { _, _ = io.Copy(io.Discard, c); c.Close() }()
		}
	}()
	cfg := cef.DefaultConfig()
	cfg.Name, cfg.Hostname = "bench", "vigil"
	cfg.Address.Network, cfg.Address.Host = "tcp", ln.Addr().String()
	sender, err := cef.New(cfg, "1", nil)
	if err != nil {
		b.Fatal(err)
	}
	defer sender.Close()
	ctx := context.Background()
	st, err := openBenchStore(b)
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	q := output.NewQueue(st, sender, output.QueueOptions{})
	rctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- q.Run(rctx) }()
	batch := alerts(0, 100)
	n := 0
	for b.Loop() {
		for i := range batch {
			batch[i].ID = "b" + itoa(n+i)
		}
		if err := q.Send(ctx, batch); err != nil {
			b.Fatal(err)
		}
		n += len(batch)
	}
	for q.Stats().Delivered < int64(n) {
		time.Sleep(time.Millisecond)
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "alerts/s")
	cancel()
	if err := <-done; err != nil {
		b.Fatal(err)
	}
}

func itoa(i int) string { return strconv.Itoa(i) }

func openBenchStore(b *testing.B) (*sqlite.Store, error) {
	return sqlite.Open(context.Background(), b.TempDir())
}
