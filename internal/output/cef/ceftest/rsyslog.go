// Package ceftest holds what tests of CEF delivery need: a real rsyslog receiver on a
// loopback port (Debian's rsyslog package, installed by scripts/setup.sh) and a reader of
// CEF lines as a receiver parses them, undoing the specification's escapes.
package ceftest

import (
	"bufio"
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

// Rsyslog runs a real rsyslogd with a TCP input on a free loopback port and one file
// output, and returns the port and the two files it writes: the raw messages, and the
// fields rsyslog parsed from the syslog header (tab-separated: hostname, app-name,
// facility, severity, message). The test is skipped when rsyslogd is not installed.
func Rsyslog(t testing.TB) (port int, rawFile, fieldsFile string) {
	return RsyslogOn(t, 0)
}

// RsyslogOn is Rsyslog on a given port (0: one the system picks), so a test can bring a
// receiver back on the port an output was sending to.
func RsyslogOn(t testing.TB, listenPort int) (port int, rawFile, fieldsFile string) {
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

// ReadLines waits (20 s at most) until path has n lines and returns them.
func ReadLines(t testing.TB, path string, n int) []string {
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
