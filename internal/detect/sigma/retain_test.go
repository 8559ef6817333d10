package sigma

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/vigil-sec/vigil/internal/alert"
	"github.com/vigil-sec/vigil/internal/event"
)

// TestCorrelationKeepsNoEventBytes: a caller may reuse an event and its raw buffer once
// Observe returns (the Detector contract), so what correlations keep between events — group
// values, counted values — must not point into the record. Every event here is written
// into one buffer; the correlations must still count and name what each event said.
func TestCorrelationKeepsNoEventBytes(t *testing.T) {
	rules := baseRules + `---
title: brute force
id: 00000000-0000-4000-8000-0000000000c1
correlation:
  type: event_count
  rules: [failed_login]
  group-by: [userIdentity.userName]
  timespan: 10m
  condition: {gte: 3}
level: high
---
title: many addresses
id: 00000000-0000-4000-8000-0000000000c2
correlation:
  type: value_count
  rules: [failed_login]
  group-by: [userIdentity.userName]
  timespan: 10m
  condition: {gte: 3, field: sourceIPAddress}
level: high
`
	parsed, errs := parseFile("c.yml", []byte(rules), Options{})
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	rs := &RuleSet{}
	for _, r := range parsed {
		rs.add(r)
	}
	d := rs.Detector()
	base := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	steps := []struct{ user, ip string }{
		{"ann", "10.0.0.1"}, {"bob", "10.0.0.9"}, {"ann", "10.0.0.2"}, {"bob", "10.0.0.9"}, {"ann", "10.0.0.3"},
	}
	var got []alert.Alert
	emit := func(a alert.Alert) { got = append(got, a) }
	buf := make([]byte, 0, 512)
	ev := &event.Event{}
	for i, s := range steps {
		rec, _ := json.Marshal(map[string]any{"eventName": "ConsoleLogin", "sourceIPAddress": s.ip,
			"userIdentity": map[string]any{"userName": s.user}, "responseElements": map[string]any{"ConsoleLogin": "Failure"}})
		buf = append(buf[:0], rec...) // the same bytes, rewritten for every event
		*ev = event.Event{Raw: buf, Vigil: event.Vigil{Source: "cloudtrail", Entity: event.UserEntity(s.user)}}
		ev.SetTime(base.Add(time.Duration(i) * time.Minute))
		ev.Metadata.UID = fmt.Sprintf("e%d", i)
		if err := d.Observe(context.Background(), ev, emit); err != nil {
			t.Fatal(err)
		}
	}
	// What was kept must not have changed with the buffer: overwrite it once more.
	for i := range buf {
		buf[i] = 'x'
	}
	d.Advance(context.Background(), base.Add(time.Hour), emit)
	byTitle := map[string]alert.Alert{}
	for _, a := range got {
		byTitle[a.Title] = a
	}
	for _, title := range []string{"brute force", "many addresses"} {
		a, ok := byTitle[title]
		if !ok {
			t.Errorf("%s did not fire: %s", title, titles(got))
			continue
		}
		if u := a.GroupBy["userIdentity.userName"]; u != "ann" || a.Count != 3 {
			t.Errorf("%s: group %q count %d, want ann and 3", title, u, a.Count)
		}
	}
	if len(got) != 2 {
		t.Errorf("alerts %s, want brute force and many addresses for ann", titles(got))
	}
}
