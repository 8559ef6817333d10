package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
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
	recs, err := s.Records(context.Background(), sim.KindGraphSignIn, sim.KindGraphAudit, sim.KindGraphRisk, sim.KindActivityLog)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range recs {
		w.records[r.ID] = true
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
// 5xx, connection resets, truncated bodies) is SIGKILLed at random points of its ingest
// and started again (killRun); every record is stored exactly once, and the alerts equal an uninterrupted run's.
func TestKillAndRestart(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the daemon")
	}
	bin := buildVigil(t)
	w := newKillWorld(t)
	// A fault every second or two while both daemons collect.
	faultLoop(t, 1, func(rng *rand.Rand) {
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
	})
	rng := rand.New(rand.NewPCG(3, 4))
	plain := t.TempDir()
	killRun(t, bin, w.config(t, plain), len(w.records), 0, rng, afterRandomTime)
	killedDir := t.TempDir()
	at := killRun(t, bin, w.config(t, killedDir), len(w.records), 6, rng, afterRandomTime)
	compareRuns(t, w.records, plain, killedDir, at)
	t.Logf("%d requests (%d throttled)", w.emu.Stats().Requests, w.emu.Stats().Throttled)
}
