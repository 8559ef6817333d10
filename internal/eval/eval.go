// Package eval is the scoreboard: it scores the alerts of a hunt over a simulated folder
// against the folder's truth.jsonl — which attacks were found, how fast, and how many
// high-severity alerts paged someone for nothing.
package eval

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/vigil-sec/vigil/internal/alert"
	"github.com/vigil-sec/vigil/internal/sim"
)

// matchWindow is how long after an attack an alert naming its entity still counts.
const matchWindow = time.Hour

// Row is one scenario's result.
type Row struct {
	Scenario   string
	Lookalike  bool
	Detected   bool
	TimeToFind time.Duration
	Alerts     int // alerts matching it, any severity
	Paged      int // high or critical alerts matching it
}

// RuleRow is one detection's result: its alerts, how many matched an attack, how many
// paged someone for nothing, and which attacks it found. Precision is over its matching
// alerts of any severity; recall over the attacks found by any detection.
type RuleRow struct {
	Rule, Kind       string
	Alerts, Paged    int
	True, FalsePaged int
	Found            []string // attack scenarios it raised an alert for
}

// Precision is the share of the rule's alerts that match an attack.
func (r RuleRow) Precision() float64 {
	if r.Alerts == 0 {
		return 1
	}
	return float64(r.True) / float64(r.Alerts)
}

// Score is the result.
type Score struct {
	Rows                []Row
	Rules               []RuleRow
	FalseAlerts         []alert.Alert // high and critical alerts matching no attack
	Recall, Precision   float64
	FalsePositives      int
	FPPer1kUserDays     float64
	HighAlerts, Attacks int
}

// ReadTruth reads truth.jsonl and manifest.json from a simulated folder.
func ReadTruth(dir string) ([]sim.Truth, sim.Manifest, error) {
	var m sim.Manifest
	b, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
	if err != nil {
		return nil, m, fmt.Errorf("eval: %w", err)
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, m, fmt.Errorf("eval: manifest.json: %w", err)
	}
	f, err := os.Open(filepath.Join(dir, "truth.jsonl"))
	if err != nil {
		return nil, m, fmt.Errorf("eval: %w", err)
	}
	defer f.Close()
	var truth []sim.Truth
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for sc.Scan() {
		var t sim.Truth
		if err := json.Unmarshal(sc.Bytes(), &t); err != nil {
			return nil, m, fmt.Errorf("eval: truth.jsonl: %w", err)
		}
		truth = append(truth, t)
	}
	return truth, m, sc.Err()
}

// Evaluate scores alerts against the truth.
func Evaluate(truth []sim.Truth, alerts []alert.Alert, users, days int) Score {
	var s Score
	matches := func(a alert.Alert, t sim.Truth) bool {
		ids := map[string]bool{}
		for _, id := range t.EventIDs {
			ids[id] = true
		}
		for _, u := range a.EventUIDs {
			if ids[u] {
				return true
			}
		}
		return strings.EqualFold(a.Entity.Name, t.Entity) && !a.Time.Before(t.Start) && !a.Time.After(t.End.Add(matchWindow))
	}
	paging := func(a alert.Alert) bool { return a.Severity.Rank() >= alert.SeverityHigh.Rank() }
	for _, t := range truth {
		r := Row{Scenario: t.Scenario, Lookalike: t.Lookalike}
		first := time.Time{}
		for _, a := range alerts {
			if !matches(a, t) {
				continue
			}
			r.Alerts++
			if paging(a) {
				r.Paged++
			}
			if first.IsZero() || a.Time.Before(first) {
				first = a.Time
			}
		}
		if !t.Lookalike {
			s.Attacks++
			r.Detected = r.Alerts > 0
			if r.Detected {
				r.TimeToFind = max(0, first.Sub(t.Start))
			}
		}
		s.Rows = append(s.Rows, r)
	}
	detected, tp := 0, 0
	for _, r := range s.Rows {
		if r.Detected {
			detected++
		}
	}
	for _, a := range alerts {
		if !paging(a) {
			continue
		}
		s.HighAlerts++
		hit := false
		for _, t := range truth {
			if !t.Lookalike && matches(a, t) {
				hit = true
				break
			}
		}
		if hit {
			tp++
		} else {
			s.FalsePositives++
			s.FalseAlerts = append(s.FalseAlerts, a)
		}
	}
	s.Recall = 1
	if s.Attacks > 0 {
		s.Recall = float64(detected) / float64(s.Attacks)
	}
	s.Precision = 1
	if s.HighAlerts > 0 {
		s.Precision = float64(tp) / float64(s.HighAlerts)
	}
	if userDays := float64(users * days); userDays > 0 {
		s.FPPer1kUserDays = float64(s.FalsePositives) / (userDays / 1000)
	}
	sort.SliceStable(s.Rows, func(i, j int) bool { return !s.Rows[i].Lookalike && s.Rows[j].Lookalike })
	s.Rules = byRule(truth, alerts, matches, paging)
	return s
}

