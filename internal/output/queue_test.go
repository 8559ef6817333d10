package output_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigil-sec/vigil/internal/alert"
	"github.com/vigil-sec/vigil/internal/output"
	"github.com/vigil-sec/vigil/internal/pipeline"
	"github.com/vigil-sec/vigil/internal/store/sqlite"
)

// receiver is a Sender whose availability a test switches; it records what it accepted.
type receiver struct {
	mu       sync.Mutex
	down     bool
	poison   map[string]bool // alert ids rejected permanently
	got      []string
	calls    int
	maxBatch int
}

func (r *receiver) Name() string { return "test" }

func (r *receiver) Deliver(_ context.Context, alerts []alert.Alert) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls++
	r.maxBatch = max(r.maxBatch, len(alerts))
	if r.down {
		return errors.New("connection refused")
	}
	for _, a := range alerts {
		if r.poison[a.ID] {
			return output.Permanent(fmt.Errorf("alert %s: 400 bad request", a.ID))
		}
	}
	for _, a := range alerts {
		r.got = append(r.got, a.ID)
	}
	return nil
}

func (r *receiver) set(down bool) { r.mu.Lock(); r.down = down; r.mu.Unlock() }

func (r *receiver) received() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.got...)
}

func alerts(from, n int) []alert.Alert {
	out := make([]alert.Alert, n)
	for i := range out {
		out[i] = alert.Alert{ID: fmt.Sprintf("a%04d", from+i), Score: 50, Severity: alert.SeverityMedium,
			Rule: alert.Rule{ID: "r1", Kind: alert.KindSigma}, Time: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	}
	return out
}

func ids(as []alert.Alert) []string {
	out := make([]string, len(as))
	for i, a := range as {
		out[i] = a.ID
	}
	return out
}

func openStore(t *testing.T, dir string) *sqlite.Store {
	t.Helper()
	s, err := sqlite.Open(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// run starts q.Run and returns a stop function that waits for it.
func run(t *testing.T, q *output.Queue) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- q.Run(ctx) }()
	return func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	}
}

var fast = output.QueueOptions{MinBackoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond, BatchSize: 7}

// TestOutageAndRestart: the receiver is down, alerts are queued, the process stops and a
// new queue starts from the same store; when the receiver comes back every alert arrives
// once, in order — including alerts the pipeline hands over again after the restart.
func TestOutageAndRestart(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	recv := &receiver{down: true}

	st := openStore(t, dir)
	q := output.NewQueue(st, recv, fast)
	stop := run(t, q)
	want := alerts(0, 60)
	for i := 0; i < len(want); i += 20 {
		if err := q.Send(ctx, want[i:i+20]); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, "failed attempts", func() bool { return q.Stats().Failures >= 3 })
	if s := q.Stats(); s.Depth != 60 || s.Delivered != 0 || !strings.Contains(s.LastError, "connection refused") {
		t.Fatalf("while down: %+v", s)
	}
	stop()
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}

	st = openStore(t, dir)
	defer st.Close()
	q = output.NewQueue(st, recv, fast)
	if d := q.Stats().Depth; d != 0 {
		t.Fatalf("depth before load = %d", d) // loaded lazily by Send or Run
	}
	if err := q.Send(ctx, want[50:]); err != nil { // replayed by the pipeline: already queued
		t.Fatal(err)
	}
	more := alerts(60, 10)
	if err := q.Send(ctx, more); err != nil {
		t.Fatal(err)
	}
	if d := q.Stats().Depth; d != 70 {
		t.Fatalf("depth after restart = %d, want 70", d)
	}
	recv.set(false)
	stop = run(t, q)
	waitFor(t, "delivery", func() bool { return q.Stats().Depth == 0 })
	if err := q.Send(ctx, want[:5]); err != nil { // delivered already
		t.Fatal(err)
	}
	stop()
	got := recv.received()
	all := append(ids(want), ids(more)...)
	if strings.Join(got, ",") != strings.Join(all, ",") {
		t.Fatalf("received %d alerts:\n%v\nwant %d:\n%v", len(got), got, len(all), all)
	}
	if recv.maxBatch > 7 {
		t.Errorf("batch of %d, BatchSize 7", recv.maxBatch)
	}
	if s := q.Stats(); s.Delivered != 70 || s.Depth != 0 || s.OldestAge != 0 {
		t.Errorf("stats %+v", s)
	}
	left, err := st.ListState(ctx, "output/test/q/")
	if err != nil || len(left) != 0 {
		t.Errorf("queue keys left: %d %v", len(left), err)
	}
}

