package eventhub

import (
	"context"
	"errors"
	"maps"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/vigil-sec/vigil/internal/config"
	"github.com/vigil-sec/vigil/internal/sim/emulate"
	"github.com/vigil-sec/vigil/internal/source"
)

// supervise runs src.Run again each time it returns an error, as the pipeline's supervisor
// does, until the returned stop is called; stop returns the number of Runs that failed.
func supervise(t *testing.T, src *Source, emit source.Emit) (stop func() int) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int)
	go func() {
		failed := 0
		for ctx.Err() == nil {
			if err := src.Run(ctx, nil, emit); err != nil && ctx.Err() == nil {
				failed++
				t.Logf("Run: %v", err)
				select { // the supervisor's backoff
				case <-ctx.Done():
				case <-time.After(100 * time.Millisecond):
				}
			}
		}
		done <- failed
	}()
	var failed = -1
	stop = func() int {
		if failed < 0 {
			cancel()
			failed = <-done
		}
		return failed
	}
	t.Cleanup(func() { stop() })
	return stop
}

// TestBrokerRestartLosesNothing: the namespace's broker restarts twice while the source
// reads it — once while a fetch's batch is being stored (emitted, not yet committed), once
// while the member is caught up. Every body is stored; the bodies read again are all of
// the stream in flight at the first restart; after the second, nothing stored is read again
// and the bodies produced after it are read once; and a new member reads nothing again.
func TestBrokerRestartLosesNothing(t *testing.T) {
	hubs, err := emulate.NewEventHubs(emulate.EventHubsOptions{Partitions: 3})
	if err != nil {
		t.Fatal(err)
	}
	defer hubs.Close()
	ca := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(ca, hubs.CertPEM(), 0o600); err != nil {
		t.Fatal(err)
	}
	bodies, records := diagnosticBodies(t, 10)
	half := len(bodies) / 2
	if err := hubs.Produce(context.Background(), time.Now(), bodies[:half]...); err != nil {
		t.Fatal(err)
	}
	cfg := DefaultConfig()
	cfg.Name, cfg.ConnectionString, cfg.CAFile = "restart", config.Secret(hubs.ConnectionString()), ca
	cfg.MaxWait = config.Duration(200 * time.Millisecond)
	newSource := func() *Source {
		s, err := New(cfg, WithDialer(hubs.Dial), WithClientOptions(kgo.HeartbeatInterval(100*time.Millisecond), kgo.SessionTimeout(3*time.Second)))
		if err != nil {
			t.Fatal(err)
		}
		return s
	}

	sk := newSink()
	blocked, release := make(chan struct{}), make(chan struct{})
	hold := true
	sk.fail = func(b source.Batch) error { // called with sk.mu held
		if len(b.Records) == 0 || !hold {
			return nil
		}
		hold = false // the first batch with records: its fetch is not committed until it returns
		sk.mu.Unlock()
		close(blocked)
		<-release
		sk.mu.Lock()
		return nil
	}
	stop := supervise(t, newSource(), sk.emit)
	<-blocked
	if err := hubs.Restart(); err != nil {
		t.Fatal(err)
	}
	close(release)
	sk.waitFor(t, 60*time.Second, "the first half stored and an end of poll after it", func(s *sink) bool {
		return len(s.bodies) == half && s.batches[len(s.batches)-1].EndOfPoll
	})
	sk.mu.Lock()
	before := maps.Clone(sk.bodies)
	sk.mu.Unlock()
	if err := hubs.Restart(); err != nil {
		t.Fatal(err)
	}
	if err := hubs.Produce(context.Background(), time.Now(), bodies[half:]...); err != nil {
		t.Fatal(err)
	}
	sk.waitFor(t, 60*time.Second, "every body stored", func(s *sink) bool { return len(s.bodies) == len(bodies) })
	failed := stop()

	sk.mu.Lock()
	defer sk.mu.Unlock()
	repeated := 0
	for i, body := range bodies {
		n := sk.bodies[string(body)]
		switch {
		case n == 0:
			t.Errorf("body %d lost across the restarts", i)
		case i < half && n != before[string(body)]:
			t.Errorf("body %d, stored before the second restart, read again after it", i)
		case i >= half && n != 1:
			t.Errorf("body %d, produced after the second restart, read %d times", i, n)
		case n > 1:
			repeated++
		}
	}
	// Stopped cleanly, the member committed what it stored: a new one reads nothing.
	again := newSink()
	stop2, _ := run(t, newSource(), again.emit)
	again.waitFor(t, 30*time.Second, "an end of poll after the restarts", func(s *sink) bool { return s.endPolls > 0 })
	_ = stop2()
	if again.records != 0 {
		t.Errorf("a new member read %d bodies again after the restarts", again.records)
	}
	if st := hubs.Stats(); st.Restarts != 2 {
		t.Fatalf("the broker restarted %d times, want 2", st.Restarts)
	}
	t.Logf("%d bodies (%d records), %d read twice after the first restart, %d Runs ended by the restarts",
		len(bodies), records, repeated, failed)
}

// TestBrokersReplaceTheBootstrap: brokers beside a connection string are dialled instead
// of the namespace's host (no dialer given), and TLS there still verifies the namespace's
// name: "localhost" is not in the certificate.
func TestBrokersReplaceTheBootstrap(t *testing.T) {
	ns := newNamespace(t, 2, testHub)
	bodies, _ := diagnosticBodies(t, 50)
	ns.produce(t, testHub, 2, bodies, time.Now())
	cfg := ns.config()
	_, port, _ := net.SplitHostPort(ns.addr)
	cfg.Brokers = []string{"localhost:" + port}
	src, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	sk := newSink()
	stop, _ := run(t, src, sk.emit)
	sk.waitFor(t, 30*time.Second, "every body", func(s *sink) bool { return len(s.bodies) == len(bodies) })
	if err := stop(); !errors.Is(err, context.Canceled) {
		t.Fatalf("Run = %v", err)
	}
}
