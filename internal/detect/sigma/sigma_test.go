package sigma

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vigil-sec/vigil/internal/alert"
	"github.com/vigil-sec/vigil/internal/event"
)

// rule builds a CloudTrail rule around a detection section.
func rule(t *testing.T, detection string) *Rule {
	t.Helper()
	src := "title: t\nid: 11111111-1111-4111-8111-111111111111\nlevel: high\ntags: [attack.t1078.004]\nlogsource:\n  product: aws\n  service: cloudtrail\ndetection:\n" + detection
	rules, errs := parseFile("t.yml", []byte(src), Options{Placeholders: map[string][]string{"admins": {"alice", "bob"}}})
	if len(errs) > 0 {
		t.Fatalf("%s\n%v", src, errs[0])
	}
	return rules[0]
}

func cloudtrailEvent(raw string) *event.Event {
	return &event.Event{Raw: json.RawMessage(raw), Vigil: event.Vigil{Source: "cloudtrail"}}
}

func TestModifiersAndValues(t *testing.T) {
	rec := `{"eventName":"StopLogging","eventSource":"cloudtrail.amazonaws.com","sourceIPAddress":"10.1.2.3",
		"userIdentity":{"type":"IAMUser","userName":"alice","arn":"arn:aws:iam::1:user/alice"},
		"requestParameters":{"name":"org-trail","tags":[{"key":"env","value":"prod"}],"count":7,"enable":false,"cmd":"cG93ZXJzaGVsbCAtZW5j"},
		"errorCode":null,"additionalEventData":{"MFAUsed":"No"},"responseElements":null,"userAgent":"Mozilla/5.0 (X11)",
		"b64":"SGVsbG8gV29ybGQ=","wide":"aABpAA==","bom":"//5oAGkA","eventTime":"2026-03-04T14:05:00Z","items":["a","b"],"pw":"-enc x"}`
	tests := []struct {
		name, det string
		want      bool
	}{
		{"exact is case-insensitive", "  s:\n    eventName: stoplogging\n  condition: s", true},
		{"cased", "  s:\n    eventName|cased: stoplogging\n  condition: s", false},
		{"list is or", "  s:\n    eventName: [DeleteTrail, StopLogging]\n  condition: s", true},
		{"map is and", "  s:\n    eventName: StopLogging\n    eventSource: s3.amazonaws.com\n  condition: s", false},
		{"list of maps is or", "  s:\n    - eventName: X\n    - eventSource: cloudtrail.amazonaws.com\n  condition: s", true},
		{"wildcard", "  s:\n    eventName: Stop*ing\n  condition: s", true},
		{"question mark", "  s:\n    eventName: StopLoggin?\n  condition: s", true},
		{"escaped star is literal", "  s:\n    eventName: 'Stop\\*'\n  condition: s", false},
		{"contains", "  s:\n    userAgent|contains: x11\n  condition: s", true},
		{"startswith endswith", "  s:\n    eventSource|startswith: cloudtrail\n    eventName|endswith: Logging\n  condition: s", true},
		{"contains all", "  s:\n    userAgent|contains|all: [Mozilla, X11]\n  condition: s", true},
		{"contains all fails", "  s:\n    userAgent|contains|all: [Mozilla, Windows]\n  condition: s", false},
		{"null matches null", "  s:\n    errorCode: null\n  condition: s", true},
		{"null matches absent", "  s:\n    errorMessage: null\n  condition: s", true},
		{"null does not match present", "  s:\n    eventName: null\n  condition: s", false},
		{"empty string", "  s:\n    eventName: ''\n  condition: s", false},
		{"number vs string", "  s:\n    requestParameters.count: '7'\n  condition: s", true},
		{"quoted boolean vs boolean", "  s:\n    requestParameters.enable: 'false'\n  condition: s", true},
		{"dotted path into arrays", "  s:\n    requestParameters.tags.value: prod\n  condition: s", true},
		{"contains on an object", "  s:\n    requestParameters|contains: org-trail\n  condition: s", true},
		{"star means present", "  s:\n    requestParameters.name|contains: '*'\n  condition: s", true},
		{"re", "  s:\n    userIdentity.arn|re: '^arn:aws:iam::\\d+:user/'\n  condition: s", true},
		{"re is case-sensitive", "  s:\n    eventName|re: '^stoplogging$'\n  condition: s", false},
		{"re with i", "  s:\n    eventName|re|i: '^stoplogging$'\n  condition: s", true},
		{"cidr", "  s:\n    sourceIPAddress|cidr: 10.0.0.0/8\n  condition: s", true},
		{"cidr miss", "  s:\n    sourceIPAddress|cidr: 192.168.0.0/16\n  condition: s", false},
		{"exists", "  s:\n    additionalEventData|exists: true\n    nothere|exists: false\n  condition: s", true},
		{"gt", "  s:\n    requestParameters.count|gt: 5\n  condition: s", true},
		{"lte", "  s:\n    requestParameters.count|lte: 6\n  condition: s", false},
		{"base64", "  s:\n    b64|base64: Hello World\n  condition: s", true},
		{"base64offset contains", "  s:\n    requestParameters.cmd|base64offset|contains: 'shell'\n  condition: s", true},
		{"wide base64", "  s:\n    wide|wide|base64: hi\n  condition: s", true},
		{"windash", "  s:\n    pw|windash|contains: '/enc'\n  condition: s", true},
		{"fieldref", "  s:\n    userIdentity.userName|fieldref: userIdentity.type\n  condition: s", false},
		{"fieldref equal", "  s:\n    eventName|fieldref: eventName\n  condition: s", true},
		{"expand", "  s:\n    userIdentity.userName|expand: '%admins%'\n  condition: s", true},
		{"keywords", "  keywords:\n    - org-trail\n  condition: keywords", true},
		{"array field", "  s:\n    items: b\n  condition: s", true},
		{"neq", "  s:\n    eventName|neq: DeleteTrail\n  condition: s", true},
		{"ocsf field", "  s:\n    vigil.source: cloudtrail\n  condition: s", true},
		{"exists counts a null field as present", "  s:\n    errorCode|exists: true\n  condition: s", true},
		{"fieldref neq", "  s:\n    userIdentity.userName|fieldref|neq: userIdentity.type\n  condition: s", true},
		{"fieldref neq same", "  s:\n    eventName|fieldref|neq: eventName\n  condition: s", false},
		{"hour", "  s:\n    eventTime|hour: 14\n  condition: s", true},
		{"hour gte", "  s:\n    eventTime|hour|gte: 22\n  condition: s", false},
		{"minute month year week day", "  s:\n    eventTime|minute: 5\n    eventTime|month: 3\n    eventTime|year: 2026\n    eventTime|week: 10\n    eventTime|day: 4\n  condition: s", true},
		{"utf16 with BOM", "  s:\n    bom|utf16|base64: hi\n  condition: s", true},
		{"contains neq", "  s:\n    userAgent|contains|neq: Windows\n  condition: s", true},
	}
	ev := cloudtrailEvent(rec)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := rule(t, tt.det).Match(ev); got != tt.want {
				t.Errorf("match = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestConditions(t *testing.T) {
	ev := cloudtrailEvent(`{"eventName":"StopLogging","eventSource":"cloudtrail.amazonaws.com","errorCode":"AccessDenied"}`)
	sels := "  sel_name:\n    eventName: StopLogging\n  sel_src:\n    eventSource: cloudtrail.amazonaws.com\n  filter_ok:\n    errorCode: AccessDenied\n  _hidden:\n    eventName: Nope\n"
	tests := []struct {
		cond string
		want bool
	}{
		{"sel_name and sel_src", true},
		{"sel_name and not filter_ok", false},
		{"sel_name or filter_ok", true},
		{"not sel_name or sel_src", true},
		{"not (sel_name or sel_src)", false},
		{"1 of sel_*", true},
		{"all of sel_*", true},
		{"all of sel_* and not 1 of filter_*", false},
		{"1 of them", true},
		{"all of them", true}, // names starting with _ are not part of them
		{"any of sel_*", true},
		{"sel_name and (filter_ok or _hidden)", true},
	}
	for _, tt := range tests {
		t.Run(tt.cond, func(t *testing.T) {
			if got := rule(t, sels+"  condition: "+tt.cond+"\n").Match(ev); got != tt.want {
				t.Errorf("%q = %v, want %v", tt.cond, got, tt.want)
			}
		})
	}
}

func TestLoadErrorsNameFileAndLine(t *testing.T) {
	tests := []struct{ yaml, want string }{
		{"title: t\nid: x\ndetection:\n  s:\n    a|nope: 1\n  condition: s\n", "unknown modifier"},
		{"title: t\nid: x\ndetection:\n  s:\n    a: 1\n  condition: s and missing\n", "no selection named"},
		{"title: t\nid: x\ndetection:\n  s:\n    a: 1\n", "no condition"},
		{"title: t\nid: x\ndetection:\n  s:\n    a|re: '('\n  condition: s\n", "bad regular expression"},
		{"title: t\ndetection:\n  s:\n    a: 1\n  condition: s\n", "id is required"},
		{"title: [\n", "YAML"},
		{"title: t\nid: x\ndetection:\n  s:\n    a: 1\n  condition: s | median(a) > 5\n", "count|min|max|avg|sum"},
		{"title: t\nid: x\ncorrelation:\n  type: event_count\n  rules: [a]\n  timespan: 5x\n  condition: {gte: 2}\n", "timespan"},
		{"title: t\nid: x\ncorrelation:\n  type: value_count\n  rules: [a]\n  timespan: 5m\n  condition: {gte: 2}\n", "condition.field"},
		{"title: t\nid: x\ndetection:\n  s:\n    a|expand: '%nope%'\n  condition: s\n", "placeholder %nope%"},
	}
	for _, tt := range tests {
		_, errs := parseFile("r.yml", []byte(tt.yaml), Options{})
		if len(errs) != 1 || !strings.Contains(errs[0].Error(), tt.want) || !strings.HasPrefix(errs[0].Error(), "r.yml") {
			t.Errorf("%q: errors %v, want one naming r.yml and %q", tt.yaml, errs, tt.want)
		}
	}
}

func TestAlertCarriesContractFields(t *testing.T) {
	r := rule(t, "  s:\n    eventName: StopLogging\n  condition: s\n")
	ev := cloudtrailEvent(`{"eventName":"StopLogging"}`)
	ev.Metadata.UID = "e-1"
	ev.Vigil.Entity = event.UserEntity("a@example.com")
	rs := &RuleSet{}
	rs.add(r)
	var a alert.Alert
	rs.Detector().Observe(context.Background(), ev, func(got alert.Alert) { a = got })
	if !strings.Contains(a.Reason, `eventName="StopLogging"`) {
		t.Errorf("reason %q does not name the matched value", a.Reason)
	}
	if a.Rule.Kind != "sigma" || a.Severity != "high" || a.Score == 0 || len(a.Attack) != 1 || a.Attack[0] != "T1078.004" ||
		a.EventUIDs[0] != "e-1" || a.Entity.Name != "a@example.com" || a.ID == "" || a.Reason == "" {
		t.Errorf("%+v", a)
	}
}

func FuzzLoadRule(f *testing.F) {
	f.Add("title: t\nid: x\nlogsource: {product: aws}\ndetection:\n  s:\n    a|contains|all: [x, y]\n  condition: 1 of s*\n")
	f.Add("title: t\nid: x\ndetection:\n  k: [a, b]\n  condition: not k\n---\ntitle: u\n")
	f.Fuzz(func(t *testing.T, src string) {
		rules, _ := parseFile("f.yml", []byte(src), Options{})
		ev := cloudtrailEvent(`{"a":"x y","b":[1,{"c":null}]}`)
		for _, r := range rules {
			r.Match(ev)
		}
	})
}

func FuzzCondition(f *testing.F) {
	f.Add("a and not (b or 1 of c*)")
	f.Add("all of them")
	f.Fuzz(func(t *testing.T, cond string) {
		sels := map[string]*selection{"a": {}, "b": {}, "c1": {}}
		if e, err := parseCondition(cond, sels); err == nil {
			e.eval(newMatchState(&event.Event{}))
		}
	})
}

func TestMetaFilter(t *testing.T) {
	src := `title: stop logging
id: 22222222-2222-4222-8222-222222222222
name: stop_logging
logsource: {product: aws, service: cloudtrail}
detection:
  s:
    eventName: StopLogging
  condition: s
---
title: not the platform team
id: 33333333-3333-4333-8333-333333333333
logsource: {product: aws, service: cloudtrail}
filter:
  rules: [stop_logging]
  platform:
    userIdentity.userName|startswith: platform-
  condition: not platform
`
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "r.yml"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	rs, errs := Load(os.DirFS(dir), ".", Options{})
	if len(errs) > 0 || rs.Len() != 1 {
		t.Fatalf("%d rules, errors %v", rs.Len(), errs)
	}
	r := rs.rules[0]
	if !r.Match(cloudtrailEvent(`{"eventName":"StopLogging","userIdentity":{"userName":"mallory"}}`)) {
		t.Error("filtered rule no longer matches what it should")
	}
	if r.Match(cloudtrailEvent(`{"eventName":"StopLogging","userIdentity":{"userName":"platform-ci"}}`)) {
		t.Error("the filter did not apply")
	}
}
