package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/vigil-sec/vigil/internal/alert"
	"github.com/vigil-sec/vigil/internal/event"
	"github.com/vigil-sec/vigil/internal/store/sqlite"
)

func TestEveryCommandHelpExitsZeroOnStdout(t *testing.T) {
	out, _, code := runCmd(t, "--help")
	if code != 0 || !strings.HasSuffix(out, "flags.\n") {
		t.Fatalf("vigil --help: exit %d, output must end its last line:\n%q", code, out)
	}
	for name := range commands() {
		out, errOut, code := runCmd(t, name, "--help")
		if code != 0 || !strings.Contains(out, "usage: vigil "+name) || errOut != "" {
			t.Errorf("vigil %s --help: exit %d, stdout %q, stderr %q; want exit 0 and the usage on stdout", name, code, out, errOut)
		}
	}
}

func TestEventsAndAlertsReadTheStore(t *testing.T) {
	data := t.TempDir()
	if _, stderr, code := runCmd(t, "ingest", "--data", data, exampleLogs); code != 0 {
		t.Fatalf("ingest: %s", stderr)
	}
	out, stderr, code := runCmd(t, "events", "--data", data)
	if code != 0 {
		t.Fatalf("events: exit %d: %s", code, stderr)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) < 40 {
		t.Fatalf("events printed %d lines, want every ingested event", len(lines))
	}
	var prev int64
	for _, l := range lines {
		var ev event.Event
		if err := json.Unmarshal([]byte(l), &ev); err != nil {
			t.Fatalf("not an event line: %v\n%s", err, l)
		}
		if ev.Time < prev {
			t.Fatal("events are not oldest first")
		}
		prev = ev.Time
	}
	failed, _, _ := runCmd(t, "events", "--data", data, "--category", "login.failed", "--since", "2000-01-01T00:00:00Z")
	if n := strings.Count(failed, "\n"); n == 0 || n >= len(lines) {
		t.Errorf("--category login.failed gave %d of %d events", n, len(lines))
	}
	if _, stderr, code := runCmd(t, "events", "--data", data, "--since", "yesterday-ish"); code != 2 || !strings.Contains(stderr, "--since") {
		t.Errorf("a bad --since: exit %d, %s", code, stderr)
	}
	if _, stderr, code := runCmd(t, "events", "--data", t.TempDir()); code != 1 || !strings.Contains(stderr, "no store") {
		t.Errorf("an empty folder: exit %d, %s", code, stderr)
	}

	st, err := sqlite.Open(context.Background(), data)
	if err != nil {
		t.Fatal(err)
	}
	base := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
	as := []alert.Alert{
		{ID: "a1", Time: base, Title: "x", Rule: alert.Rule{ID: "r1", Kind: alert.KindSigma}, Severity: alert.SeverityHigh, Score: 80, Entity: event.UserEntity("ada@contoso.com"), EventUIDs: []string{"e1"}, Reason: "r", Attack: []string{"T1078"}},
		{ID: "a2", Time: base.Add(time.Hour), Title: "y", Rule: alert.Rule{ID: "r2", Kind: alert.KindBehavior}, Severity: alert.SeverityLow, Score: 20, Entity: event.UserEntity("bob@contoso.com"), EventUIDs: []string{"e2"}, Reason: "r", Attack: []string{}},
	}
	if _, err := st.PutAlerts(context.Background(), as); err != nil {
		t.Fatal(err)
	}
	st.Close()
	out, _, code = runCmd(t, "alerts", "--data", data)
	if code != 0 || strings.Count(out, "\n") != 2 {
		t.Fatalf("alerts: exit %d:\n%s", code, out)
	}
	var first map[string]any
	json.Unmarshal([]byte(strings.Split(out, "\n")[0]), &first)
	for _, k := range []string{"id", "time", "title", "rule", "severity", "score", "entity", "event_uids", "reason", "attack"} {
		if _, ok := first[k]; !ok {
			t.Errorf("alert line lacks %q: %s", k, out)
		}
	}
	if out, _, _ := runCmd(t, "alerts", "--data", data, "--severity", "high"); strings.Count(out, "\n") != 1 || !strings.Contains(out, `"a1"`) {
		t.Errorf("--severity high: %s", out)
	}
	if out, _, _ := runCmd(t, "alerts", "--data", data, "--entity", "bob@contoso.com"); !strings.Contains(out, `"a2"`) || strings.Contains(out, `"a1"`) {
		t.Errorf("--entity: %s", out)
	}
}
