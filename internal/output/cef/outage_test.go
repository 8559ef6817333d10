package cef

import (
	"context"
	"fmt"
	"github.com/vigil-sec/vigil/internal/output/cef/ceftest"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/vigil-sec/vigil/internal/output"
	"github.com/vigil-sec/vigil/internal/store/sqlite"
)

// freePort returns a loopback port nothing listens on (the kernel's pick, released).
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// TestOutageToRsyslog: rsyslog is down while alerts are queued; Vigil stops and starts
// again from the same store; rsyslog comes up; every alert reaches rsyslog's file once,
// in order.
func TestOutageToRsyslog(t *testing.T) {
	if testing.Short() {
		t.Skip("starts rsyslogd")
	}
	port := freePort(t)
	dir := t.TempDir()
	ctx := context.Background()
	cfg := testConfig(t, fmt.Sprintf("tcp://127.0.0.1:%d", port))
	opts := output.QueueOptions{MinBackoff: 5 * time.Millisecond, MaxBackoff: 50 * time.Millisecond, BatchSize: 16}
	as := batch(100)

	// First process: the receiver is down.
	st, err := sqlite.Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(cfg, "1", nil)
	if err != nil {
		t.Fatal(err)
	}
	q := output.NewQueue(st, s, opts)
	rctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- q.Run(rctx) }()
	if err := q.Send(ctx, as[:60]); err != nil {
		t.Fatal(err)
	}
	waitQueue(t, "failed attempts", func() bool { return q.Stats().Failures >= 2 })
	if err := q.Send(ctx, as[60:]); err != nil {
		t.Fatal(err)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	s.Close()
	st.Close()

	// Second process, same store; the pipeline hands some alerts over again.
	st, err = sqlite.Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	s, err = New(cfg, "1", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	q = output.NewQueue(st, s, opts)
	if err := q.Send(ctx, as[90:]); err != nil {
		t.Fatal(err)
	}
	rctx, cancel = context.WithCancel(ctx)
	defer cancel()
	go func() { done <- q.Run(rctx) }()
	_, rawFile, _ := ceftest.RsyslogOn(t, port) // the receiver comes back
	waitQueue(t, "delivery", func() bool { return q.Stats().Depth == 0 })
	lines := ceftest.ReadLines(t, rawFile, len(as))
	if len(lines) != len(as) {
		t.Fatalf("rsyslog wrote %d lines, want %d", len(lines), len(as))
	}
	for i, line := range lines {
		p, err := ceftest.Parse(line[strings.Index(line, "CEF:"):])
		if err != nil {
			t.Fatal(err)
		}
		if p.Ext["externalId"] != as[i].ID {
			t.Fatalf("line %d is %s, want %s (order or duplicates)", i, p.Ext["externalId"], as[i].ID)
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func waitQueue(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
