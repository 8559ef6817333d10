package eventhub

import (
	"context"
	"errors"
	"net"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/vigil-sec/vigil/internal/config"
	"github.com/vigil-sec/vigil/internal/source"
)

func TestDeliversEveryBody(t *testing.T) {
	ns := newNamespace(t, 4, testHub)
	bodies, records := diagnosticBodies(t, 25)
	at := time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)
	ns.produce(t, testHub, 4, bodies, at)
	src := ns.source(t, ns.config())
	sk := newSink()
	stop, _ := run(t, src, sk.emit)
	sk.waitFor(t, 30*time.Second, "every body delivered and an end of poll after it", func(s *sink) bool {
		return len(s.bodies) == len(bodies) && s.batches[len(s.batches)-1].EndOfPoll
	})
	if err := stop(); !errors.Is(err, context.Canceled) {
		t.Fatalf("Run after cancel = %v, want context.Canceled", err)
	}
	var diag int
	streams := map[string]bool{}
	for _, b := range sk.batches {
		if b.Checkpoint != nil {
			t.Fatalf("batch %s has a checkpoint; offsets live in Kafka", b.Stream)
		}
		if len(b.Records) > 0 {
			streams[b.Stream] = true
			if b.Available.Before(at) || b.Available.After(at.Add(time.Duration(len(bodies))*time.Millisecond)) {
				t.Fatalf("batch %s available %s, want the records' Kafka timestamps from %s", b.Stream, b.Available, at)
			}
		}
		for _, r := range b.Records {
			diag += strings.Count(string(r), `"category"`)
		}
	}
	for body, n := range sk.bodies {
		if n != 1 {
			t.Fatalf("a body delivered %d times in an uninterrupted run: %.80s", n, body)
		}
	}
	if diag != records {
		t.Fatalf("%d diagnostic records delivered, %d produced", diag, records)
	}
	if len(streams) != 4 {
		t.Fatalf("batches came from %v, want the 4 partitions", streams)
	}
	if last := sk.batches[len(sk.batches)-1]; last.Watermark.IsZero() {
		t.Fatal("the end of poll after catching up has no watermark")
	}
	// The offsets were committed: a restart of the member reads nothing again.
	again := newSink()
	stop2, _ := run(t, ns.source(t, ns.config()), again.emit)
	again.waitFor(t, 30*time.Second, "an end of poll after the restart", func(s *sink) bool { return s.endPolls > 0 })
	_ = stop2()
	if again.records != 0 {
		t.Fatalf("a restart after a clean stop read %d bodies again", again.records)
	}
}

// TestCrashBeforeCommitRedelivers: an emit that fails, then a Run cancelled while
// emitting, leave their batches uncommitted; the next Run delivers them, and nothing
// produced is missing at the end.
func TestCrashBeforeCommitRedelivers(t *testing.T) {
	ns := newNamespace(t, 3, testHub)
	bodies, _ := diagnosticBodies(t, 40)
	ns.produce(t, testHub, 3, bodies, time.Now())
	cfg := ns.config()

	// 1: the store fails on the first batch with records.
	sk := newSink()
	var failed atomic.Int32
	sk.fail = func(b source.Batch) error {
		if len(b.Records) > 0 && failed.Add(1) == 1 {
			return errors.New("store: disk full")
		}
		return nil
	}
	stop1, done := run(t, ns.source(t, cfg), sk.emit)
	if err := waitErr(t, done, stop1); err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Fatalf("Run after a failed emit = %v, want the emit's error", err)
	}
	first := len(sk.bodies)

	// 2: cancelled in the middle of an emit (the store has not answered).
	ctx, cancel := context.WithCancel(context.Background())
	var emits atomic.Int32
	blocking := func(ectx context.Context, b source.Batch) error {
		if len(b.Records) > 0 && emits.Add(1) == 2 {
			cancel()
			return ectx.Err()
		}
		return sk.emit(ectx, b)
	}
	if err := ns.source(t, cfg).Run(ctx, nil, blocking); !errors.Is(err, context.Canceled) {
		t.Fatalf("Run cancelled mid-emit = %v", err)
	}

	// 3: a clean run catches up.
	src := ns.source(t, cfg)
	stop, _ := run(t, src, sk.emit)
	sk.waitFor(t, 30*time.Second, "every body delivered after the crashes", func(s *sink) bool {
		return len(s.bodies) == len(bodies) && s.batches[len(s.batches)-1].EndOfPoll
	})
	_ = stop()
	for _, b := range bodies {
		if sk.bodies[string(b)] == 0 {
			t.Fatal("a body was lost across the crashes")
		}
	}
	if first != 0 {
		t.Fatalf("%d bodies stored before the first emit failed; want none", first)
	}
}

