package cef

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

const rsyslogd = "/usr/sbin/rsyslogd"

// startRsyslog runs a real rsyslogd with a TCP input on a free loopback port and one
// file output, and returns the port and the two files it writes: the raw messages, and
// the fields rsyslog parsed from the syslog header (tab-separated).
func startRsyslog(t *testing.T) (port int, rawFile, fieldsFile string) {
	return startRsyslogOn(t, 0)
}

// startRsyslogOn is startRsyslog on a given port (0: one the system picks).
func startRsyslogOn(t *testing.T, listenPort int) (port int, rawFile, fieldsFile string) {
	t.Helper()
	if _, err := os.Stat(rsyslogd); err != nil {
		t.Skipf("%s not found: install Debian's rsyslog package (scripts/setup.sh does) to run the CEF end-to-end test", rsyslogd)
	}
	dir := t.TempDir()
	portFile := filepath.Join(dir, "port")
	rawFile, fieldsFile = filepath.Join(dir, "raw.log"), filepath.Join(dir, "fields.log")
	conf := fmt.Sprintf(`global(workDirectory=%[1]q maxMessageSize="64k")
module(load="imtcp")
input(type="imtcp" address="127.0.0.1" port="%[5]d" listenPortFileName=%[2]q ruleset="cef")
template(name="raw" type="string" string="%%rawmsg%%\n")
template(name="fields" type="string" string="%%hostname%%\t%%app-name%%\t%%syslogfacility%%\t%%syslogseverity%%\t%%msg%%\n")
ruleset(name="cef") {
  action(type="omfile" file=%[3]q template="raw")
  action(type="omfile" file=%[4]q template="fields")
}
`, dir, portFile, rawFile, fieldsFile, listenPort)
	confFile := filepath.Join(dir, "rsyslog.conf")
	if err := os.WriteFile(confFile, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(rsyslogd, "-n", "-f", confFile, "-i", filepath.Join(dir, "rsyslogd.pid"))
	var stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stderr, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("start rsyslogd: %v", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-exited
	})
	deadline := time.Now().Add(20 * time.Second)
	for {
		if listenPort != 0 {
			// rsyslog writes the port file only for port 0: wait until the port answers.
			if c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", listenPort), time.Second); err == nil {
				c.Close()
				return listenPort, rawFile, fieldsFile
			}
		}
		b, err := os.ReadFile(portFile)
		if p, perr := strconv.Atoi(strings.TrimSpace(string(b))); err == nil && perr == nil && p > 0 {
			return p, rawFile, fieldsFile
		}
		select {
		case err := <-exited:
			t.Fatalf("rsyslogd exited: %v\n%s", err, stderr.String())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("rsyslogd wrote no port file\n%s", stderr.String())
		}
	}
}

// readLines waits until path has n lines and returns them.
func readLines(t *testing.T, path string, n int) []string {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		var lines []string
		if f, err := os.Open(path); err == nil {
			sc := bufio.NewScanner(f)
			sc.Buffer(make([]byte, 1<<20), 1<<20)
			for sc.Scan() {
				lines = append(lines, sc.Text())
			}
			f.Close()
		}
		if len(lines) >= n {
			return lines
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s has %d lines, want %d", path, len(lines), n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestRsyslogEndToEnd sends alerts to a real rsyslog in each syslog format and framing
// and reads back what rsyslog wrote: its parse of the syslog header, and CEF fields
// that parse into the documented CommonSecurityLog columns.
func TestRsyslogEndToEnd(t *testing.T) {
	port, rawFile, fieldsFile := startRsyslog(t)
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
	raw := readLines(t, rawFile, sent)
	fields := readLines(t, fieldsFile, sent)
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
		p, err := parseCEF(msg)
		if err != nil {
			t.Fatalf("line %d: %v (raw %q)", i, err, raw[i])
		}
		if p.header != [7]string{"0", "Vigil", "Vigil", "0.9.0", want.Rule.ID, want.Title, "9"} {
			t.Errorf("line %d: header %q", i, p.header)
		}
		if p.ext["msg"] != want.Reason || p.ext["suser"] != want.Entity.Name || p.ext["src"] != "203.0.113.9" ||
			p.ext["cs3"] != "T1110.003,T1078.004" || p.ext["cs1"] != p.ext["externalId"] || p.ext["cn1"] != "87" {
			t.Errorf("line %d: extension %v", i, p.ext)
		}
		seen[p.ext["externalId"]] = true
	}
	if len(seen) != sent {
		t.Errorf("%d distinct alerts of %d", len(seen), sent)
	}
}