// byRule scores each detection on its own.
func byRule(truth []sim.Truth, alerts []alert.Alert, matches func(alert.Alert, sim.Truth) bool, paging func(alert.Alert) bool) []RuleRow {
	rows := map[string]*RuleRow{}
	for _, a := range alerts {
		r := rows[a.Rule.ID]
		if r == nil {
			r = &RuleRow{Rule: a.Rule.ID, Kind: string(a.Rule.Kind)}
			if a.Rule.Title != "" && a.Rule.Kind == alert.KindSigma {
				r.Rule = a.Rule.Title
			}
			rows[a.Rule.ID] = r
		}
		r.Alerts++
		hit := false
		for _, t := range truth {
			if !t.Lookalike && matches(a, t) {
				hit = true
				if !slices.Contains(r.Found, t.Scenario) {
					r.Found = append(r.Found, t.Scenario)
				}
			}
		}
		if paging(a) {
			r.Paged++
			if !hit {
				r.FalsePaged++
			}
		}
		if hit {
			r.True++
		}
	}
	out := make([]RuleRow, 0, len(rows))
	for _, r := range rows {
		sort.Strings(r.Found)
		out = append(out, *r)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Kind != out[j].Kind {
			return out[i].Kind < out[j].Kind
		}
		return out[i].Rule < out[j].Rule
	})
	return out
}

// PrintRules writes the per-detection table.
func (s Score) PrintRules(w io.Writer) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "DETECTION\tKIND\tALERTS\tMATCHING\tPRECISION\tPAGED\tFALSE PAGES\tATTACKS FOUND")
	for _, r := range s.Rules {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%.2f\t%d\t%d\t%s\n", r.Rule, r.Kind, r.Alerts, r.True, r.Precision(), r.Paged, r.FalsePaged,
			strings.Join(r.Found, ","))
	}
	tw.Flush()
}

// Print writes the table and, last, the summary line.
func (s Score) Print(w io.Writer) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SCENARIO\tKIND\tDETECTED\tTIME TO DETECT\tALERTS\tPAGED")
	for _, r := range s.Rows {
		kind, det, ttd := "attack", "no", "-"
		if r.Lookalike {
			kind, det = "look-alike", "-"
		} else if r.Detected {
			det, ttd = "yes", r.TimeToFind.Round(time.Second).String()
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%d\n", r.Scenario, kind, det, ttd, r.Alerts, r.Paged)
	}
	tw.Flush()
	fmt.Fprintf(w, "high/critical alerts: %d, false positives: %d\n", s.HighAlerts, s.FalsePositives)
	fmt.Fprintf(w, "recall=%.3f precision=%.3f fp_per_1k_user_days=%.3f\n", s.Recall, s.Precision, s.FPPer1kUserDays)
}