func waitErr(t *testing.T, done <-chan struct{}, stop func() error) error {
	t.Helper()
	select {
	case <-done:
		return stop()
	case <-time.After(30 * time.Second):
		t.Fatal("Run did not return")
		return nil
	}
}

func TestWrongKeyIsPermanent(t *testing.T) {
	ns := newNamespace(t, 1, testHub)
	cfg := ns.config()
	cfg.ConnectionString = config.Secret(testConnString(testHub, "d3Jvbmcta2V5LW5vdC10aGUtcmlnaHQtb25lMTIzNA=="))
	src := ns.source(t, cfg)
	err := src.Run(context.Background(), nil, newSink().emit)
	if !errors.Is(err, source.ErrPermanent) || !strings.Contains(err.Error(), "SharedAccessKey is wrong") || !strings.Contains(err.Error(), "Listen") {
		t.Fatalf("Run with a wrong key = %v, want a permanent authentication error naming the key and Listen", err)
	}
	if strings.Contains(err.Error(), "d3Jvbmct") {
		t.Fatalf("the error quotes the key: %v", err)
	}
	if err := src.Check(context.Background()); !errors.Is(err, source.ErrPermanent) {
		t.Fatalf("Check with a wrong key = %v", err)
	}
}

func TestWrongHubIsPermanent(t *testing.T) {
	ns := newNamespace(t, 1, testHub)
	cfg := ns.config()
	cfg.ConnectionString = config.Secret(testConnString("insights-logs-signinlog", testKey))
	// kfake checks the password against the string it was given, so the wrong hub's
	// string must be the one it knows: register it too.
	ns.cluster.Close()
	ns = newNamespaceWith(t, cfg.ConnectionString.Reveal(), 1, testHub)
	cfg.CAFile = ns.caFile
	err := ns.source(t, cfg).Run(context.Background(), nil, newSink().emit)
	if !errors.Is(err, source.ErrPermanent) || !strings.Contains(err.Error(), `no event hub "insights-logs-signinlog"`) || !strings.Contains(err.Error(), "EntityPath") {
		t.Fatalf("Run with a wrong hub = %v", err)
	}
}

// TestNoListenRightIsPermanent: a policy that authenticates but may not read (Send
// only) is refused on the topic; the error names the Listen right.
func TestNoListenRightIsPermanent(t *testing.T) {
	conn := testConnString(testHub, testKey)
	ns := newNamespaceOpts(t, conn, []kfake.Opt{kfake.EnableACLs(), kfake.User("PLAIN", "$ConnectionString", conn)}, 1, testHub)
	err := ns.source(t, ns.config()).Run(context.Background(), nil, newSink().emit)
	if !errors.Is(err, source.ErrPermanent) || !strings.Contains(err.Error(), "needs the Listen right") {
		t.Fatalf("Run with a policy that may not read = %v", err)
	}
}

func TestWrongMechanismIsPermanent(t *testing.T) {
	ns := newNamespace(t, 1, testHub)
	cfg := DefaultConfig()
	cfg.Brokers, cfg.Topic, cfg.CAFile = []string{ns.addr}, testHub, ns.caFile
	cfg.SASLMechanism, cfg.Username, cfg.Password = "scram-sha-512", "$ConnectionString", config.Secret(testConnString(testHub, testKey))
	src, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	err = src.Run(context.Background(), nil, newSink().emit)
	if !errors.Is(err, source.ErrPermanent) || !strings.Contains(err.Error(), "sasl_mechanism scram-sha-512") {
		t.Fatalf("Run with SCRAM against a PLAIN-only broker = %v", err)
	}
}

