package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestNewUserErrorsSaidOnceInPlainWords: issue 16's item 3 traps, tried as a new user.
func TestNewUserErrorsSaidOnceInPlainWords(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "nope.json")
	out, errOut, code := runCmd(t, "hunt", missing)
	if code != 1 || out != "" || strings.Count(errOut, "\n") != 2 || strings.Count(errOut, missing) != 1 ||
		strings.Contains(errOut, "0 files") || strings.Contains(errOut, "suppressed") {
		t.Errorf("hunt of a missing file: exit %d, want its error once and no summary of zeros:\n%s", code, errOut)
	}
	empty := t.TempDir()
	if _, errOut, code := runCmd(t, "hunt", "--rules", empty, exampleLogs); code != 1 || strings.Contains(errOut, "hunt: hunt") ||
		!strings.Contains(errOut, "vigil hunt: rules "+empty+": no rule loaded") {
		t.Errorf("hunt --rules of an empty folder: exit %d\n%s", code, errOut)
	}
	rules := t.TempDir()
	rule := "title: t\nid: 11111111-1111-1111-1111-111111111111\nlevel: high\nlogsource:\n  product: aws\ndetection:\n  sel:\n    eventName: X\n  condition: sel\n"
	if err := os.WriteFile(filepath.Join(rules, "r.yml"), []byte(rule), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, errOut, code := runCmd(t, "hunt", "--no-builtin", "--rules", rules, exampleLogs); code != 0 || !strings.Contains(errOut, " 1 rule, 0 alerts ") {
		t.Errorf("hunt with one rule: exit %d, want \"1 rule\":\n%s", code, errOut)
	}
	sim := t.TempDir()
	for _, c := range []struct{ args, want []string }{
		{[]string{"--scenarios", "bogus"}, []string{`vigil simulate: --scenarios: unknown scenario "bogus"; the scenarios are password_spray, `}},
		{[]string{"--users", "0"}, []string{"vigil simulate: --users must be at least 10, got 0\n"}},
		{[]string{"--days", "0"}, []string{"vigil simulate: --days must be at least 3, got 0\n"}},
		{[]string{"--end", "yesterday"}, []string{`vigil simulate: --end "yesterday": want an RFC 3339 time such as `}},
	} {
		_, errOut, code := runCmd(t, append([]string{"simulate", "--out", sim}, c.args...)...)
		if code != 2 || strings.Count(errOut, "\n") != 1 || strings.Contains(errOut, "[") || strings.Contains(errOut, "sim:") {
			t.Errorf("simulate %v: exit %d, want one plain line:\n%s", c.args, code, errOut)
		}
		for _, w := range c.want {
			if !strings.Contains(errOut, w) {
				t.Errorf("simulate %v: %q lacks %q", c.args, errOut, w)
			}
		}
	}
	if entries, _ := os.ReadDir(sim); len(entries) != 0 {
		t.Errorf("a refused simulate wrote %d entries", len(entries))
	}
	if err := os.WriteFile(filepath.Join(sim, "manifest.json"), []byte("{}"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, errOut, code := runCmd(t, "eval", sim); code != 2 || !strings.Contains(errOut, "is not a simulated folder (it has no truth.jsonl)") {
		t.Errorf("eval of a folder without truth.jsonl: exit %d %s", code, errOut)
	}
}

// TestNewUserRulesLintOfAFileAndABadFlag: rules lint takes a rule file as well as a
// folder, naming its errors by file and line, and a bad flag prints one usage.
func TestNewUserRulesLintOfAFileAndABadFlag(t *testing.T) {
	f := filepath.Join(t.TempDir(), "r.yml")
	rule := "title: t\nid: 11111111-1111-1111-1111-111111111111\nlevel: hgih\nlogsource:\n  product: aws\ndetection:\n  sel:\n    eventName: X\n  condition: sel\n"
	if err := os.WriteFile(f, []byte(rule), 0o644); err != nil {
		t.Fatal(err)
	}
	out, errOut, code := runCmd(t, "rules", "lint", f)
	if code != 1 || !strings.Contains(out, f+`:3: unknown level "hgih"`) || !strings.Contains(out, "0 loaded, 1 failed") {
		t.Errorf("rules lint of a file: exit %d\n%s%s", code, out, errOut)
	}
	if err := os.WriteFile(f, []byte(strings.Replace(rule, "hgih", "high", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, errOut, code := runCmd(t, "rules", "lint", f); code != 0 || out != "1 loaded, 0 failed\n" {
		t.Errorf("rules lint of a good file: exit %d\n%s%s", code, out, errOut)
	}
	_, errOut, code = runCmd(t, "rules", "lint", "--bogus", f)
	if code != 2 || strings.Count(errOut, "usage:") != 1 || strings.Contains(errOut, "Usage of") || !strings.Contains(errOut, "-placeholder") {
		t.Errorf("rules lint --bogus: exit %d, want one usage:\n%s", code, errOut)
	}
}

// TestNewUserDocsLinkWhatExists: issue 16 item 1 as far as a test can say it — every
// relative link of the README names a file of the repository (none outside it), and the
// offline demo scores the detections with the real thresholds and calls nothing unbuilt.
func TestNewUserDocsLinkWhatExists(t *testing.T) {
	root := filepath.Join("..", "..")
	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	links := regexp.MustCompile(`\]\(([^)#\s]+)`).FindAllSubmatch(readme, -1)
	if len(links) == 0 {
		t.Fatal("README.md has no links")
	}
	for _, l := range links {
		target := string(l[1])
		if strings.Contains(target, "://") || strings.HasPrefix(target, "mailto:") {
			continue
		}
		if strings.HasPrefix(filepath.Clean(target), "..") {
			t.Errorf("README.md links %s, outside the repository", target)
			continue
		}
		if _, err := os.Stat(filepath.Join(root, target)); err != nil {
			t.Errorf("README.md links %s: %v", target, err)
		}
	}
	demo, err := os.ReadFile(filepath.Join(root, "scripts", "demo.sh"))
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"--min-recall", "--min-precision", "--max-fp", "not built yet"} {
		if strings.Contains(string(demo), bad) {
			t.Errorf("scripts/demo.sh still has %q", bad)
		}
	}
	if !strings.Contains(string(demo), "set -euo pipefail") {
		t.Error("scripts/demo.sh does not stop at a failing step (an eval below its thresholds would pass)")
	}
}

// TestParseOfAMissingFileSaysSoOnce: no summary of zeros, the error once.
func TestParseOfAMissingFileSaysSoOnce(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "nope.json")
	out, errOut, code := runCmd(t, "parse", missing)
	if code != 1 || out != "" || strings.Count(errOut, "\n") != 1 || strings.Count(errOut, missing) != 1 || strings.Contains(errOut, "0 files") {
		t.Errorf("parse of a missing file: exit %d, want its error once and no summary of zeros:\n%s", code, errOut)
	}
	// In plain words: the path and the reason, no package or system call names.
	if want := "vigil parse: " + missing + ": no such file or directory\n"; errOut != want {
		t.Errorf("parse of a missing file says %q, want %q", errOut, want)
	}
}

// TestEveryCommandPrintsOneUsage: asked for with --help, a command's usage goes to stdout
// once and it exits 0; given a flag it does not have, it names the flag and prints its usage
// once to stderr, exit 2 — never Go's default usage, never ours twice.
func TestEveryCommandPrintsOneUsage(t *testing.T) {
	cases := [][]string{{"rules", "lint"}, {"config", "check"}}
	for name := range commands() {
		if name != "rules" && name != "config" {
			cases = append(cases, []string{name})
		}
	}
	for _, c := range cases {
		t.Run(strings.Join(c, " "), func(t *testing.T) {
			out, errOut, code := runCmd(t, append(c, "--help")...)
			if code != 0 || strings.Count(out, "usage:") != 1 || errOut != "" || strings.Contains(out, "Usage of") {
				t.Errorf("%v --help: exit %d, want one usage on stdout\nstdout:\n%s\nstderr:\n%s", c, code, out, errOut)
			}
			out, errOut, code = runCmd(t, append(c, "--no-such-flag")...)
			if code != 2 || strings.Count(errOut, "usage:") != 1 || !strings.Contains(errOut, "no-such-flag") || strings.Contains(errOut, "Usage of") || out != "" {
				t.Errorf("%v --no-such-flag: exit %d, want the flag named and one usage on stderr\nstdout:\n%s\nstderr:\n%s", c, code, out, errOut)
			}
		})
	}
}

// TestParseOfABinaryFileIsOneError: a file that is neither text nor gzip (a program) is one
// error line naming it, no events and no summary of zeros; summaries say "1 file", not
// "1 files".
func TestParseOfABinaryFileIsOneError(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "program")
	body := append([]byte("\x7fELF\x02\x01\x01"), make([]byte, 8192)...)
	if err := os.WriteFile(bin, body, 0o755); err != nil {
		t.Fatal(err)
	}
	out, errOut, code := runCmd(t, "parse", bin)
	if code != 1 || out != "" || strings.Count(errOut, "\n") != 1 || !strings.Contains(errOut, bin+": not a log file") {
		t.Errorf("parse of a program: exit %d\nstdout %q\nstderr %q", code, out, errOut)
	}
	_, errOut, _ = runCmd(t, "parse", filepath.Join(exampleLogs, "cloudtrail-console-login-failure-no-arn.json"))
	if !strings.HasPrefix(errOut, "vigil parse: 1 file, ") {
		t.Errorf("summary of one file: %q", errOut)
	}
}
