package cef

import (
	"bufio"
	"context"
	"io"
	"net"
	"testing"
)

// BenchmarkDeliverTCP measures alerts/s from Deliver to a loopback TCP receiver that
// drains the connection, in batches of 500 as the queue sends them.
func BenchmarkDeliverTCP(b *testing.B) {
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
			go func() { _, _ = io.Copy(io.Discard, bufio.NewReader(c)); c.Close() }()
		}
	}()
	cfg := DefaultConfig()
	cfg.Name = "bench"
	cfg.Address.Network, cfg.Address.Host = "tcp", ln.Addr().String()
	cfg.Hostname = "vigil"
	s, err := New(cfg, "1.0", nil)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	as := batch(500)
	ctx := context.Background()
	b.ResetTimer()
	n := 0
	for b.Loop() {
		if err := s.Deliver(ctx, as); err != nil {
			b.Fatal(err)
		}
		n += len(as)
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "alerts/s")
}

func BenchmarkLine(b *testing.B) {
	a := hostile()
	for b.Loop() {
		_ = Line(a, "Vigil", "1.0")
	}
}
