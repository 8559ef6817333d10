package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/vigil-sec/vigil/internal/sim"
	"github.com/vigil-sec/vigil/internal/sim/emulate"
	"github.com/vigil-sec/vigil/internal/store"
	"github.com/vigil-sec/vigil/internal/store/sqlite"
)

// The kill-and-restart tests of the Event Hubs and CloudTrail collectors: as
// TestKillAndRestart (kill_test.go) does for Graph and the Activity Log, the daemon reads
// an emulator with faults on, is SIGKILLed at random points of the ingest and started
// again; every record is stored exactly once, and the alerts equal an uninterrupted run's.

// simRecords are the records of kind of a simulated tenant of users (TestKillAndRestart
// reads the one of 20), in time order.
func simRecords(t *testing.T, kind sim.Kind, users int) []sim.Record {
	t.Helper()
	end := time.Now().UTC().Add(-3 * time.Hour).Truncate(time.Hour)
	s, err := sim.New(sim.Config{Seed: 9, Users: users, Days: 3, End: end})
	if err != nil {
		t.Fatal(err)
	}
	recs, err := s.Records(context.Background(), kind)
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) < 500 {
		t.Fatalf("the simulation gave only %d %s records", len(recs), kind)
	}
	return recs
}

// daemonConfig writes dir/vigil.yaml: the daemon settings TestKillAndRestart uses, with
// sources (YAML list items, indented by two), and the files in files. The records arrive
// hours to days after they happened (a hub's retained history, a trail's backlog):
// allowed_lateness covers that, so both runs detect in event-time order, the SIGTERM drain
// over everything, kills or not.
func daemonConfig(t *testing.T, dir, sources string, files map[string][]byte) string {
	t.Helper()
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	cfg := fmt.Sprintf(`data_dir: %s
listen: 127.0.0.1:0
log_level: warn
api:
  token: kill-test-token-0123456789
pipeline:
  snapshot_interval: 1s
  drain_on_stop: true
  allowed_lateness: 5d
sources:
%s`, filepath.Join(dir, "data"), sources)
	path := filepath.Join(dir, "vigil.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// killPoint is when killRun kills a daemon.
type killPoint int

const (
	// afterProgress kills once the store has grown past a random point of what is left (a
	// tenth to two thirds of it): for feeds that arrive over time.
	afterProgress killPoint = iota
	// afterRandomTime kills 0.2 to 1.7 s after the start, wherever the daemon is then: for
	// a world served whole at once, which one start may store entirely, so the kills land
	// in the login, the catch-up or the detection.
	afterRandomTime
)

// killRun runs the daemon on cfg until want records are stored. kills times, at the kill
// point, the daemon is SIGKILLed and started again; at the end it is stopped with SIGTERM
// (drain_on_stop: everything collected is detected). It returns the records stored at
// each kill.
func killRun(t *testing.T, bin, cfg string, want, kills int, rng *rand.Rand, point killPoint) []int {
	t.Helper()
	dataDir := filepath.Join(filepath.Dir(cfg), "data")
	deadline := time.Now().Add(4 * time.Minute)
	var at []int
	for {
		cmd := exec.Command(bin, "serve", "--config", cfg)
		var logs strings.Builder
		cmd.Stderr = &logs
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		fail := func(format string, a ...any) {
			t.Helper()
			cmd.Process.Kill()
			cmd.Wait()
			t.Fatalf("after %d kills: %s; log:\n%s", len(at), fmt.Sprintf(format, a...), logs.String())
		}
		have := len(stored(t, dataDir))
		if len(at) < kills {
			if point == afterRandomTime {
				time.Sleep(time.Duration(200+rng.IntN(1500)) * time.Millisecond)
			} else {
				target := have + max(1, (want-have)*(10+rng.IntN(57))/100)
				for have < target && have < want {
					if time.Now().After(deadline) {
						fail("%d of %d records stored, waiting for %d", have, want, target)
					}
					time.Sleep(50 * time.Millisecond) // polling the store for the daemon's progress
					have = len(stored(t, dataDir))
				}
			}
			cmd.Process.Signal(syscall.SIGKILL)
			cmd.Wait()
			at = append(at, len(stored(t, dataDir)))
			continue
		}
		started := time.Now()
		for have < want || time.Since(started) < 3*time.Second {
			if time.Now().After(deadline) {
				fail("%d of %d records stored", have, want)
			}
			time.Sleep(200 * time.Millisecond) // polling the store for the daemon's progress
			have = len(stored(t, dataDir))
		}
		cmd.Process.Signal(syscall.SIGTERM)
		if err := cmd.Wait(); err != nil {
			t.Fatalf("the daemon did not stop cleanly on SIGTERM: %v\n%s", err, logs.String())
		}
		return at
	}
}

// faultLoop calls fault every 0.7 to 2 seconds until the test ends.
func faultLoop(t *testing.T, seed uint64, fault func(rng *rand.Rand)) {
	stop := make(chan struct{})
	done := make(chan struct{})
	t.Cleanup(func() { close(stop); <-done })
	go func() {
		defer close(done)
		rng := rand.New(rand.NewPCG(seed, 2))
		for {
			select {
			case <-stop:
				return
			case <-time.After(time.Duration(700+rng.IntN(1300)) * time.Millisecond):
			}
			fault(rng)
		}
	}()
}

// compareRuns checks the killed run's store against the records served (each stored
// exactly once) and its alerts against the uninterrupted run's (the same ids).
func compareRuns(t *testing.T, ids map[string]bool, plainDir, killedDir string, killedAt []int) {
	t.Helper()
	counts := stored(t, filepath.Join(killedDir, "data"))
	bad := 0
	for id := range ids {
		if counts[id] != 1 {
			if bad++; bad <= 10 {
				t.Errorf("record %s stored %d times", id, counts[id])
			}
		}
	}
	if bad > 10 {
		t.Errorf("… %d records in all not stored exactly once", bad)
	}
	if len(counts) != len(ids) {
		t.Errorf("%d distinct records stored, %d served", len(counts), len(ids))
	}
	want, got := alertIDs(t, filepath.Join(plainDir, "data")), alertIDs(t, filepath.Join(killedDir, "data"))
	if len(want) == 0 {
		t.Fatal("the uninterrupted run raised no alert")
	}
	if !slices.Equal(got, want) {
		t.Errorf("after kills at %v records: %d alerts, the uninterrupted run %d; only uninterrupted: %s; only killed: %s", killedAt, len(got), len(want),
			describeAlerts(t, plainDir, want, got), describeAlerts(t, killedDir, got, want))
	}
	t.Logf("%d records, killed at %v of them stored, %d alerts", len(ids), killedAt, len(want))
}

// feedOver calls deliver(i) for i in [0, n) spread over d, from now on, until the test
// ends: the tenant's history arriving while the daemon runs, so that the kills land in
// the middle of its ingest.
func feedOver(t *testing.T, n int, d time.Duration, deliver func(i int) error) {
	stop, done := make(chan struct{}), make(chan struct{})
	t.Cleanup(func() { close(stop); <-done })
	go func() {
		defer close(done)
		tick := time.NewTicker(d / time.Duration(n))
		defer tick.Stop()
		for i := range n {
			if err := deliver(i); err != nil {
				t.Errorf("feed %d: %v", i, err)
				return
			}
			select {
			case <-stop:
				return
			case <-tick.C:
			}
		}
	}()
}

// TestKillAndRestartEventHubs: an Event Hubs namespace receiving the tenant's diagnostic
// records over 20 seconds, its broker restarting every second or two, read by an
// uninterrupted daemon, then (a namespace of its own, fed the same) by one SIGKILLed four
// times.
func TestKillAndRestartEventHubs(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the daemon")
	}
	bin := buildVigil(t)
	// 40 users' non-interactive and workload sign-ins, and their interactive sign-ins as
	// the SignInLogs diagnostic records a tenant's diagnostic setting streams to a hub: the
	// first alone raise 0 or 1 alert, the interactive ones the sign-in detections' dozens.
	recs := append(simRecords(t, sim.KindEventHub, 40), signInLogs(t, simRecords(t, sim.KindGraphSignIn, 40))...)
	slices.SortStableFunc(recs, func(a, b sim.Record) int { return a.Time.Compare(b.Time) })
	ids := map[string]bool{}
	for _, r := range recs {
		ids[r.ID] = true
	}
	bodies, err := emulate.HubBodies(recs, 10)
	if err != nil {
		t.Fatal(err)
	}
	const chunks = 16
	var live *emulate.EventHubs // the namespace of the run in progress
	var liveMu sync.Mutex
	faultLoop(t, 1, func(*rand.Rand) {
		liveMu.Lock()
		defer liveMu.Unlock()
		if live != nil {
			if err := live.Restart(); err != nil {
				t.Errorf("broker restart: %v", err)
			}
		}
	})
	rng := rand.New(rand.NewPCG(5, 6))
	run := func(dir string, kills int) ([]int, emulate.EventHubsStats) {
		hubs, err := emulate.NewEventHubs(emulate.EventHubsOptions{Namespace: "vigil-kill.servicebus.windows.net"})
		if err != nil {
			t.Fatal(err)
		}
		defer hubs.Close()
		liveMu.Lock()
		live = hubs
		liveMu.Unlock()
		defer func() { liveMu.Lock(); live = nil; liveMu.Unlock() }()
		feedOver(t, chunks, 20*time.Second, func(i int) error {
			per := (len(bodies) + chunks - 1) / chunks
			return hubs.Produce(context.Background(), time.Now(), bodies[min(i*per, len(bodies)):min((i+1)*per, len(bodies))]...)
		})
		cfg := daemonConfig(t, dir, fmt.Sprintf(`  - name: azure-hub
    type: eventhub
    connection_string_file: hub.secret
    brokers: [%s]
    ca_file: %s
    consumer_group: vigil
    session_timeout: 6s
    max_wait: 500ms
    connect_timeout: 2s
`, hubs.Addr(), filepath.Join(dir, "namespace-ca.pem")), map[string][]byte{
			"hub.secret": []byte(hubs.ConnectionString() + "\n"), "namespace-ca.pem": hubs.CertPEM()})
		at := killRun(t, bin, cfg, len(ids), kills, rng, afterProgress)
		return at, hubs.Stats()
	}
	plain, killed := t.TempDir(), t.TempDir()
	_, plainStats := run(plain, 0)
	at, killedStats := run(killed, 4)
	compareRuns(t, ids, plain, killed, at)
	t.Logf("%d bodies; broker restarts: %d in the uninterrupted run, %d in the killed one", len(bodies), plainStats.Restarts, killedStats.Restarts)
}

// signInLogs wraps Graph sign-ins as SignInLogs diagnostic records, the shape Azure
// Monitor streams to Event Hubs: the Graph object is the record's properties.
func signInLogs(t *testing.T, graph []sim.Record) []sim.Record {
	t.Helper()
	out := make([]sim.Record, 0, len(graph))
	for _, r := range graph {
		var body struct {
			IPAddress string `json:"ipAddress"`
			UPN       string `json:"userPrincipalName"`
			Tenant    string `json:"resourceTenantId"`
		}
		if err := json.Unmarshal(r.JSON, &body); err != nil {
			t.Fatal(err)
		}
		rec, err := json.Marshal(map[string]any{
			"time": r.Time.UTC().Format(time.RFC3339Nano), "resourceId": "/tenants/" + body.Tenant + "/providers/Microsoft.aadiam",
			"operationName": "Sign-in activity", "operationVersion": "1.0", "category": "SignInLogs", "tenantId": body.Tenant,
			"callerIpAddress": body.IPAddress, "identity": body.UPN, "Level": 4, "properties": json.RawMessage(r.JSON),
		})
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, sim.Record{Time: r.Time, Kind: sim.KindEventHub, Scope: "insights-logs-signinlogs", ID: r.ID, JSON: rec})
	}
	return out
}

