package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// terminalRun runs a vigil command in-process with stderr on a fresh pseudo-terminal
// (opened from /dev/ptmx, no helper program) and stdout in a buffer; it returns stdout,
// what the terminal showed, and the exit code.
func terminalRun(t *testing.T, args ...string) (stdout, screen string, code int) {
	t.Helper()
	ptmx, err := os.OpenFile("/dev/ptmx", os.O_RDWR, 0)
	if err != nil {
		t.Skipf("no pseudo-terminals here: %v", err)
	}
	defer ptmx.Close()
	if err := unix.IoctlSetPointerInt(int(ptmx.Fd()), unix.TIOCSPTLCK, 0); err != nil {
		t.Fatalf("unlock pty: %v", err)
	}
	n, err := unix.IoctlGetUint32(int(ptmx.Fd()), unix.TIOCGPTN)
	if err != nil {
		t.Fatalf("pty number: %v", err)
	}
	tty, err := os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Fatalf("open pty: %v", err)
	}
	var shown bytes.Buffer
	done := make(chan struct{})
	go func() {
		io.Copy(&shown, ptmx) // ends with EIO once the terminal side is closed and drained
		close(done)
	}()
	var out bytes.Buffer
	code = run(context.Background(), args, stdio{in: strings.NewReader(""), out: &out, err: tty})
	tty.Close()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("the terminal's output did not drain")
	}
	return out.String(), shown.String(), code
}

// progressLines are the lines a progress meter drew (each starts with \r and ends with
// the clear-to-end sequence).
func progressLines(screen, label string) []string {
	var lines []string
	for _, part := range strings.Split(screen, "\r") {
		if strings.HasPrefix(part, label+": ") && strings.HasSuffix(part, "\x1b[K") {
			lines = append(lines, part)
		}
	}
	return lines
}

// TestProgressOnATerminalAndNotElsewhere: on a terminal simulate, ingest, hunt and eval
// draw progress lines with records, a rate and how far they are (the time left appears
// only after a second, which an idle machine may not need: the renderer's tests, on a
// fake clock, check it); --quiet draws none; and
// hunt's stdout is the same bytes whether stderr is a terminal with progress, a
// terminal with --quiet, or a buffer.
func TestProgressOnATerminalAndNotElsewhere(t *testing.T) {
	dir := t.TempDir() + "/sim"
	_, screen, code := terminalRun(t, "simulate", "--out", dir, "--users", "20", "--days", "14")
	if code != 0 {
		t.Fatalf("simulate: exit %d\n%s", code, screen)
	}
	check := func(label, screen string, want ...string) {
		t.Helper()
		lines := progressLines(screen, label)
		if len(lines) == 0 {
			t.Errorf("%s drew no progress line on a terminal:\n%q", label, screen)
			return
		}
		last := lines[len(lines)-1]
		for _, w := range append([]string{" records, ", " records/s"}, want...) {
			if !strings.Contains(last, w) {
				t.Errorf("%s's last progress line %q lacks %q", label, last, w)
			}
		}
		// Whatever follows a progress line (the next one, a log message, the summary)
		// starts by going back to the line's start: nothing is glued to it.
		parts := strings.Split(screen, "\x1b[K")
		for i, p := range parts[:len(parts)-1] {
			if !strings.HasSuffix(p, "\r") && !strings.HasPrefix(parts[i+1], "\r") {
				t.Errorf("%s: text glued to a progress line: %q", label, p[max(0, len(p)-60):]+"\x1b[K"+parts[i+1][:min(60, len(parts[i+1]))])
			}
		}
		if !strings.Contains(screen, "\r\x1b[K"+label+": ") && !strings.Contains(screen, "\n"+label+": ") {
			t.Errorf("%s's summary does not start a line:\n%q", label, screen)
		}
	}
	check("vigil simulate", screen, " of 14")

	_, screen, code = terminalRun(t, "ingest", "--data", t.TempDir(), dir)
	if code != 0 {
		t.Fatalf("ingest: exit %d\n%s", code, screen)
	}
	check("vigil ingest", screen, " files, ", " MB")

	withProgress, screen, code := terminalRun(t, "hunt", dir)
	if code != 0 {
		t.Fatalf("hunt: exit %d\n%s", code, screen)
	}
	check("vigil hunt", screen, " files, ", " MB")

	quiet, screen, code := terminalRun(t, "hunt", "--quiet", dir)
	if code != 0 || len(progressLines(screen, "vigil hunt")) > 0 || strings.Contains(screen, "\x1b[K") {
		t.Errorf("hunt --quiet on a terminal: exit %d, drew\n%q", code, screen)
	}
	if !strings.Contains(screen, "vigil hunt: ") {
		t.Errorf("hunt --quiet lost its summary: %q", screen)
	}
	plain, errOut, code := runCmd(t, "hunt", dir)
	if code != 0 || strings.Contains(errOut, "\r") || strings.Contains(errOut, "\x1b") || !strings.Contains(errOut, " (0 unparsed)") {
		t.Errorf("hunt with stderr not a terminal: exit %d, stderr %q (no progress; truth.jsonl and manifest.json skipped)", code, errOut)
	}
	if plain == "" || withProgress != plain || quiet != plain {
		t.Errorf("hunt's stdout differs: %d bytes with progress, %d with --quiet, %d without a terminal", len(withProgress), len(quiet), len(plain))
	}

	_, screen, code = terminalRun(t, "eval", dir, "--min-recall", "0", "--min-precision", "0", "--max-fp", "1000")
	if code != 0 {
		t.Fatalf("eval: exit %d\n%s", code, screen)
	}
	if lines := progressLines(screen, "vigil eval"); len(lines) == 0 || !strings.Contains(lines[len(lines)-1], " records/s") {
		t.Errorf("eval drew no progress line: %q", screen)
	}
}