func TestBlockedPortTimesOut(t *testing.T) {
	cfg := DefaultConfig()
	cfg.ConnectionString = config.Secret(testConnString(testHub, testKey))
	cfg.ConnectTimeout = config.Duration(200 * time.Millisecond)
	// A firewall that drops the SYN: the dial waits until its deadline.
	drop := func(ctx context.Context, network, addr string) (net.Conn, error) {
		<-ctx.Done()
		return nil, &net.OpError{Op: "dial", Net: network, Err: ctx.Err()}
	}
	src, err := New(cfg, WithDialer(drop))
	if err != nil {
		t.Fatal(err)
	}
	err = src.Run(context.Background(), nil, newSink().emit)
	if !errors.Is(err, ErrConnectTimeout) || !strings.Contains(err.Error(), "port 9093 blocked?") || !strings.Contains(err.Error(), testNamespace+":9093") {
		t.Fatalf("Run against a blocked port = %v", err)
	}
}

// TestTwoMembersSplitThePartitions: two daemons in one group hold disjoint halves of
// the hub's partitions, and between them read every body once.
func TestTwoMembersSplitThePartitions(t *testing.T) {
	ns := newNamespace(t, 4, testHub)
	a, b := ns.source(t, ns.config()), ns.source(t, ns.config())
	ska, skb := newSink(), newSink()
	run(t, a, ska.emit)
	run(t, b, skb.emit)
	deadline := time.Now().Add(30 * time.Second)
	for {
		pa, pb := a.Assigned(), b.Assigned()
		if len(pa) == 2 && len(pb) == 2 && !slices.ContainsFunc(pa, func(p string) bool { return slices.Contains(pb, p) }) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("partitions not split: %v and %v", pa, pb)
		}
		select {
		case <-ska.changed:
		case <-skb.changed:
		case <-time.After(50 * time.Millisecond): // a poll interval, not a wait for an event
		}
	}
	bodies, _ := diagnosticBodies(t, 10)
	ns.produce(t, testHub, 4, bodies, time.Now())
	total := func() int {
		ska.mu.Lock()
		skb.mu.Lock()
		defer ska.mu.Unlock()
		defer skb.mu.Unlock()
		return len(ska.bodies) + len(skb.bodies)
	}
	for total() < len(bodies) {
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d bodies delivered", total(), len(bodies))
		}
		select {
		case <-ska.changed:
		case <-skb.changed:
		case <-time.After(50 * time.Millisecond):
		}
	}
	ska.mu.Lock()
	defer ska.mu.Unlock()
	skb.mu.Lock()
	defer skb.mu.Unlock()
	for name, sk := range map[string]*sink{"a": ska, "b": skb} {
		if sk.records == 0 {
			t.Fatalf("member %s read nothing", name)
		}
		own := a.Assigned()
		if name == "b" {
			own = b.Assigned()
		}
		for _, bt := range sk.batches {
			if len(bt.Records) > 0 && !slices.Contains(own, bt.Stream) {
				t.Fatalf("member %s read %s, which it does not hold (%v)", name, bt.Stream, own)
			}
		}
	}
	for _, body := range bodies {
		if ska.bodies[string(body)]+skb.bodies[string(body)] != 1 {
			t.Fatal("a body was read by both members, or by neither")
		}
	}
}

// TestOneMegabyteBody: Event Hubs takes bodies up to 1 MB; such a body arrives whole.
func TestOneMegabyteBody(t *testing.T) {
	ns := newNamespace(t, 1, testHub)
	small, _ := diagnosticBodies(t, 1)
	var recs []string
	size := 20
	for i := 0; size < 1000*1000; i++ {
		r := string(small[i%len(small)])
		r = strings.TrimSuffix(strings.TrimPrefix(r, `{"records":[`), `]}`)
		recs = append(recs, r)
		size += len(r) + 1
	}
	body := []byte(`{"records":[` + strings.Join(recs, ",") + `]}`)
	ns.produce(t, testHub, 1, [][]byte{body, small[0]}, time.Now())
	sk := newSink()
	run(t, ns.source(t, ns.config()), sk.emit)
	sk.waitFor(t, 30*time.Second, "the 1 MB body and the one after it", func(s *sink) bool { return s.records == 2 })
	if sk.bodies[string(body)] != 1 {
		t.Fatalf("the %d-byte body did not arrive whole", len(body))
	}
}