// TestPoisonAlertIsDeadLettered: an alert the receiver rejects permanently is tried
// MaxAttempts times on its own, then set aside with its error; the rest go through in order.
func TestPoisonAlertIsDeadLettered(t *testing.T) {
	ctx := context.Background()
	st := openStore(t, t.TempDir())
	defer st.Close()
	in := alerts(0, 20)
	recv := &receiver{poison: map[string]bool{in[5].ID: true}}
	opts := fast
	opts.MaxAttempts = 3
	q := output.NewQueue(st, recv, opts)
	if err := q.Send(ctx, in); err != nil {
		t.Fatal(err)
	}
	stop := run(t, q)
	waitFor(t, "delivery", func() bool { return q.Stats().Depth == 0 })
	stop()
	want := append(ids(in[:5]), ids(in[6:])...)
	if got := recv.received(); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("received %v\nwant %v", got, want)
	}
	// One failed batch, five alerts alone, three tries of the poison one, the last of its
	// batch alone, then two batches: the alerts behind the poison are not resent as batches.
	recv.mu.Lock()
	calls := recv.calls
	recv.mu.Unlock()
	if calls != 12 {
		t.Errorf("%d Deliver calls, want 12", calls)
	}
	dead, err := q.DeadLetters(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(dead) != 1 || dead[0].Alert.ID != in[5].ID || dead[0].Attempts != 3 || !strings.Contains(dead[0].LastError, "400 bad request") {
		t.Fatalf("dead letters %+v", dead)
	}
	if s := q.Stats(); s.DeadLettered != 1 || s.Delivered != 19 {
		t.Errorf("stats %+v", s)
	}
	// A restart neither re-queues the dead letter nor forgets it.
	q2 := output.NewQueue(st, recv, opts)
	if err := q2.Send(ctx, in[5:6]); err != nil {
		t.Fatal(err)
	}
	if d := q2.Stats().Depth; d != 0 {
		t.Errorf("dead-lettered alert queued again: depth %d", d)
	}
}

// TestFoldedAlertIsANewVersion: an alert that grew (more occurrences) is sent again.
func TestFoldedAlertIsANewVersion(t *testing.T) {
	ctx := context.Background()
	st := openStore(t, t.TempDir())
	defer st.Close()
	recv := &receiver{}
	q := output.NewQueue(st, recv, fast)
	a := alerts(0, 1)[0]
	b := a
	b.Occurrences = 2
	for _, x := range []alert.Alert{a, a, b, b} {
		if err := q.Send(ctx, []alert.Alert{x}); err != nil {
			t.Fatal(err)
		}
	}
	if d := q.Stats().Depth; d != 2 {
		t.Fatalf("depth %d, want 2 (versions 1 and 2)", d)
	}
}

func TestStatsAge(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	st := openStore(t, t.TempDir())
	defer st.Close()
	q := output.NewQueue(st, &receiver{}, output.QueueOptions{Now: clock})
	if err := q.Send(ctx, alerts(0, 3)); err != nil {
		t.Fatal(err)
	}
	now = now.Add(90 * time.Second)
	if s := q.Stats(); s.Depth != 3 || s.OldestAge != 90*time.Second || s.Name != "test" {
		t.Fatalf("stats %+v", s)
	}
}

// TestDedupeWindow: a delivered id is refused until its record is older than the window,
// then pruned on the next start, so the store does not grow with every alert ever sent.
func TestDedupeWindow(t *testing.T) {
	ctx := context.Background()
	var mu sync.Mutex
	now := time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	st := openStore(t, t.TempDir())
	defer st.Close()
	recv := &receiver{}
	opts := fast
	opts.Now, opts.DedupeWindow = clock, 24*time.Hour
	q := output.NewQueue(st, recv, opts)
	if err := q.Send(ctx, alerts(0, 3)); err != nil {
		t.Fatal(err)
	}
	stop := run(t, q)
	waitFor(t, "delivery", func() bool { return q.Stats().Delivered == 3 })
	stop()
	records, err := st.ListState(ctx, "output/test/seen/")
	if err != nil || len(records) != 1 {
		t.Fatalf("%d delivery records (%v), want one per batch", len(records), err)
	}
	mu.Lock()
	now = now.Add(25 * time.Hour)
	mu.Unlock()
	q = output.NewQueue(st, recv, opts)
	if err := q.Send(ctx, alerts(0, 1)); err != nil { // still remembered before the prune
		t.Fatal(err)
	}
	if d := q.Stats().Depth; d != 0 {
		t.Fatalf("depth %d before prune", d)
	}
	stop = run(t, q)
	waitFor(t, "prune", func() bool {
		r, err := st.ListState(ctx, "output/test/seen/")
		return err == nil && len(r) == 0
	})
	if err := q.Send(ctx, alerts(0, 1)); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "redelivery", func() bool { return q.Stats().Delivered == 1 })
	stop()
	if got := recv.received(); len(got) != 4 {
		t.Errorf("received %v", got)
	}
}

// The queue is what the pipeline hands alerts to.
var _ pipeline.Output = (*output.Queue)(nil)

// TestSendAfterStop: the pipeline's context may end while it hands over fresh alerts;
// they are queued all the same.
func TestSendAfterStop(t *testing.T) {
	st := openStore(t, t.TempDir())
	defer st.Close()
	q := output.NewQueue(st, &receiver{}, fast)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := q.Send(ctx, alerts(0, 2)); err != nil {
		t.Fatal(err)
	}
	if d := q.Stats().Depth; d != 2 {
		t.Fatalf("depth %d", d)
	}
}