// TestKillAndRestartCloudTrail: the tenant's CloudTrail log files in an S3 bucket that
// notifies two SQS queues, collected by an uninterrupted daemon and by one SIGKILLed four
// times, in SQS mode (a queue each) and in listing mode, with faults on: 503 SlowDown,
// duplicate SQS deliveries, a message's visibility running out while its object is read,
// and whole objects read cut short once.
func TestKillAndRestartCloudTrail(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the daemon")
	}
	bin := buildVigil(t)
	objs, err := emulate.TrailObjects(simRecords(t, sim.KindCloudTrail, 20), 9)
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]bool{}
	for _, o := range objs {
		for _, id := range o.IDs {
			ids[id] = true
		}
	}
	const bucket, key = "vigil-kill-trail", "AKIAVIGILKILLTEST000"
	q := emulate.NewSQS(emulate.SQSOptions{Queues: []string{"plain", "killed"}, MaxWait: time.Second})
	defer q.Close()
	st, err := emulate.NewS3(emulate.S3Options{Buckets: []string{bucket}})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	st.NotifyTo(bucket, q, "plain")
	st.NotifyTo(bucket, q, "killed")
	for _, o := range objs {
		if err := st.Put(bucket, o.Key, o.Body); err != nil {
			t.Fatal(err)
		}
	}
	faultLoop(t, 3, func(rng *rand.Rand) {
		switch n := rng.IntN(12); {
		case n == 0:
			st.SetSlowDown(1) // costs the source a 5 s RetryAfter: rarer than the others
		case n < 7:
			q.SetDuplicate(2)
			q.SetExpireMidObject(1)
		default:
			st.SetTruncateReads(1)
		}
	})
	rng := rand.New(rand.NewPCG(7, 8))
	common := fmt.Sprintf(`    endpoint: %s
    path_style: true
    region: us-east-1
    access_key_id: %s
    secret_access_key_file: aws.secret
    trail_check: false
    workers: 4
`, st.URL(), key)
	files := map[string][]byte{"aws.secret": []byte("kill-test-secret-access-key\n")}
	for _, mode := range []struct {
		name   string
		source func(run string) string
	}{
		// (Listing mode lacked single-event alerts in some runs until the arrival
		// detections were replayed by storing order after a crash: internal/pipeline/arrival.go.)
		{"sqs", func(run string) string {
			return fmt.Sprintf("  - name: aws\n    type: cloudtrail\n    queue_url: %s\n    sqs_endpoint: %s\n    visibility_timeout: 10s\n%s",
				q.QueueURL(run), q.URL(), common)
		}},
		{"listing", func(string) string {
			return fmt.Sprintf("  - name: aws\n    type: cloudtrail\n    bucket: %s\n    poll_interval: 1s\n    backfill: 5d\n%s", bucket, common)
		}},
	} {
		t.Run(mode.name, func(t *testing.T) {
			plain, killed := t.TempDir(), t.TempDir()
			before := st.Stats()
			killRun(t, bin, daemonConfig(t, plain, mode.source("plain"), files), len(ids), 0, rng, afterProgress)
			at := killRun(t, bin, daemonConfig(t, killed, mode.source("killed"), files), len(ids), 4, rng, afterProgress)
			compareRuns(t, ids, plain, killed, at)
			s := st.Stats()
			t.Logf("%d objects; S3: %d requests, %d SlowDown, %d reads cut; SQS: %+v", len(objs), s.Requests-before.Requests,
				s.SlowDowns-before.SlowDowns, s.TruncatedReads-before.TruncatedReads, q.Stats())
		})
	}
}

// describeAlerts names the alerts of dir's store in ids and not in others.
func describeAlerts(t *testing.T, dir string, ids, others []string) string {
	t.Helper()
	st, err := sqlite.Open(context.Background(), filepath.Join(dir, "data"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	p, err := st.Alerts(context.Background(), store.AlertQuery{Limit: 10000})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, a := range p.Alerts {
		if slices.Contains(ids, a.ID) && !slices.Contains(others, a.ID) {
			out = append(out, fmt.Sprintf("%s (%s on %s, %d events, at %s)", a.ID, a.Rule.ID, a.Entity, len(a.EventUIDs), a.Time.Format(time.RFC3339)))
		}
	}
	return "[" + strings.Join(out, "; ") + "]"
}
