package graph

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vigil-sec/vigil/internal/config"
	"github.com/vigil-sec/vigil/internal/sim/emulate"
	"github.com/vigil-sec/vigil/internal/source"
	"github.com/vigil-sec/vigil/internal/source/azure"
	"github.com/vigil-sec/vigil/internal/source/azure/azuretest"
)

// step is how far the clock moves between poll cycles in the tests.
const step = 20 * time.Minute

// catchUp polls, moving the clock a step after each cycle, until the clock is past every
// record's latest visibility (the simulated day plus the emulator's longest delay).
func catchUp(t *testing.T, h *harness, st *azuretest.Store, src *Source) {
	t.Helper()
	end := h.simEnd.Add(3 * time.Hour)
	polls := int(end.Sub(h.clock.Now())/step) + 2
	if err := st.Run(t, src, polls, func() { h.clock.Advance(step) }); err != nil {
		t.Fatalf("Run: %v", err)
	}
}

func TestEveryVisibleRecordOnceAcrossPollsDuplicatesAndLateArrivals(t *testing.T) {
	h := newHarness(t, func(o *emulate.Options) { o.DuplicateRate = 0.1; o.PageSize = 200 })
	st := newStore()
	catchUp(t, h, st, h.source(t, h.config()))
	st.ExpectExactlyOnce(t, h.expected, "after catching up")
	stats := h.emu.Stats()
	if stats.Duplicates == 0 {
		t.Fatal("the emulator served no duplicates: the test proves nothing about dedupe")
	}
	if stats.Tokens != 1 || stats.Throttled != 0 {
		t.Errorf("%d tokens issued and %d requests throttled; want one cached token and none", stats.Tokens, stats.Throttled)
	}
	streams := map[string]int{}
	pages := 0
	for _, b := range st.Batches() {
		if len(b.Records) > 0 {
			streams[b.Stream] += len(b.Records)
			pages++
			if b.Available.IsZero() || b.Checkpoint == nil {
				t.Fatalf("batch of %s without availability time or checkpoint", b.Stream)
			}
		}
	}
	for s, n := range h.perStream {
		if streams[s] != n {
			t.Errorf("stream %s delivered %d records, want %d", s, streams[s], n)
		}
	}
	t.Logf("%d records in %d batches over %d polls: %v", len(h.expected), pages, st.Polls(), streams)
	t.Logf("normalized: %v", st.ExpectParsed(t))
}

func TestRestartFromCheckpointRepeatsNothing(t *testing.T) {
	h := newHarness(t, func(o *emulate.Options) { o.PageSize = 100 })
	st := newStore()
	for i := 0; i < 4; i++ { // four processes, each running a few cycles
		if err := st.Run(t, h.source(t, h.config()), 5, func() { h.clock.Advance(step) }); err != nil {
			t.Fatal(err)
		}
		h.clock.Advance(step)
	}
	catchUp(t, h, st, h.source(t, h.config()))
	st.ExpectExactlyOnce(t, h.expected, "after restarts")
}

func TestThrottlingIsARetryAfterWithTheServersWait(t *testing.T) {
	h := newHarness(t, nil)
	st := newStore()
	if err := st.Run(t, h.source(t, h.config()), 1, nil); err != nil {
		t.Fatal(err)
	}
	cp := string(st.Checkpoint())
	h.clock.Advance(step)
	h.emu.Faults().SetThrottle(1, 7*time.Second)
	err := st.Run(t, h.source(t, h.config()), 1, nil)
	var ra *source.RetryAfter
	if !errors.As(err, &ra) || ra.Wait != 7*time.Second {
		t.Fatalf("throttled Run returned %v, want a RetryAfter of 7s", err)
	}
	if string(st.Checkpoint()) != cp {
		t.Fatal("the checkpoint moved although the poll was throttled")
	}
	catchUp(t, h, st, h.source(t, h.config()))
	st.ExpectExactlyOnce(t, h.expected, "after throttling")
}

func TestTruncatedPageIsAnErrorAndReadAgain(t *testing.T) {
	h := newHarness(t, func(o *emulate.Options) { o.PageSize = 100 })
	st := newStore()
	if err := st.Run(t, h.source(t, h.config()), 1, nil); err != nil {
		t.Fatal(err)
	}
	before := len(st.Batches())
	cp := string(st.Checkpoint())
	h.clock.Advance(2 * time.Hour)
	h.emu.Faults().SetTruncate(1)
	err := st.Run(t, h.source(t, h.config()), 1, nil)
	if err == nil || errors.Is(err, source.ErrPermanent) {
		t.Fatalf("a truncated page gave %v, want a transient error", err)
	}
	if len(st.Batches()) != before || string(st.Checkpoint()) != cp {
		t.Fatal("a batch was emitted from a truncated page")
	}
	catchUp(t, h, st, h.source(t, h.config()))
	st.ExpectExactlyOnce(t, h.expected, "after truncation")
}

