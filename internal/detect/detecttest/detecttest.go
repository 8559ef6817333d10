// Package detecttest runs detection test scripts, in the spirit of Prometheus' promqltest:
// load native log records, run a detector over them in event-time order, and check which
// alerts it raised. Rule packs keep one script per rule with its true and false positives.
//
// A script is a list of cases:
//
//	case <name>
//	load                               the following lines, up to a blank line, are records
//	{"eventName":"StopLogging",...}
//	load 12 every 1m                   the next line is a template, repeated: {{i}} is the
//	{"eventID":"e{{i}}","eventTime":"{{time}}",...}   index, {{time}} 2026-01-01T00:00:00Z plus i steps
//	expect alert rule=<id or title> [entity=type:name] [severity=high] [count=N]
//	expect no alert rule=<id or title>
//	expect alerts N                    exactly N alerts in this case
//
// Lines starting with # are comments.
package detecttest

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vigil-sec/vigil/internal/alert"
	"github.com/vigil-sec/vigil/internal/detect"
	"github.com/vigil-sec/vigil/internal/event"
	"github.com/vigil-sec/vigil/internal/normalize"
	"github.com/vigil-sec/vigil/internal/normalize/formats"
)

// Base is the time {{time}} starts at.
var Base = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// Case is one scenario of a script.
type Case struct {
	Name    string
	Line    int
	Records [][]byte
	Expects []Expect
}

// Expect is one expectation.
type Expect struct {
	Line     int
	None     bool   // expect no alert
	Rule     string // rule id or title
	Entity   string // type:name
	Severity string
	Count    int // for correlation alerts; 0 = any
	Total    int // "expect alerts N"; -1 when not that form
}

