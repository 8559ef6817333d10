package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func runCmd(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(context.Background(), args, stdio{in: strings.NewReader(""), out: &out, err: &errb})
	return out.String(), errb.String(), code
}

// exampleLogs is the project's own example data: every source and format.
var exampleLogs = filepath.Join("..", "..", "examples", "logs")

func TestIngestIsIdempotent(t *testing.T) {
	logs, data := exampleLogs, t.TempDir()
	_, stderr, code := runCmd(t, "ingest", "--data", data, logs)
	if code != 0 {
		t.Fatalf("first ingest exit %d: %s", code, stderr)
	}
	if !strings.Contains(stderr, " 0 already stored") || strings.Contains(stderr, " 0 new") {
		t.Errorf("first ingest: %s", stderr)
	}
	_, stderr, code = runCmd(t, "ingest", "--data", data, logs)
	if code != 0 || !strings.Contains(stderr, " 0 new") {
		t.Errorf("second ingest should store nothing new (exit %d): %s", code, stderr)
	}
}

func TestIngestUnreadablePath(t *testing.T) {
	_, stderr, code := runCmd(t, "ingest", "--data", t.TempDir(), filepath.Join(t.TempDir(), "missing.json"))
	if code != 1 || !strings.Contains(stderr, "missing.json") {
		t.Errorf("exit %d, stderr %s", code, stderr)
	}
}

func TestParseCommand(t *testing.T) {
	garbage := filepath.Join(t.TempDir(), "garbage.log")
	os.WriteFile(garbage, []byte("this is not a log record\n"), 0o644)
	stdout, stderr, code := runCmd(t, "parse", exampleLogs, garbage, filepath.Join(t.TempDir(), "nope.json"))
	if code != 1 {
		t.Errorf("exit %d with an unreadable path, want 1", code)
	}
	if !strings.Contains(stderr, "1 unparsed") {
		t.Errorf("stderr should count the unparsed record: %s", stderr)
	}
	if lines := strings.Count(stdout, "\n"); lines < 40 {
		t.Errorf("only %d events", lines)
	}
	if _, _, code := runCmd(t, "parse", "--format", "nope", exampleLogs); code != 2 {
		t.Errorf("unknown format exit %d, want 2", code)
	}
}
