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

// goldenInputs copies the native inputs of the parsers' golden files into dir.
func goldenInputs(t *testing.T, dir string) int {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join("..", "..", "internal", "normalize", "*", "testdata", "*.golden"))
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		input, _, _ := bytes.Cut(b, []byte("\n---- want ----\n"))
		name := filepath.Base(filepath.Dir(filepath.Dir(f))) + "-" + strings.TrimSuffix(filepath.Base(f), ".golden") + ".json"
		if err := os.WriteFile(filepath.Join(dir, name), input, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return len(files)
}

func TestIngestIsIdempotent(t *testing.T) {
	logs, data := t.TempDir(), t.TempDir()
	if n := goldenInputs(t, logs); n < 10 {
		t.Fatalf("only %d fixture files", n)
	}
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
	logs := t.TempDir()
	goldenInputs(t, logs)
	os.WriteFile(filepath.Join(logs, "garbage.log"), []byte("this is not a log record\n"), 0o644)
	stdout, stderr, code := runCmd(t, "parse", logs, filepath.Join(logs, "nope.json"))
	if code != 1 {
		t.Errorf("exit %d with an unreadable path, want 1", code)
	}
	if !strings.Contains(stderr, "1 unparsed") {
		t.Errorf("stderr should count the unparsed record: %s", stderr)
	}
	if lines := strings.Count(stdout, "\n"); lines < 40 {
		t.Errorf("only %d events", lines)
	}
	if _, _, code := runCmd(t, "parse", "--format", "nope", logs); code != 2 {
		t.Errorf("unknown format exit %d, want 2", code)
	}
}
