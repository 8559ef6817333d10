package eval

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vigil-sec/vigil/internal/alert"
	"github.com/vigil-sec/vigil/internal/event"
	"github.com/vigil-sec/vigil/internal/normalize"
	"github.com/vigil-sec/vigil/internal/normalize/formats"
	"github.com/vigil-sec/vigil/internal/sim"
)

var t0 = time.Date(2026, 10, 20, 10, 0, 0, 0, time.UTC)

func TestEvaluate(t *testing.T) {
	truth := []sim.Truth{
		{Scenario: "spray", Entity: "185.220.101.47", Start: t0, End: t0.Add(time.Hour), EventIDs: []string{"a1", "a2"}},
		{Scenario: "root", Entity: "arn:aws:iam::1:root", Start: t0, End: t0, EventIDs: []string{"r1"}},
		{Scenario: "trip", Entity: "ann@x", Start: t0, End: t0.Add(11 * time.Hour), EventIDs: []string{"t1"}, Lookalike: true},
	}
	spray, travel := alert.Rule{ID: "spray", Kind: alert.KindBuiltin}, alert.Rule{ID: "travel", Kind: alert.KindBuiltin}
	alerts := []alert.Alert{
		{Rule: spray, Time: t0.Add(5 * time.Minute), Severity: alert.SeverityHigh, EventUIDs: []string{"a2"}},                                       // spray, by evidence
		{Rule: spray, Time: t0.Add(30 * time.Minute), Severity: alert.SeverityLow, Entity: event.Entity{Type: "root", Name: "arn:aws:iam::1:ROOT"}}, // root, by entity in window
		{Rule: travel, Time: t0.Add(2 * time.Hour), Severity: alert.SeverityCritical, EventUIDs: []string{"t1"}},                                    // paged on a look-alike
		{Rule: travel, Time: t0.Add(3 * time.Hour), Severity: alert.SeverityMedium, EventUIDs: []string{"x"}},                                       // noise below high: not counted
	}
	s := Evaluate(truth, alerts, 100, 10)
	if s.Recall != 1 || s.HighAlerts != 2 || s.FalsePositives != 1 || s.Precision != 0.5 || s.FPPer1kUserDays != 1 {
		t.Errorf("%+v", s)
	}
	var trip Row
	for _, r := range s.Rows {
		if r.Scenario == "trip" {
			trip = r
		}
		if r.Scenario == "spray" && r.TimeToFind != 5*time.Minute {
			t.Errorf("time to detect %v", r.TimeToFind)
		}
	}
	if trip.Paged != 1 {
		t.Errorf("the look-alike that paged is not reported: %+v", trip)
	}
	if len(s.Rules) != 2 || s.Rules[0].Rule != "spray" || s.Rules[0].True != 2 || s.Rules[0].Precision() != 1 ||
		strings.Join(s.Rules[0].Found, ",") != "root,spray" || s.Rules[1].FalsePaged != 1 || s.Rules[1].Precision() != 0 {
		t.Errorf("by detection: %+v", s.Rules)
	}
	if len(s.FalseAlerts) != 1 || s.FalseAlerts[0].Rule.ID != "travel" {
		t.Errorf("false alerts: %+v", s.FalseAlerts)
	}
	var out strings.Builder
	s.PrintRules(&out)
	if !strings.Contains(out.String(), "travel") {
		t.Errorf("rules table:\n%s", out.String())
	}
	out.Reset()
	s.Print(&out)
	if last := strings.TrimSpace(out.String()); !strings.HasSuffix(last, "recall=1.000 precision=0.500 fp_per_1k_user_days=1.000") {
		t.Errorf("summary line:\n%s", last)
	}
}

// TestSimulationParsesCompletely reads a simulated tenant back with the parsers: nothing is
// unparsed and every truth id is an event's metadata.uid exactly once.
func TestSimulationParsesCompletely(t *testing.T) {
	dir := t.TempDir()
	s, err := sim.New(sim.Config{Seed: 5, Users: 40, Days: 5})
	if err != nil {
		t.Fatal(err)
	}
	w := sim.NewWriter(dir, 5)
	truth, err := s.Run(context.Background(), w.Write)
	if err != nil {
		t.Fatal(err)
	}
	w.Flush()
	uids := map[string]int{}
	n := normalize.New(formats.All()...)
	files, _ := normalize.Files([]string{dir})
	events := 0
	for _, f := range files {
		_, err := n.StreamFile(context.Background(), f, nil, func(ev *event.Event) error {
			events++
			if ev.IsUnparsed() {
				t.Errorf("%s: unparsed: %s", filepath.Base(f), ev.Vigil.ParseError)
			}
			uids[ev.Metadata.UID]++
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if events != w.Records {
		t.Errorf("%d events for %d records", events, w.Records)
	}
	for _, tr := range truth {
		for _, id := range tr.EventIDs {
			if uids[id] != 1 {
				t.Errorf("%s: truth id %s appears %d times", tr.Scenario, id, uids[id])
			}
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "graph")); err != nil {
		t.Error(err)
	}
}
