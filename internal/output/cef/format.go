package cef

import (
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/vigil-sec/vigil/internal/alert"
	"github.com/vigil-sec/vigil/internal/event"
	"github.com/vigil-sec/vigil/internal/output"
	"github.com/vigil-sec/vigil/internal/triage"
)

// Vendor is the CEF Device Vendor of every Vigil event (CommonSecurityLog.DeviceVendor).
const Vendor = "Vigil"

// maxDetails bounds the details carried in cs5, so a message stays within what a
// syslog relay accepts (rsyslog's default maxMessageSize is 8k).
const maxDetails = 3000

// Severity maps a score 0–100 to CEF's 0–10 (CommonSecurityLog.LogSeverity).
func Severity(score int) int {
	return int(math.Round(float64(min(max(score, 0), 100)) / 10))
}

// syslogSeverity is the syslog severity of an alert's severity (RFC 5424 §6.2.1).
func syslogSeverity(s alert.Severity) int {
	switch s {
	case alert.SeverityCritical:
		return 2
	case alert.SeverityHigh:
		return 3
	case alert.SeverityMedium:
		return 4
	case alert.SeverityLow:
		return 5
	}
	return 6
}

// Line is an alert's CEF line (no syslog header): the mapping docs/cef.md documents.
func Line(a alert.Alert, product, version string) string {
	var b strings.Builder
	b.Grow(512)
	b.WriteString("CEF:0|")
	for _, f := range []string{Vendor, product, version, a.Rule.ID, title(a)} {
		b.WriteString(EscapeHeader(f))
		b.WriteByte('|')
	}
	b.WriteString(strconv.Itoa(Severity(a.Score)))
	b.WriteByte('|')
	ext := extension{b: &b}
	ext.add("rt", millis(a.Time))
	ext.add("start", millis(firstNonZero(a.FirstSeen, a.Time)))
	ext.add("end", millis(firstNonZero(a.LastSeen, a.Time)))
	ext.add("externalId", a.ID)
	ext.add("cat", firstString(output.Category(a), string(a.Rule.Kind)))
	ext.add("act", "alert")
	ext.add("msg", a.Reason)
	if n := max(a.Occurrences, a.Count); n > 0 {
		ext.add("cnt", strconv.Itoa(n))
	}
	ext.add("src", sourceIP(a))
	ext.add("suser", sourceUser(a))
	ext.add("dhost", pick(a, "dhost", "host", "resource", "target"))
	ext.add("request", pick(a, "url", "request", "operation"))
	ext.add("requestClientApplication", pick(a, "user_agent", "useragent"))
	ext.pair("cs1", "AlertID", a.ID)
	ext.pair("cs2", "Entity", a.Entity.Key())
	ext.pair("cs3", "MitreTechniques", strings.Join(a.Attack, ","))
	ext.pair("cs4", "Reason", firstString(a.Latest, a.Reason))
	ext.pair("cs5", "Explanation", details(a))
	ext.pair("cs6", "RuleKind", string(a.Rule.Kind))
	ext.pair("cn1", "Score", strconv.Itoa(a.Score))
	ext.pair("flexString2", "Triage", triage.Line(a.Details))
	ext.add("flexString1", string(a.Severity))
	ext.add("flexString1Label", "Severity")
	return b.String()
}

type extension struct {
	b     *strings.Builder
	first bool
}

// add writes key=value, skipping empty values (an empty column is better than "-").
func (e *extension) add(key, value string) {
	if value == "" {
		return
	}
	if e.first {
		e.b.WriteByte(' ')
	}
	e.first = true
	e.b.WriteString(key)
	e.b.WriteByte('=')
	e.b.WriteString(EscapeExtension(value))
}

// pair writes a custom field and its label, the label only when there is a value.
func (e *extension) pair(key, label, value string) {
	if value == "" {
		return
	}
	e.add(key, value)
	e.add(key+"Label", label)
}

func title(a alert.Alert) string { return firstString(a.Title, a.Rule.Title, a.Rule.ID) }

func millis(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return strconv.FormatInt(t.UnixMilli(), 10)
}

func firstNonZero(ts ...time.Time) time.Time {
	for _, t := range ts {
		if !t.IsZero() {
			return t
		}
	}
	return time.Time{}
}

func firstString(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}

// sourceIP is the address the activity came from: the entity when it is an address, or
// the first address-like key of the grouping or the details.
func sourceIP(a alert.Alert) string {
	if a.Entity.Type == event.EntityIP {
		return a.Entity.Name
	}
	return pick(a, "src_ip", "ip", "source_ip", "ipaddress", "to_ip")
}

// sourceUser is the identity that acted, when the entity is one.
func sourceUser(a alert.Alert) string {
	switch a.Entity.Type {
	case event.EntityIP, event.EntityASN, event.EntityAccount, "":
		return pick(a, "user", "actor")
	}
	return a.Entity.Name
}

// pick returns the first key set to a string in the alert's grouping or details.
func pick(a alert.Alert, keys ...string) string {
	for _, k := range keys {
		if v := a.GroupBy[k]; v != "" {
			return v
		}
		if v, ok := a.Details[k].(string); ok && v != "" {
			return v
		}
	}
	return ""
}

// details is the detector's explanation (deviating baseline features, distances, the
// folded count) as compact JSON, cut to maxDetails.
func details(a alert.Alert) string {
	d := a.Details
	if _, ok := d["triage"]; ok { // carried on its own line, flexString2
		d = make(map[string]any, len(a.Details))
		for k, v := range a.Details {
			if k != "triage" {
				d[k] = v
			}
		}
	}
	if len(d) == 0 {
		return ""
	}
	b, err := json.Marshal(d)
	if err != nil {
		return ""
	}
	if len(b) > maxDetails {
		return strings.ToValidUTF8(string(b[:maxDetails]), "") + "…"
	}
	return string(b)
}
