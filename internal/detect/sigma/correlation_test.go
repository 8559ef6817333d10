package sigma

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/vigil-sec/vigil/internal/alert"
	"github.com/vigil-sec/vigil/internal/event"
)

// failedLogin and friends are CloudTrail rules the correlation tests refer to by name.
const baseRules = `title: failed login
id: 00000000-0000-4000-8000-000000000001
name: failed_login
logsource: {product: aws, service: cloudtrail}
detection:
  s:
    eventName: ConsoleLogin
    responseElements.ConsoleLogin: Failure
  condition: s
level: low
---
title: successful login
id: 00000000-0000-4000-8000-000000000002
name: good_login
logsource: {product: aws, service: cloudtrail}
detection:
  s:
    eventName: ConsoleLogin
    responseElements.ConsoleLogin: Success
  condition: s
level: low
---
title: key created
id: 00000000-0000-4000-8000-000000000003
name: key_created
logsource: {product: aws, service: cloudtrail}
detection:
  s:
    eventName: CreateAccessKey
  condition: s
level: medium
`

type step struct {
	minute int
	name   string // ConsoleLogin result or event name
	user   string
	ip     string
}

func runSteps(t *testing.T, rules string, steps []step) []alert.Alert {
	t.Helper()
	base := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	var evs []*event.Event
	for i, s := range steps {
		rec := map[string]any{"eventName": s.name, "sourceIPAddress": s.ip, "userIdentity": map[string]any{"userName": s.user}}
		if s.name == "Success" || s.name == "Failure" {
			rec["eventName"] = "ConsoleLogin"
			rec["responseElements"] = map[string]any{"ConsoleLogin": s.name}
		}
		raw, _ := json.Marshal(rec)
		evs = append(evs, testEvent(i, raw, s.user, base.Add(time.Duration(s.minute)*time.Minute)))
	}
	return runRules(t, "c.yml", rules, evs, base.Add(48*time.Hour))
}

// testEvent is the i-th event of a test stream: a CloudTrail-sourced record of user at t.
func testEvent(i int, raw []byte, user string, t time.Time) *event.Event {
	ev := &event.Event{Raw: raw, Vigil: event.Vigil{Source: "cloudtrail", Entity: event.UserEntity(user)}}
	ev.SetTime(t)
	ev.Metadata.UID = fmt.Sprintf("e%d", i)
	return ev
}

// runRules loads the rules of one YAML text, runs evs through them in order, advances
// event time to end so every window closes, and returns the alerts as raised.
func runRules(t *testing.T, file, rules string, evs []*event.Event, end time.Time) []alert.Alert {
	t.Helper()
	parsed, errs := parseFile(file, []byte(rules), Options{})
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	rs := &RuleSet{}
	for _, r := range parsed {
		rs.add(r)
	}
	d := rs.Detector()
	var out []alert.Alert
	emit := func(a alert.Alert) { out = append(out, a) }
	for _, ev := range evs {
		d.Observe(context.Background(), ev, emit)
	}
	d.Advance(context.Background(), end, emit)
	return out
}

func titles(as []alert.Alert) string {
	var s []string
	for _, a := range as {
		s = append(s, fmt.Sprintf("%s/%d", a.Title, a.Count))
	}
	return strings.Join(s, " ")
}

func TestEventCountPerGroup(t *testing.T) {
	rules := baseRules + `---
title: brute force
id: 00000000-0000-4000-8000-0000000000a1
correlation:
  type: event_count
  rules: [failed_login]
  group-by: [userIdentity.userName]
  timespan: 10m
  condition: {gte: 3}
level: high
`
	as := runSteps(t, rules, []step{
		{0, "Failure", "ann", "1.1.1.1"}, {1, "Failure", "bob", "1.1.1.1"}, {2, "Failure", "ann", "1.1.1.1"},
		{30, "Failure", "ann", "1.1.1.1"}, // outside ann's first window
		{31, "Failure", "ann", "1.1.1.1"}, {32, "Failure", "ann", "1.1.1.1"},
	})
	if got := titles(as); got != "brute force/3" {
		t.Fatalf("alerts %q, want one brute force (the base rule does not generate)", got)
	}
	if as[0].GroupBy["userIdentity.userName"] != "ann" || len(as[0].EventUIDs) != 3 || as[0].Rule.Kind != "correlation" {
		t.Errorf("%+v", as[0])
	}
}

