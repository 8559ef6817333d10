package sigma

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vigil-sec/vigil/internal/alert"
	"github.com/vigil-sec/vigil/internal/event"
	"github.com/vigil-sec/vigil/internal/normalize"
	"github.com/vigil-sec/vigil/internal/normalize/formats"
)

// benchRuleSet builds n rules: SigmaHQ's cloud rules when present, then variants of them
// with other literal values (as a real rule base has many rules on one logsource).
func benchRuleSet(b *testing.B, n int) *RuleSet {
	b.Helper()
	byFolder := map[string][]string{} // SigmaHQ's rules per logsource folder
	var folders []string
	dir := filepath.Join(sigmaHQ, "rules")
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && strings.HasSuffix(p, ".yml") {
			data, _ := os.ReadFile(p)
			f := filepath.Dir(p)
			if byFolder[f] == nil {
				folders = append(folders, f)
			}
			byFolder[f] = append(byFolder[f], string(data))
		}
		return nil
	})
	// Take them round-robin across folders, so that a small set has rules of every logsource.
	var docs []string
	for i := 0; len(byFolder) > 0; i++ {
		for _, f := range folders {
			if i < len(byFolder[f]) {
				docs = append(docs, byFolder[f][i])
			} else {
				delete(byFolder, f)
			}
		}
	}
	templates := []string{
		"title: t%[1]d\nid: gen-%[1]d\nlogsource: {product: aws, service: cloudtrail}\ndetection:\n  s:\n    eventSource: svc%[1]d.amazonaws.com\n    eventName: [Op%[1]dA, Op%[1]dB]\n  condition: s\nlevel: medium\n",
		"title: t%[1]d\nid: gen-%[1]d\nlogsource: {product: azure, service: signinlogs}\ndetection:\n  s:\n    ResultType: %[1]d\n    AppDisplayName|contains: App%[1]d\n  condition: s\nlevel: medium\n",
		"title: t%[1]d\nid: gen-%[1]d\nlogsource: {product: aws, service: cloudtrail}\ndetection:\n  s:\n    eventName|startswith: Do%[1]d\n  f:\n    userIdentity.type: Root\n  condition: s and not f\nlevel: low\n",
	}
	rs := &RuleSet{}
	for i := 0; rs.Len() < n; i++ {
		var src string
		if i < len(docs) {
			src = docs[i]
		} else {
			src = fmt.Sprintf(templates[i%len(templates)], i)
		}
		rules, errs := parseFile("b.yml", []byte(src), Options{})
		if len(errs) > 0 {
			continue // placeholder rules and the like
		}
		for _, r := range rules {
			if rs.Len() < n {
				rs.add(r)
			}
		}
	}
	return rs
}

func benchEvents(b *testing.B, name string) []*event.Event {
	b.Helper()
	rec, err := os.ReadFile(filepath.Join("..", "..", "normalize", "formats", "testdata", name))
	if err != nil {
		b.Fatal(err)
	}
	var evs []*event.Event
	normalize.New(formats.All()...).Record(context.Background(), rec, func(ev *event.Event) error {
		evs = append(evs, ev)
		return nil
	})
	return evs
}

func benchmarkEngine(b *testing.B, rules int, fixture string) {
	d := benchRuleSet(b, rules).Detector()
	ev := benchEvents(b, fixture)[0]
	alerts := 0
	emit := func(alert.Alert) { alerts++ }
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		d.Observe(ctx, ev, emit)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}

func BenchmarkEngine(b *testing.B) {
	for _, n := range []int{50, 200, 1000} {
		for _, f := range []string{"bench-cloudtrail.json", "bench-signin.json"} {
			b.Run(fmt.Sprintf("rules=%d/%s", n, strings.TrimSuffix(strings.TrimPrefix(f, "bench-"), ".json")), func(b *testing.B) {
				benchmarkEngine(b, n, f)
			})
		}
	}
}

// BenchmarkEngineNoMatch measures the common case: an event no rule matches (a read call).
func BenchmarkEngineNoMatch(b *testing.B) {
	rec := []byte(`{"eventVersion":"1.09","userIdentity":{"type":"IAMUser","principalId":"AIDA1","arn":"arn:aws:iam::111122223333:user/inventory","accountId":"111122223333","userName":"inventory"},"eventTime":"2026-01-01T00:00:00Z","eventSource":"ec2.amazonaws.com","eventName":"DescribeInstances","awsRegion":"eu-west-1","sourceIPAddress":"10.0.0.5","userAgent":"aws-sdk-go-v2/1.25","requestParameters":{"filterSet":{}},"responseElements":null,"requestID":"r1","eventID":"e1","readOnly":true,"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"111122223333","eventCategory":"Management"}`)
	var ev *event.Event
	normalize.New(formats.All()...).Record(context.Background(), rec, func(e *event.Event) error { ev = e; return nil })
	for _, n := range []int{50, 200, 1000} {
		b.Run(fmt.Sprintf("rules=%d", n), func(b *testing.B) {
			d := benchRuleSet(b, n).Detector()
			alerts := 0
			emit := func(alert.Alert) { alerts++ }
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				d.Observe(context.Background(), ev, emit)
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
			if alerts != 0 {
				b.Fatalf("%d alerts on a read call", alerts/b.N)
			}
		})
	}
}

// BenchmarkEngineCorrelation measures an event that matches a rule feeding correlations
// (an event count and a value count by user): what correlation state costs per match.
func BenchmarkEngineCorrelation(b *testing.B) {
	rules := baseRules + `---
title: brute force
id: 00000000-0000-4000-8000-0000000000b1
correlation: {type: event_count, rules: [failed_login], group-by: [userIdentity.userName], timespan: 10m, condition: {gte: 1000000}}
level: high
---
title: many addresses
id: 00000000-0000-4000-8000-0000000000b2
correlation: {type: value_count, rules: [failed_login], group-by: [userIdentity.userName], timespan: 10m, condition: {gte: 1000000, field: sourceIPAddress}}
level: high
`
	parsed, errs := parseFile("b.yml", []byte(rules), Options{})
	if len(errs) > 0 {
		b.Fatal(errs)
	}
	rs := &RuleSet{}
	for _, r := range parsed {
		rs.add(r)
	}
	d := rs.Detector()
	raw := []byte(`{"eventName":"ConsoleLogin","sourceIPAddress":"198.51.100.7","userIdentity":{"userName":"ann"},"responseElements":{"ConsoleLogin":"Failure"}}`)
	ev := &event.Event{Raw: raw, Vigil: event.Vigil{Source: "cloudtrail", Entity: event.UserEntity("ann")}}
	ev.Metadata.UID = "e1"
	ctx := context.Background()
	emit := func(alert.Alert) {}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		ev.Time = int64(i) * 6000 // an event every 6 s: the 10-minute window holds 100
		d.Observe(ctx, ev, emit)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}