func TestResetAnd5xxAreTransientAndLoseNothing(t *testing.T) {
	h := newHarness(t, func(o *emulate.Options) { o.PageSize = 100 })
	st := newStore()
	if err := st.Run(t, h.source(t, h.config()), 3, func() { h.clock.Advance(step) }); err != nil {
		t.Fatal(err)
	}
	h.clock.Advance(step)
	h.emu.Faults().SetReset(2) // Go's transport retries a GET once on a reused connection that was reset
	if err := st.Run(t, h.source(t, h.config()), 1, nil); err == nil || errors.Is(err, source.ErrPermanent) {
		t.Fatalf("a reset connection gave %v, want a transient error", err)
	}
	h.emu.Faults().Clear() // whether the transport's retry spent the second reset or not
	h.emu.Faults().SetStatus(503, 1)
	var ra *source.RetryAfter
	if err := st.Run(t, h.source(t, h.config()), 1, nil); !errors.As(err, &ra) || ra.Wait != 5*time.Second {
		t.Fatalf("a 503 gave %v, want a RetryAfter of the 5s it named", err)
	}
	h.emu.Faults().SetStatus(500, 1)
	if err := st.Run(t, h.source(t, h.config()), 1, nil); err == nil || errors.As(err, &ra) || errors.Is(err, source.ErrPermanent) {
		t.Fatalf("a 500 gave %v, want a plain transient error", err)
	}
	catchUp(t, h, st, h.source(t, h.config()))
	st.ExpectExactlyOnce(t, h.expected, "after resets and 5xx")
}

func TestStoreFailureKeepsTheCursor(t *testing.T) {
	h := newHarness(t, func(o *emulate.Options) { o.PageSize = 100 })
	st := newStore()
	st.FailNext(errors.New("disk full"))
	src := h.source(t, h.config())
	if err := st.Run(t, src, 1, nil); err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Fatalf("Run returned %v, want the store's error", err)
	}
	catchUp(t, h, st, src) // the same Source again, as the supervisor restarts it
	st.ExpectExactlyOnce(t, h.expected, "after a store failure")
}

func TestBadSecretIsPermanentWithTheReasonAndNoSecret(t *testing.T) {
	h := newHarness(t, nil)
	c := h.config()
	c.ClientSecret = "wrong-" + testSecret
	err := newStore().Run(t, h.source(t, c), 1, nil)
	if !errors.Is(err, source.ErrPermanent) || !strings.Contains(err.Error(), "AADSTS7000215") {
		t.Fatalf("bad secret gave %v, want a permanent error naming AADSTS7000215", err)
	}
	if strings.Contains(err.Error(), testSecret) || strings.Contains(err.Error(), "\n") {
		t.Fatalf("the error shows the secret or spans lines: %q", err)
	}
	if err := h.source(t, c).Check(t.Context()); !errors.Is(err, source.ErrPermanent) {
		t.Fatalf("Check with a bad secret: %v", err)
	}
}

func TestCheckAndDescribe(t *testing.T) {
	h := newHarness(t, nil)
	s := h.source(t, h.config())
	if err := s.Check(t.Context()); err != nil {
		t.Fatalf("Check: %v", err)
	}
	want := []string{"AuditLog.Read.All", "Directory.Read.All", "IdentityRiskEvent.Read.All", "SecurityAlert.Read.All"}
	if got := s.Permissions(); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("Permissions = %v, want %v", got, want)
	}
	if ep := s.Endpoints(); len(ep) != 2 || !strings.HasPrefix(ep[0], h.emu.URL()+"/"+testTenant+"/") || ep[1] != h.emu.URL() {
		t.Fatalf("Endpoints = %v", ep)
	}
}