// Parse reads a script.
func Parse(name string, data []byte) ([]*Case, error) {
	var cases []*Case
	var cur *Case
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	lineNo := 0
	next := func() (string, bool) {
		if !sc.Scan() {
			return "", false
		}
		lineNo++
		return sc.Text(), true
	}
	fail := func(format string, a ...any) error {
		return fmt.Errorf("%s:%d: %s", name, lineNo, fmt.Sprintf(format, a...))
	}
	for {
		line, ok := next()
		if !ok {
			break
		}
		t := strings.TrimSpace(line)
		switch {
		case t == "" || strings.HasPrefix(t, "#"):
		case strings.HasPrefix(t, "case"):
			cur = &Case{Name: strings.TrimSpace(strings.TrimPrefix(t, "case")), Line: lineNo}
			cases = append(cases, cur)
		case cur == nil:
			return nil, fail("a script starts with 'case <name>'")
		case t == "load":
			for {
				rec, ok := next()
				if !ok || strings.TrimSpace(rec) == "" {
					break
				}
				cur.Records = append(cur.Records, []byte(rec))
			}
		case strings.HasPrefix(t, "load "):
			var n int
			var every string
			if _, err := fmt.Sscanf(t, "load %d every %s", &n, &every); err != nil || n < 1 {
				return nil, fail("want 'load N every DURATION'")
			}
			step, err := time.ParseDuration(every)
			if err != nil {
				return nil, fail("bad duration %q", every)
			}
			tmpl, ok := next()
			if !ok {
				return nil, fail("load N needs a template line")
			}
			for i := 0; i < n; i++ {
				r := strings.ReplaceAll(tmpl, "{{i}}", strconv.Itoa(i))
				r = strings.ReplaceAll(r, "{{time}}", Base.Add(time.Duration(i)*step).Format(time.RFC3339))
				cur.Records = append(cur.Records, []byte(r))
			}
		case strings.HasPrefix(t, "expect"):
			e, err := parseExpect(strings.TrimSpace(strings.TrimPrefix(t, "expect")))
			if err != nil {
				return nil, fail("%v", err)
			}
			e.Line = lineNo
			cur.Expects = append(cur.Expects, e)
		default:
			return nil, fail("unknown directive %q", t)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	for _, c := range cases {
		if len(c.Expects) == 0 {
			return nil, fmt.Errorf("%s:%d: case %q expects nothing", name, c.Line, c.Name)
		}
	}
	return cases, nil
}

func parseExpect(s string) (Expect, error) {
	e := Expect{Total: -1}
	switch {
	case strings.HasPrefix(s, "alerts "):
		n, err := strconv.Atoi(strings.TrimSpace(strings.TrimPrefix(s, "alerts ")))
		if err != nil {
			return e, errors.New("want 'expect alerts N'")
		}
		e.Total = n
		return e, nil
	case strings.HasPrefix(s, "no alert"):
		e.None = true
		s = strings.TrimPrefix(s, "no alert")
	case strings.HasPrefix(s, "alert"):
		s = strings.TrimPrefix(s, "alert")
	default:
		return e, errors.New("want 'expect alert', 'expect no alert' or 'expect alerts N'")
	}
	for _, f := range fieldsKeepingQuotes(s) {
		k, v, ok := strings.Cut(f, "=")
		if !ok {
			return e, fmt.Errorf("want key=value, got %q", f)
		}
		v = strings.Trim(v, `"`)
		switch k {
		case "rule":
			e.Rule = v
		case "entity":
			e.Entity = v
		case "severity":
			e.Severity = v
		case "count":
			n, err := strconv.Atoi(v)
			if err != nil {
				return e, errors.New("count needs a number")
			}
			e.Count = n
		default:
			return e, fmt.Errorf("unknown key %q", k)
		}
	}
	if e.Rule == "" {
		return e, errors.New("an alert expectation names its rule")
	}
	return e, nil
}

// fieldsKeepingQuotes splits on spaces outside double quotes.
func fieldsKeepingQuotes(s string) []string {
	var out []string
	var cur strings.Builder
	quoted := false
	for _, r := range s {
		switch {
		case r == '"':
			quoted = !quoted
			cur.WriteRune(r)
		case r == ' ' && !quoted:
			if cur.Len() > 0 {
				out = append(out, cur.String())
				cur.Reset()
			}
		default:
			cur.WriteRune(r)
		}
	}
	if cur.Len() > 0 {
		out = append(out, cur.String())
	}
	return out
}

// Run runs a case: it normalizes the records, runs a fresh detector over them in event-time
// order and returns the alerts.
func (c *Case) Run(ctx context.Context, d detect.Detector) ([]alert.Alert, error) {
	n := normalize.New(formats.All()...)
	var events []*event.Event
	for i, r := range c.Records {
		_, err := n.Record(ctx, r, func(ev *event.Event) error {
			events = append(events, ev)
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("record %d: %w", i+1, err)
		}
	}
	for _, ev := range events {
		if ev.IsUnparsed() {
			return nil, fmt.Errorf("a record did not parse: %s", ev.Vigil.ParseError)
		}
	}
	sort.SliceStable(events, func(i, j int) bool { return events[i].Time < events[j].Time })
	var alerts []alert.Alert
	emit := func(a alert.Alert) { alerts = append(alerts, a) }
	for _, ev := range events {
		if err := d.Observe(ctx, ev, emit); err != nil {
			return nil, err
		}
	}
	if len(events) > 0 {
		end := time.UnixMilli(events[len(events)-1].Time).Add(30 * 24 * time.Hour)
		if err := d.Advance(ctx, end, emit); err != nil {
			return nil, err
		}
	}
	return alerts, nil
}

// Check returns a message per unmet expectation.
func (c *Case) Check(alerts []alert.Alert) []string {
	var failures []string
	for _, e := range c.Expects {
		if e.Total >= 0 {
			if len(alerts) != e.Total {
				failures = append(failures, fmt.Sprintf("line %d: %d alerts, want %d: %s", e.Line, len(alerts), e.Total, describe(alerts)))
			}
			continue
		}
		found := false
		for _, a := range alerts {
			if (a.Rule.ID == e.Rule || a.Title == e.Rule) &&
				(e.Entity == "" || a.Entity.Key() == e.Entity) &&
				(e.Severity == "" || string(a.Severity) == e.Severity) &&
				(e.Count == 0 || a.Count == e.Count) {
				found = true
				break
			}
		}
		if found == e.None {
			if e.None {
				failures = append(failures, fmt.Sprintf("line %d: unexpected alert for %s: %s", e.Line, e.Rule, describe(alerts)))
			} else {
				failures = append(failures, fmt.Sprintf("line %d: no alert for %s (entity %q, severity %q, count %d); got: %s", e.Line, e.Rule, e.Entity, e.Severity, e.Count, describe(alerts)))
			}
		}
	}
	return failures
}

func describe(alerts []alert.Alert) string {
	if len(alerts) == 0 {
		return "none"
	}
	var parts []string
	for _, a := range alerts {
		parts = append(parts, fmt.Sprintf("%q (%s, %s, count %d)", a.Title, a.Entity.Key(), a.Severity, a.Count))
	}
	return strings.Join(parts, "; ")
}

// RunFile runs every case of a script file as a subtest, with a fresh detector per case.
func RunFile(t *testing.T, path string, newDetector func(t *testing.T) detect.Detector) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	cases, err := Parse(path, data)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			alerts, err := c.Run(context.Background(), newDetector(t))
			if err != nil {
				t.Fatalf("%s:%d: %v", path, c.Line, err)
			}
			for _, f := range c.Check(alerts) {
				t.Errorf("%s: %s", path, f)
			}
		})
	}
}
