package main

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// Tests for issue 17's command-line items.

// truncatedCloudTrailLines writes half of a gzip of 2000 CloudTrail JSON lines.
func truncatedCloudTrailLines(t *testing.T) string {
	t.Helper()
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	for i := 0; i < 2000; i++ {
		fmt.Fprintf(w, `{"eventVersion":"1.08","eventTime":"2024-05-01T10:00:%02dZ","eventSource":"iam.amazonaws.com","eventName":"ListUsers","eventID":"e-%d","awsRegion":"us-east-1","sourceIPAddress":"198.51.100.7","userIdentity":{"type":"IAMUser","userName":"u%d"}}`+"\n", i%60, i, i)
	}
	w.Close()
	path := filepath.Join(t.TempDir(), "cut.json.gz")
	if err := os.WriteFile(path, buf.Bytes()[:buf.Len()/2], 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// Item 3: a file failing mid-read stores what was read before reporting.
func TestIngestKeepsPendingBatchOnReadError(t *testing.T) {
	path := truncatedCloudTrailLines(t)
	stdout, _, _ := runCmd(t, "parse", path)
	parsed := strings.Count(stdout, "\n")
	if parsed < 500 {
		t.Fatalf("parse read only %d events from the readable half", parsed)
	}
	_, stderr, code := runCmd(t, "ingest", "--batch", "1000", "--data", t.TempDir(), path)
	if code != 1 {
		t.Errorf("ingest of a truncated file exit %d, want 1", code)
	}
	m := regexp.MustCompile(`(\d+) events, (\d+) new`).FindStringSubmatch(stderr)
	if m == nil || m[1] != fmt.Sprint(parsed) || m[2] != fmt.Sprint(parsed) {
		t.Errorf("parse emitted %d events; ingest: %s", parsed, stderr)
	}
}

// Item 11: a read error is printed once.
func TestReadErrorPrintedOnce(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "missing.json")
	for _, cmd := range []string{"parse", "ingest"} {
		args := []string{cmd, missing}
		if cmd == "ingest" {
			args = []string{cmd, "--data", t.TempDir(), missing}
		}
		_, stderr, code := runCmd(t, args...)
		if code != 1 || strings.Count(stderr, "missing.json") != 1 {
			t.Errorf("%s: exit %d, the error should be printed once:\n%s", cmd, code, stderr)
		}
	}
}

// Item 8: `hunt --rules DIR` where no rule loads is an error, not a silent run.
func TestHuntRulesDirWithoutRulesFails(t *testing.T) {
	empty := t.TempDir()
	broken := t.TempDir()
	os.WriteFile(filepath.Join(broken, "bad.yml"), []byte("title: [unclosed\n"), 0o644)
	for name, dir := range map[string]string{"empty": empty, "broken": broken, "missing": filepath.Join(empty, "nope")} {
		_, stderr, code := runCmd(t, "hunt", "--rules", dir, exampleLogs)
		if code == 0 || !strings.Contains(stderr, dir) {
			t.Errorf("%s rules folder: exit %d, want non-zero naming the folder\n%s", name, code, stderr)
		}
	}
}

// Item 11: hunt prints a read error once too.
func TestHuntReadErrorPrintedOnce(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "missing.json")
	_, stderr, code := runCmd(t, "hunt", missing)
	if code != 1 || strings.Count(stderr, "missing.json") != 1 {
		t.Errorf("exit %d, the error should be printed once:\n%s", code, stderr)
	}
}

// Item 1: correlation rules naming each other fail lint with both ids, and hunt with them
// ends with an error instead of a stack overflow.
func TestCyclicCorrelationsLintAndHunt(t *testing.T) {
	dir := t.TempDir()
	corr := "title: %s\nid: %s\ncorrelation:\n  type: event_count\n  rules: [%s]\n  group-by: [userIdentity.userName]\n  timespan: 10m\n  condition: {gte: 1}\n"
	os.WriteFile(filepath.Join(dir, "a.yml"), []byte(fmt.Sprintf(corr, "a", "corr-a", "corr-b")), 0o644)
	os.WriteFile(filepath.Join(dir, "b.yml"), []byte(fmt.Sprintf(corr, "b", "corr-b", "corr-a")), 0o644)
	stdout, _, code := runCmd(t, "rules", "lint", dir)
	if code != 1 || !strings.Contains(stdout, "cycle") || !strings.Contains(stdout, "corr-a, corr-b") {
		t.Errorf("lint exit %d:\n%s", code, stdout)
	}
	if _, stderr, code := runCmd(t, "hunt", "--rules", dir, exampleLogs); code != 1 || !strings.Contains(stderr, "cycle") {
		t.Errorf("hunt exit %d:\n%s", code, stderr)
	}
}