func TestCAFileTrustsAPrivateCA(t *testing.T) {
	h := newHarness(t, nil)
	c := h.config()
	c.CAFile = filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(c.CAFile, h.emu.CertPEM(), 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := New(c, azure.WithClock(h.clock.Now)) // no test client: ca_file alone must do
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Check(t.Context()); err != nil {
		t.Fatalf("Check through ca_file: %v", err)
	}
	c.CAFile = ""
	s, err = New(c, azure.WithClock(h.clock.Now))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Check(t.Context()); err == nil {
		t.Fatal("the emulator's certificate was trusted without ca_file")
	}
}

func TestRequestBudgetIsSharedPerAppAndTenant(t *testing.T) {
	h := newHarness(t, nil)
	budgets := azure.NewBudgets()
	c := h.config()
	c.RequestBudget = 3
	a, err := New(c, azure.WithHTTPClient(h.emu.Client()), azure.WithClock(h.clock.Now), azure.WithBudgets(budgets))
	if err != nil {
		t.Fatal(err)
	}
	c.Name = "entra-test-2"
	b, err := New(c, azure.WithHTTPClient(h.emu.Client()), azure.WithClock(h.clock.Now), azure.WithBudgets(budgets))
	if err != nil {
		t.Fatal(err)
	}
	if a.client.Budget != b.client.Budget {
		t.Fatal("two sources of one app and tenant have separate budgets")
	}
	c.TenantID = "0f0f0f0f-0000-4000-8000-000000000000"
	other, err := New(c, azure.WithHTTPClient(h.emu.Client()), azure.WithBudgets(budgets))
	if err != nil {
		t.Fatal(err)
	}
	if other.client.Budget == a.client.Budget {
		t.Fatal("another tenant shares the budget")
	}
}

func newStore() *azuretest.Store { return azuretest.NewStore("id") }

func TestRequestBudgetKeepsUnderTheServiceLimit(t *testing.T) {
	h := newHarness(t, func(o *emulate.Options) { o.Budget = emulate.Budget{Requests: 3, Per: time.Second} })
	c := h.config()
	c.Streams = []string{"signins", "directory_audits", "risk_detections"}
	c.RequestBudget, c.RequestWindow = 3, config.Duration(time.Second)
	if err := newStore().Run(t, h.source(t, c), 3, func() { h.clock.Advance(step) }); err != nil {
		t.Fatalf("Run within the budget: %v", err)
	}
	if n := h.emu.Stats().Throttled; n != 0 {
		t.Fatalf("%d requests were throttled within the budget", n)
	}
	c.RequestBudget = 0 // the control: without a budget the same polls are throttled
	var ra *source.RetryAfter
	if err := newStore().Run(t, h.source(t, c), 3, func() { h.clock.Advance(step) }); !errors.As(err, &ra) {
		t.Fatalf("Run without a budget = %v, want it throttled", err)
	}
}

func TestNoBackfillStartsNowAndStillCollects(t *testing.T) {
	h := newHarness(t, nil)
	c := h.config()
	c.Backfill = 0
	st := newStore()
	start := h.clock.Now()
	if err := st.Run(t, h.source(t, c), 60, func() { h.clock.Advance(step) }); err != nil {
		t.Fatal(err)
	}
	var got, old int
	for _, b := range st.Batches() {
		for _, r := range b.Records {
			got++
			var rec struct {
				Created  time.Time `json:"createdDateTime"`
				Activity time.Time `json:"activityDateTime"`
				Detected time.Time `json:"detectedDateTime"`
			}
			_ = json.Unmarshal(r, &rec)
			at := rec.Created
			if at.IsZero() {
				at = rec.Activity
			}
			if at.IsZero() {
				at = rec.Detected
			}
			if at.Before(start.Add(-3*time.Hour - time.Second)) { // the longest overlap
				old++
			}
		}
	}
	if got == 0 || old > 0 {
		t.Fatalf("backfill 0: %d records collected, %d of them from before the first poll's overlap", got, old)
	}
}

func TestARefusedTokenIsRenewedOnce(t *testing.T) {
	wall := emulate.NewManualClock(time.Now())
	h := newHarness(t, func(o *emulate.Options) { o.Wall = wall.Now })
	st := newStore()
	src := h.source(t, h.config())
	if err := st.Run(t, src, 1, nil); err != nil {
		t.Fatal(err)
	}
	// The emulator's clock runs past the token's hour while the cache still holds it
	// good: the source must get a new one instead of failing for good.
	wall.Advance(2 * time.Hour)
	h.clock.Advance(step)
	if err := st.Run(t, src, 1, nil); err != nil {
		t.Fatalf("after the token expired on the server: %v", err)
	}
	if n := h.emu.Stats().Tokens; n != 2 {
		t.Fatalf("%d tokens issued, want 2", n)
	}
}
