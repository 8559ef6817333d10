package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/vigil-sec/vigil/internal/output"
	"github.com/vigil-sec/vigil/internal/output/cef/ceftest"
	"github.com/vigil-sec/vigil/internal/store"
	"github.com/vigil-sec/vigil/internal/store/sqlite"
)

// TestDemoForwardsCEFToRsyslog: `vigil demo --config` with a cef output sends the demo's
// alerts to a real rsyslog, and each line rsyslog wrote parses into the CommonSecurityLog
// fields docs/cef.md documents, with the values of the alert it stands for; every stored
// alert was delivered before the demo ended: the daemon empties its outputs while it stops.
func TestDemoForwardsCEFToRsyslog(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the demo: skipped with -short")
	}
	port, rawFile, _ := ceftest.Rsyslog(t)
	dir := t.TempDir()
	cfg := filepath.Join(dir, "vigil.yaml")
	body := fmt.Sprintf("outputs:\n  - name: sentinel\n    type: cef\n    address: tcp://127.0.0.1:%d\n    hostname: vigil-demo\n", port)
	if err := os.WriteFile(cfg, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	data := filepath.Join(dir, "data")
	out, errOut, code := runCmd(t, "demo", "--users", "30", "--history", "2", "--speed", "900", "--duration", "40s", "--quiet",
		"--data", data, "--config", cfg)
	if code != 0 {
		t.Fatalf("demo exit %d\n%s%s", code, out, errOut)
	}

	st, err := sqlite.Open(context.Background(), data)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	stored := map[string]storedAlert{}
	q := store.AlertQuery{Limit: 1000}
	for {
		p, err := st.Alerts(context.Background(), q)
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range p.Alerts {
			stored[a.ID] = storedAlert{title: a.Title, score: a.Score, rule: a.Rule.ID, entity: a.Entity.Name}
		}
		if p.Next == "" {
			break
		}
		q.Cursor = p.Next
	}
	queued, err := st.ListState(context.Background(), "output/sentinel/q/")
	if err != nil {
		t.Fatal(err)
	}
	waiting := map[string]bool{}
	for _, v := range queued {
		var e output.Entry
		if err := json.Unmarshal(v, &e); err != nil {
			t.Fatal(err)
		}
		waiting[e.Alert.ID] = true
	}
	if len(stored) < 5 {
		t.Fatalf("the demo stored %d alerts; want a few to forward\n%s", len(stored), out)
	}

	lines := ceftest.ReadLines(t, rawFile, len(stored)-len(waiting))
	delivered := map[string]int{}
	withTriage := 0
	for i, line := range lines {
		at := strings.Index(line, "CEF:")
		if at < 0 {
			t.Fatalf("line %d has no CEF: %q", i, line)
		}
		p, err := ceftest.Parse(line[at:])
		if err != nil {
			t.Fatalf("line %d: %v", i, err)
		}
		id := p.Ext["externalId"]
		a, ok := stored[id]
		if !ok {
			t.Fatalf("line %d: ExtID %q is no stored alert", i, id)
		}
		// DeviceVendor, DeviceProduct, DeviceEventClassID, Activity, LogSeverity.
		sev, _ := strconv.Atoi(p.Header[6])
		if p.Header[1] != "Vigil" || p.Header[2] != "Vigil" || p.Header[4] != a.rule || p.Header[5] != a.title || sev != (a.score+5)/10 {
			t.Errorf("line %d: header %q for alert %+v", i, p.Header, a)
		}
		for key, want := range map[string]string{
			"cs1Label": "AlertID", "cs1": id, "cs2Label": "Entity", "cs3Label": "MitreTechniques", "cs4Label": "Reason",
			"cs6Label": "RuleKind", "cn1Label": "Score", "cn1": strconv.Itoa(a.score), "flexString1Label": "Severity", "act": "alert",
		} {
			if p.Ext[key] != want {
				t.Errorf("line %d: %s=%q, want %q", i, key, p.Ext[key], want)
			}
		}
		for _, key := range []string{"rt", "start", "end", "msg", "cs2", "cs4", "cs6", "flexString1"} {
			if p.Ext[key] == "" {
				t.Errorf("line %d: no %s: %s", i, key, line)
			}
		}
		if p.Ext["suser"] != a.entity && p.Ext["src"] != a.entity {
			t.Errorf("line %d: neither SourceUserName %q nor SourceIP %q is the entity %q", i, p.Ext["suser"], p.Ext["src"], a.entity)
		}
		if p.Ext["flexString2Label"] == "Triage" && p.Ext["flexString2"] != "" {
			withTriage++
		}
		delivered[id]++
	}
	for id := range stored {
		if delivered[id] == 0 && !waiting[id] {
			t.Errorf("alert %s (%s) neither delivered nor queued", id, stored[id].title)
		}
	}
	if len(waiting) > 0 {
		t.Errorf("%d alerts left in the queue although rsyslog was up: the daemon stopped before emptying its outputs", len(waiting))
	}
	if withTriage == 0 {
		t.Errorf("no forwarded alert carries its triage summary")
	}
	t.Logf("%d alerts stored, %d lines in rsyslog (%d distinct), %d still queued, %d with triage", len(stored), len(lines), len(delivered), len(waiting), withTriage)
}

type storedAlert struct {
	title, rule, entity string
	score               int
}
