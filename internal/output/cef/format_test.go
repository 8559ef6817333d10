package cef

import (
	"github.com/vigil-sec/vigil/internal/output/cef/ceftest"
	"strings"
	"testing"
	"time"

	"github.com/vigil-sec/vigil/internal/alert"
	"github.com/vigil-sec/vigil/internal/event"
)

// hostile is an alert whose every text field holds what CEF must escape.
func hostile() alert.Alert {
	t0 := time.Date(2026, 3, 4, 5, 6, 7, 890e6, time.UTC)
	return alert.Alert{
		ID: "4f1c0a", Time: t0, Title: `Spray | then sign-in \ from "new" country`,
		Rule:     alert.Rule{ID: `login.failed/spray|x`, Kind: alert.KindCorrelation},
		Severity: alert.SeverityHigh, Score: 87,
		Entity:      event.Entity{Type: event.EntityUser, Name: "alice@contoso.example"},
		Reason:      "12 failures = a spray\nthen success from 203.0.113.9",
		Attack:      []string{"T1110.003", "T1078.004"},
		GroupBy:     map[string]string{"src_ip": "203.0.113.9"},
		Details:     map[string]any{"baseline": map[string]any{"country": "new: BR"}, "operation": `https://graph.example/x?a=1\b`},
		Occurrences: 3, FirstSeen: t0.Add(-time.Hour), LastSeen: t0,
	}
}

func TestLineRoundTrip(t *testing.T) {
	a := hostile()
	p, err := ceftest.Parse(Line(a, "Vigil", "1.2|3"))
	if err != nil {
		t.Fatal(err)
	}
	wantHeader := [7]string{"0", "Vigil", "Vigil", "1.2|3", a.Rule.ID, a.Title, "9"}
	if p.Header != wantHeader {
		t.Errorf("header %q\nwant   %q", p.Header, wantHeader)
	}
	for key, want := range map[string]string{
		"rt": "1772600767890", "start": "1772597167890", "end": "1772600767890",
		"externalId": "4f1c0a", "cat": "login.failed", "act": "alert", "msg": a.Reason, "cnt": "3",
		"src": "203.0.113.9", "suser": "alice@contoso.example", "request": `https://graph.example/x?a=1\b`,
		"cs1": "4f1c0a", "cs1Label": "AlertID", "cs2": "user:alice@contoso.example", "cs2Label": "Entity",
		"cs3": "T1110.003,T1078.004", "cs3Label": "MitreTechniques", "cs4": a.Reason, "cs4Label": "Reason",
		"cs5":      `{"baseline":{"country":"new: BR"},"operation":"https://graph.example/x?a=1\\b"}`,
		"cs5Label": "Explanation", "cs6": "correlation", "cs6Label": "RuleKind", "cn1": "87", "cn1Label": "Score",
		"flexString1": "high", "flexString1Label": "Severity",
	} {
		if got := p.Ext[key]; got != want {
			t.Errorf("%s = %q, want %q", key, got, want)
		}
	}
	if _, ok := p.Ext["dhost"]; ok {
		t.Error("dhost set without a host in the alert")
	}
	if line := Line(a, "Vigil", "1"); strings.ContainsAny(line, "\r\n") {
		t.Errorf("line break in %q", line)
	}
}

func TestSeverity(t *testing.T) {
	for score, want := range map[int]int{-5: 0, 0: 0, 4: 0, 5: 1, 50: 5, 87: 9, 95: 10, 100: 10, 250: 10} {
		if got := Severity(score); got != want {
			t.Errorf("Severity(%d) = %d, want %d", score, got, want)
		}
	}
}

func TestSyslogHeaders(t *testing.T) {
	now := time.Date(2026, 3, 4, 5, 6, 7, 890e6, time.UTC)
	a := alert.Alert{Severity: alert.SeverityHigh}
	h := header{format: FormatRFC5424, facility: 10, hostname: "vigil-1", appName: "vigil"}
	if got, want := string(h.appendMessage(nil, now, a, "CEF:0|x")), "<83>1 2026-03-04T05:06:07.890Z vigil-1 vigil - alert - CEF:0|x"; got != want {
		t.Errorf("rfc5424 %q\nwant    %q", got, want)
	}
	h.format = FormatRFC3164
	if got, want := string(h.appendMessage(nil, now, a, "CEF:0|x")), "<83>Mar  4 05:06:07 vigil-1 vigil: CEF:0|x"; got != want {
		t.Errorf("rfc3164 %q\nwant    %q", got, want)
	}
	if got := syslogName("my host\n", 255); got != "myhost" {
		t.Errorf("syslogName = %q", got)
	}
}