func TestValueCountSpray(t *testing.T) {
	rules := baseRules + `---
title: spray
id: 00000000-0000-4000-8000-0000000000a2
correlation:
  type: value_count
  rules: [failed_login]
  group-by: [sourceIPAddress]
  timespan: 1h
  condition: {field: userIdentity.userName, gte: 3}
level: high
`
	steps := []step{{0, "Failure", "a", "9.9.9.9"}, {1, "Failure", "a", "9.9.9.9"}, {2, "Failure", "b", "9.9.9.9"}, {3, "Failure", "c", "8.8.8.8"}}
	if got := titles(runSteps(t, rules, steps)); got != "" {
		t.Errorf("two users from one address raised %q", got)
	}
	steps = append(steps, step{4, "Failure", "c", "9.9.9.9"})
	if got := titles(runSteps(t, rules, steps)); got != "spray/3" {
		t.Errorf("three users from one address: %q", got)
	}
}

func TestTemporalOrderedAndGenerate(t *testing.T) {
	rules := baseRules + `---
title: login then key
id: 00000000-0000-4000-8000-0000000000a3
correlation:
  type: temporal_ordered
  rules: [good_login, key_created]
  group-by: [userIdentity.userName]
  timespan: 15m
  generate: true
level: high
`
	inOrder := titles(runSteps(t, rules, []step{{0, "Success", "ann", ""}, {5, "CreateAccessKey", "ann", ""}}))
	if inOrder != "successful login/0 key created/0 login then key/2" {
		t.Errorf("in order: %q", inOrder)
	}
	reversed := titles(runSteps(t, rules, []step{{0, "CreateAccessKey", "ann", ""}, {5, "Success", "ann", ""}}))
	if strings.Contains(reversed, "login then key") {
		t.Errorf("reversed order fired: %q", reversed)
	}
	unordered := strings.Replace(rules, "temporal_ordered", "temporal", 1)
	if got := titles(runSteps(t, unordered, []step{{0, "CreateAccessKey", "ann", ""}, {5, "Success", "ann", ""}})); !strings.Contains(got, "login then key/2") {
		t.Errorf("temporal in any order: %q", got)
	}
}

func TestCorrelationOfCorrelationsAndAliases(t *testing.T) {
	rules := baseRules + `---
title: brute force
id: 00000000-0000-4000-8000-0000000000a4
name: brute
correlation:
  type: event_count
  rules: [failed_login]
  group-by: [user]
  timespan: 10m
  condition: {gte: 2}
  aliases:
    user:
      failed_login: userIdentity.userName
level: medium
---
title: brute force then success
id: 00000000-0000-4000-8000-0000000000a5
correlation:
  type: temporal_ordered
  rules: [brute, good_login]
  group-by: [user]
  timespan: 30m
  aliases:
    user:
      brute: user
      good_login: userIdentity.userName
level: critical
`
	got := titles(runSteps(t, rules, []step{{0, "Failure", "ann", ""}, {1, "Failure", "ann", ""}, {2, "Success", "ann", ""}}))
	if got != "brute force then success/2" {
		t.Errorf("%q", got)
	}
}

func TestUpperBoundJudgedWhenWindowCloses(t *testing.T) {
	rules := baseRules + `---
title: few failures
id: 00000000-0000-4000-8000-0000000000a6
correlation:
  type: event_count
  rules: [failed_login]
  group-by: [userIdentity.userName]
  timespan: 10m
  condition: {lt: 2}
level: low
`
	got := titles(runSteps(t, rules, []step{{0, "Failure", "ann", ""}, {0, "Failure", "bob", ""}, {1, "Failure", "bob", ""}}))
	if got != "few failures/1" {
		t.Errorf("%q, want only ann's window", got)
	}
}

func TestOldAggregationSyntax(t *testing.T) {
	rules := `title: many failures
id: 00000000-0000-4000-8000-0000000000a7
logsource: {product: aws, service: cloudtrail}
detection:
  s:
    responseElements.ConsoleLogin: Failure
  timeframe: 5m
  condition: s | count(userIdentity.userName) by sourceIPAddress > 1
level: high
`
	got := titles(runSteps(t, rules, []step{{0, "Failure", "a", "7.7.7.7"}, {1, "Failure", "b", "7.7.7.7"}, {20, "Failure", "c", "7.7.7.7"}}))
	if got != "many failures/2" {
		t.Errorf("%q", got)
	}
}

