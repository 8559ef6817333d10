package detecttest

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/vigil-sec/vigil/internal/alert"
	"github.com/vigil-sec/vigil/internal/detect"
	"github.com/vigil-sec/vigil/internal/event"
)

// stopLogging alerts on every CloudTrail StopLogging: a stand-in detector for the runner.
type stopLogging struct{}

func (stopLogging) Name() string { return "test" }
func (stopLogging) Observe(_ context.Context, ev *event.Event, emit detect.Emit) error {
	if ev.API.Operation == "StopLogging" {
		emit(alert.Alert{Title: "stop", Rule: alert.Rule{ID: "r1"}, Severity: alert.SeverityHigh, Entity: ev.Vigil.Entity, Time: ev.Timestamp()})
	}
	return nil
}
func (stopLogging) Advance(context.Context, time.Time, detect.Emit) error { return nil }

const script = `# a comment
case stop then start
load
{"eventVersion":"1.08","eventID":"a","eventTime":"2026-01-01T00:00:00Z","eventSource":"cloudtrail.amazonaws.com","eventName":"StopLogging","userIdentity":{"type":"Root","arn":"arn:aws:iam::1:root","accountId":"1"}}
{"eventVersion":"1.08","eventID":"b","eventTime":"2026-01-01T00:01:00Z","eventSource":"cloudtrail.amazonaws.com","eventName":"StartLogging","userIdentity":{"type":"Root","arn":"arn:aws:iam::1:root","accountId":"1"}}

expect alert rule=r1 entity=root:arn:aws:iam::1:root severity=high
expect alerts 1

case repeated
load 3 every 1m
{"eventVersion":"1.08","eventID":"e{{i}}","eventTime":"{{time}}","eventSource":"cloudtrail.amazonaws.com","eventName":"StopLogging"}
expect alerts 3
expect no alert rule=other
`

func TestRunnerPassesAndFails(t *testing.T) {
	cases, err := Parse("s.test", []byte(script))
	if err != nil || len(cases) != 2 {
		t.Fatalf("%d cases, %v", len(cases), err)
	}
	for _, c := range cases {
		alerts, err := c.Run(context.Background(), stopLogging{})
		if err != nil {
			t.Fatal(err)
		}
		if f := c.Check(alerts); len(f) > 0 {
			t.Errorf("%s: %v", c.Name, f)
		}
	}
	// A wrong expectation must fail.
	wrong, _ := Parse("w.test", []byte(strings.Replace(script, "expect alerts 1", "expect alerts 2", 1)))
	alerts, _ := wrong[0].Run(context.Background(), stopLogging{})
	if f := wrong[0].Check(alerts); len(f) != 1 || !strings.Contains(f[0], "want 2") {
		t.Errorf("a wrong count was not reported: %v", f)
	}
	none, _ := Parse("n.test", []byte(strings.Replace(script, "expect no alert rule=other", "expect no alert rule=r1", 1)))
	alerts, _ = none[1].Run(context.Background(), stopLogging{})
	if f := none[1].Check(alerts); len(f) != 1 {
		t.Errorf("an unexpected alert was not reported: %v", f)
	}
}

func TestParseErrorsNameTheLine(t *testing.T) {
	for src, want := range map[string]string{
		"load\n":                          "s.test:1",
		"case x\nexpect banana\n":         "s.test:2",
		"case x\nload 3 every soon\n{}\n": "s.test:2",
		"case x\nload\n{}\n":              "expects nothing",
	} {
		if _, err := Parse("s.test", []byte(src)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want %q", src, err, want)
		}
	}
}
