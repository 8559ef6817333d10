package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/vigil-sec/vigil/internal/sim"
	"github.com/vigil-sec/vigil/internal/sim/emulate"
	"github.com/vigil-sec/vigil/internal/store"
	"github.com/vigil-sec/vigil/internal/store/sqlite"
)

// buildVigil builds the binary the subprocess tests run.
func buildVigil(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "vigil")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// killWorld is a simulated tenant served by the emulators in real time, its whole
// history already visible, and a daemon config collecting it.
type killWorld struct {
	emu     *emulate.Server
	records map[string]bool // the ids of every record served
}

func newKillWorld(t *testing.T) *killWorld {
	t.Helper()
	end := time.Now().UTC().Add(-3 * time.Hour).Truncate(time.Hour)
	s, err := sim.New(sim.Config{Seed: 9, Users: 20, Days: 3, End: end})
	if err != nil {
		t.Fatal(err)
	}
	w := &killWorld{records: map[string]bool{}}
	var recs []sim.Record
	if _, err := s.Run(context.Background(), func(r sim.Record) error {
		switch r.Kind {
		case sim.KindGraphSignIn, sim.KindGraphAudit, sim.KindGraphRisk, sim.KindActivityLog:
			recs = append(recs, r)
			w.records[r.ID] = true
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	w.emu, err = emulate.New(emulate.Options{
		Seed: 9, TenantID: "kill-tenant", ClientID: "kill-app", ClientSecret: "kill-secret", DuplicateRate: 0.05,
		Budget: emulate.Budget{Requests: 100, Per: 10 * time.Second},
	})
	if err != nil {
		t.Fatal(err)
	}
	w.emu.Add(recs...)
	if err := w.emu.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.emu.Close() })
	return w
}

func (w *killWorld) config(t *testing.T, dir string) string {
	t.Helper()
	ca := filepath.Join(dir, "emulator-ca.pem")
	os.WriteFile(ca, w.emu.CertPEM(), 0o644)
	os.WriteFile(filepath.Join(dir, "secret"), []byte("kill-secret\n"), 0o600)
	common := fmt.Sprintf(`    tenant_id: kill-tenant
    client_id: kill-app
    client_secret_file: secret
    login_endpoint: %s
    ca_file: %s
    poll_interval: 1s
    backfill: 4d
    request_budget: 50
`, w.emu.URL(), ca)
	cfg := fmt.Sprintf(`data_dir: %s
listen: 127.0.0.1:0
log_level: warn
api:
  token: kill-test-token-0123456789
pipeline:
  snapshot_interval: 1s
  drain_on_stop: true
sources:
  - name: entra
    type: graph
    graph_endpoint: %s
    streams: [signins, directory_audits, risk_detections]
%s  - name: azure
    type: activitylog
    arm_endpoint: %s
%s`, filepath.Join(dir, "data"), w.emu.URL(), common, w.emu.URL(), common)
	path := filepath.Join(dir, "vigil.yaml")
	os.WriteFile(path, []byte(cfg), 0o644)
	return path
}

// stored counts the events of each record id in the daemon's store.
func stored(t *testing.T, dataDir string) map[string]int {
	t.Helper()
	counts := map[string]int{}
	if _, err := os.Stat(filepath.Join(dataDir, sqlite.FileName)); err != nil {
		return counts
	}
	st, err := sqlite.Open(context.Background(), dataDir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	q := store.Query{Limit: 10000, Ascending: true}
	for {
		p, err := st.Query(context.Background(), q)
		if err != nil {
			t.Fatal(err)
		}
		for _, ev := range p.Events {
			counts[ev.Metadata.UID]++
		}
		if p.Next == "" {
			return counts
		}
		q.Cursor = p.Next
	}
}

// runUntilCollected runs the daemon on cfg until every record is stored, SIGKILLing it
// after a random time up to kills times first, then stops it with SIGTERM.
func runUntilCollected(t *testing.T, bin, cfg string, w *killWorld, kills int, rng *rand.Rand) int {
	t.Helper()
	dataDir := filepath.Join(filepath.Dir(cfg), "data")
	deadline := time.Now().Add(6 * time.Minute)
	killed := 0
	for {
		cmd := exec.Command(bin, "serve", "--config", cfg)
		var logs strings.Builder
		cmd.Stderr = &logs
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		if killed < kills {
			time.Sleep(time.Duration(200+rng.IntN(1500)) * time.Millisecond) // a random point of the ingest
			cmd.Process.Signal(syscall.SIGKILL)
			cmd.Wait()
			killed++
			continue
		}
		started := time.Now()
		for len(stored(t, dataDir)) < len(w.records) || time.Since(started) < 3*time.Second {
			if time.Now().After(deadline) {
				cmd.Process.Kill()
				t.Fatalf("after %d kills, %d of %d records stored; log:\n%s", killed, len(stored(t, dataDir)), len(w.records), logs.String())
			}
			time.Sleep(200 * time.Millisecond) // polling the store for the daemon's progress
		}
		cmd.Process.Signal(syscall.SIGTERM) // drain_on_stop: everything collected is detected
		if err := cmd.Wait(); err != nil {
			t.Fatalf("the daemon did not stop cleanly on SIGTERM: %v\n%s", err, logs.String())
		}
		return killed
	}
}

func alertIDs(t *testing.T, dataDir string) []string {
	t.Helper()
	st, err := sqlite.Open(context.Background(), dataDir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var ids []string
	q := store.AlertQuery{Limit: 10000}
	for {
		p, err := st.Alerts(context.Background(), q)
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range p.Alerts {
			ids = append(ids, a.ID)
		}
		if p.Next == "" {
			break
		}
		q.Cursor = p.Next
	}
	slices.Sort(ids)
	return ids
}

// TestKillAndRestart: the daemon collecting from the emulators with faults on (throttling,
// 5xx, connection resets, truncated bodies) is SIGKILLed at random points and started
// again; every record is stored exactly once, and the alerts equal an uninterrupted run's.
func TestKillAndRestart(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the daemon")
	}
	bin := buildVigil(t)
	w := newKillWorld(t)
	stop := make(chan struct{})
	defer close(stop)
	go func() { // a fault every second or two while both daemons collect
		rng := rand.New(rand.NewPCG(1, 2))
		for {
			select {
			case <-stop:
				return
			case <-time.After(time.Duration(700+rng.IntN(1300)) * time.Millisecond):
			}
			f := w.emu.Faults()
			switch rng.IntN(4) {
			case 0:
				f.SetThrottle(2, time.Second)
			case 1:
				f.SetStatus(503, 1)
			case 2:
				f.SetReset(1)
			case 3:
				f.SetTruncate(1)
			}
		}
	}()
	rng := rand.New(rand.NewPCG(3, 4))
	plain := t.TempDir()
	runUntilCollected(t, bin, w.config(t, plain), w, 0, rng)
	killedDir := t.TempDir()
	kills := runUntilCollected(t, bin, w.config(t, killedDir), w, 6, rng)

	counts := stored(t, filepath.Join(killedDir, "data"))
	for id := range w.records {
		if counts[id] != 1 {
			t.Errorf("record %s stored %d times", id, counts[id])
		}
	}
	want, got := alertIDs(t, filepath.Join(plain, "data")), alertIDs(t, filepath.Join(killedDir, "data"))
	if len(want) == 0 {
		t.Fatal("the uninterrupted run raised no alert")
	}
	if !slices.Equal(got, want) {
		t.Errorf("after %d kills: %d alerts, the uninterrupted run %d", kills, len(got), len(want))
	}
	t.Logf("%d records, %d kills, %d alerts, %d requests (%d throttled)", len(w.records), kills, len(want), w.emu.Stats().Requests, w.emu.Stats().Throttled)
}