func TestNumericAggregates(t *testing.T) {
	base := `title: download
id: 00000000-0000-4000-8000-0000000000b0
name: download
logsource: {product: aws, service: cloudtrail}
detection:
  s:
    eventName: GetObject
  condition: s
level: low
`
	corr := func(kind, cond string) string {
		return base + "---\ntitle: agg\nid: 00000000-0000-4000-8000-0000000000b1\ncorrelation:\n  type: " + kind +
			"\n  rules: [download]\n  group-by: [user]\n  timespan: 1h\n  condition: {field: bytes, " + cond + "}\nlevel: high\n"
	}
	run := func(rules string, sizes []int) int {
		parsed, errs := parseFile("a.yml", []byte(rules), Options{})
		if len(errs) > 0 {
			t.Fatal(errs)
		}
		rs := &RuleSet{}
		for _, r := range parsed {
			rs.add(r)
		}
		d := rs.Detector()
		n := 0
		emit := func(a alert.Alert) {
			if a.Title == "agg" {
				n++
			}
		}
		t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		for i, s := range sizes {
			ev := cloudtrailEvent(fmt.Sprintf(`{"eventName":"GetObject","user":"u","bytes":%d}`, s))
			ev.SetTime(t0.Add(time.Duration(i) * time.Minute))
			d.Observe(context.Background(), ev, emit)
		}
		d.Advance(context.Background(), t0.Add(3*time.Hour), emit)
		return n
	}
	tests := []struct {
		kind, cond string
		sizes      []int
		want       int
	}{
		{"value_sum", "gte: 1000", []int{400, 400, 300}, 1},
		{"value_sum", "gte: 1000", []int{400, 400}, 0},
		{"value_max", "gte: 900", []int{10, 950, 20}, 1},
		{"value_avg", "gt: 500", []int{400, 700, 800}, 1},
		{"value_avg", "gt: 500", []int{400, 500, 600}, 0},
		{"value_median", "gte: 100", []int{1, 150, 200}, 1},
		{"value_min", "gte: 100", []int{120, 150, 90}, 0},
		{"value_percentile", "lte: 10", []int{1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 7}, 1},
		{"value_percentile", "lte: 10", []int{1, 1, 2, 2}, 0},
	}
	for _, tt := range tests {
		if got := run(corr(tt.kind, tt.cond), tt.sizes); got != tt.want {
			t.Errorf("%s %s over %v: %d alerts, want %d", tt.kind, tt.cond, tt.sizes, got, tt.want)
		}
	}
}

func TestGroupsBelowTheirBoundAreForgottenAsTimeAdvances(t *testing.T) {
	parsed, errs := parseFile("c.yml", []byte(baseRules+`---
title: brute force
id: 00000000-0000-4000-8000-0000000000a9
correlation:
  type: event_count
  rules: [failed_login]
  group-by: [userIdentity.userName]
  timespan: 10m
  condition: {gte: 100}
`), Options{})
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	rs := &RuleSet{}
	for _, r := range parsed {
		rs.add(r)
	}
	d := rs.Detector()
	base := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	emit := func(alert.Alert) {}
	for i := range 500 {
		ev := &event.Event{Raw: json.RawMessage(fmt.Sprintf(`{"eventName":"ConsoleLogin","responseElements":{"ConsoleLogin":"Failure"},"userIdentity":{"userName":"u%d"}}`, i)),
			Vigil: event.Vigil{Source: "cloudtrail"}}
		ev.SetTime(base.Add(time.Duration(i) * time.Second))
		d.Observe(context.Background(), ev, emit)
	}
	groups := func() int {
		n := 0
		for _, cs := range d.corrs {
			n += len(cs.groups)
		}
		return n
	}
	if groups() != 500 {
		t.Fatalf("%d groups before the window passed, want 500", groups())
	}
	d.Advance(context.Background(), base.Add(time.Hour), emit)
	if groups() != 0 {
		t.Errorf("%d groups kept an hour later, want 0", groups())
	}
}

func TestOldAggregationFunctions(t *testing.T) {
	tests := []struct{ cond, kind, field, op string }{
		{"s | count() > 5", "event_count", "", "gt"},
		{"s | count(ip) by user >= 3", "value_count", "ip", "gte"},
		{"s | SUM(bytes) by user > 1000", "value_sum", "bytes", "gt"},
		{"s | max(size) < 2.5", "value_max", "size", "lt"},
		{"s | min(size) by a, b == 1", "value_min", "size", "eq"},
		{"s | avg(duration) <= 10", "value_avg", "duration", "lte"},
	}
	for _, tt := range tests {
		search, c, err := parseAggregation(tt.cond, "1h")
		if err != nil {
			t.Errorf("%q: %v", tt.cond, err)
			continue
		}
		if _, ok := c.cond.ops[tt.op]; search != "s" || c.kind != tt.kind || c.field != tt.field || !ok || c.timespan != time.Hour {
			t.Errorf("%q: search %q, %+v", tt.cond, search, c)
		}
	}
	if _, _, err := parseAggregation("s | max() > 1", ""); err == nil {
		t.Error("max() without a field was accepted")
	}
}
