package cef

import (
	"context"
	"fmt"
	"github.com/vigil-sec/vigil/internal/output/cef/ceftest"
	"strings"
	"testing"
)

// TestRsyslogEndToEnd sends alerts to a real rsyslog in each syslog format and framing
// and reads back what rsyslog wrote: its parse of the syslog header, and CEF fields
// that parse into the documented CommonSecurityLog columns.
func TestRsyslogEndToEnd(t *testing.T) {
	port, rawFile, fieldsFile := ceftest.Rsyslog(t)
	var sent int
	for _, c := range []struct{ format, framing string }{
		{FormatRFC5424, FramingOctetCounting},
		{FormatRFC3164, FramingNewline},
		{FormatRFC5424, FramingNewline},
	} {
		cfg := testConfig(t, fmt.Sprintf("tcp://127.0.0.1:%d", port))
		cfg.Format, cfg.Framing = c.format, c.framing
		s, err := New(cfg, "0.9.0", nil)
		if err != nil {
			t.Fatal(err)
		}
		as := batch(20)
		for i := range as {
			as[i].ID = fmt.Sprintf("%s-%s-%02d", c.format, c.framing, i)
		}
		if err := s.Deliver(context.Background(), as); err != nil {
			t.Fatal(err)
		}
		s.Close()
		sent += len(as)
	}
	raw := ceftest.ReadLines(t, rawFile, sent)
	fields := ceftest.ReadLines(t, fieldsFile, sent)
	if len(raw) != sent || len(fields) != sent {
		t.Fatalf("rsyslog wrote %d raw and %d parsed lines, want %d", len(raw), len(fields), sent)
	}
	t.Logf("rsyslog wrote, raw: %s\nparsed: %s", raw[0], fields[0])
	want := hostile()
	seen := map[string]bool{}
	for i, line := range fields {
		parts := strings.SplitN(line, "\t", 5)
		if len(parts) != 5 {
			t.Fatalf("line %d: %q", i, line)
		}
		host, app, facility, severity, msg := parts[0], parts[1], parts[2], parts[3], strings.TrimSpace(parts[4])
		if host != "vigil-test" || app != "vigil" || facility != "10" || severity != "3" {
			t.Errorf("line %d: rsyslog parsed host %q app %q facility %s severity %s from %q", i, host, app, facility, severity, raw[i])
		}
		p, err := ceftest.Parse(msg)
		if err != nil {
			t.Fatalf("line %d: %v (raw %q)", i, err, raw[i])
		}
		if p.Header != [7]string{"0", "Vigil", "Vigil", "0.9.0", want.Rule.ID, want.Title, "9"} {
			t.Errorf("line %d: header %q", i, p.Header)
		}
		if p.Ext["msg"] != want.Reason || p.Ext["suser"] != want.Entity.Name || p.Ext["src"] != "203.0.113.9" ||
			p.Ext["cs3"] != "T1110.003,T1078.004" || p.Ext["cs1"] != p.Ext["externalId"] || p.Ext["cn1"] != "87" {
			t.Errorf("line %d: extension %v", i, p.Ext)
		}
		seen[p.Ext["externalId"]] = true
	}
	if len(seen) != sent {
		t.Errorf("%d distinct alerts of %d", len(seen), sent)
	}
}