// TestHandOverLosesNothing: a member that holds every partition and has stored a first
// set hands half of them to a second member; the sets produced before, during and after
// the hand-over are each read once, by one of them.
func TestHandOverLosesNothing(t *testing.T) {
	ns := newNamespace(t, 4, testHub)
	bodies, _ := diagnosticBodies(t, 5)
	third := len(bodies) / 3
	a, b := ns.source(t, ns.config()), ns.source(t, ns.config())
	ska, skb := newSink(), newSink()
	ns.produce(t, testHub, 4, bodies[:third], time.Now())
	run(t, a, ska.emit)
	ska.waitFor(t, 30*time.Second, "the first set", func(s *sink) bool { return len(s.bodies) == third })
	ns.produce(t, testHub, 4, bodies[third:2*third], time.Now())
	run(t, b, skb.emit)
	skb.waitFor(t, 30*time.Second, "the second member holding partitions", func(*sink) bool { return len(b.Assigned()) == 2 })
	ns.produce(t, testHub, 4, bodies[2*third:], time.Now())
	deadline := time.Now().Add(30 * time.Second)
	for {
		ska.mu.Lock()
		skb.mu.Lock()
		n := 0
		for _, body := range bodies {
			if ska.bodies[string(body)]+skb.bodies[string(body)] > 0 {
				n++
			}
		}
		ska.mu.Unlock()
		skb.mu.Unlock()
		if n == len(bodies) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d bodies read after the hand-over", n, len(bodies))
		}
		select {
		case <-ska.changed:
		case <-skb.changed:
		case <-time.After(50 * time.Millisecond):
		}
	}
	ska.mu.Lock()
	defer ska.mu.Unlock()
	skb.mu.Lock()
	defer skb.mu.Unlock()
	for i, body := range bodies {
		if n := ska.bodies[string(body)] + skb.bodies[string(body)]; n != 1 {
			t.Fatalf("body %d read %d times across the hand-over", i, n)
		}
	}
}

// TestKafkaSCRAMAndCheck: plain Kafka mode with SCRAM-SHA-256 over TLS reads the topic,
// and Check passes without joining the group.
func TestKafkaSCRAMAndCheck(t *testing.T) {
	conn := testConnString(testHub, testKey)
	ns := newNamespaceOpts(t, conn, []kfake.Opt{kfake.Superuser("PLAIN", "$ConnectionString", conn),
		kfake.Superuser("SCRAM-SHA-256", "vigil", "s3cret-pass")}, 2, "azure-diagnostics")
	bodies, _ := diagnosticBodies(t, 50)
	ns.produce(t, "azure-diagnostics", 2, bodies, time.Now())
	cfg := DefaultConfig()
	cfg.Brokers, cfg.Topic, cfg.CAFile, cfg.TLS = []string{ns.addr}, "azure-diagnostics", ns.caFile, true
	cfg.SASLMechanism, cfg.Username, cfg.Password = "scram-sha-256", "vigil", "s3cret-pass"
	cfg.MaxWait = config.Duration(100 * time.Millisecond)
	src, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := src.Check(context.Background()); err != nil {
		t.Fatalf("Check: %v", err)
	}
	if got := src.Permissions(); !slices.Contains(got, "Group:vigil:Read") || !slices.Contains(got, "Topic:azure-diagnostics:Read") {
		t.Fatalf("Permissions = %v", got)
	}
	if got := src.Endpoints(); len(got) != 1 || got[0] != "kafkas://"+ns.addr {
		t.Fatalf("Endpoints = %v", got)
	}
	sk := newSink()
	run(t, src, sk.emit)
	sk.waitFor(t, 30*time.Second, "every body over SCRAM", func(s *sink) bool { return len(s.bodies) == len(bodies) })
}
