package main

import (
	"os"
	"strings"
	"testing"
)

// TestRefusesWhatIsWrong: the traps a first hour hits are refused with what to do.
func TestRefusesWhatIsWrong(t *testing.T) {
	dir := t.TempDir()
	if _, errOut, code := runCmd(t, "simulate", "--out", dir, "--users", "10", "--days", "3"); code != 0 || !strings.Contains(errOut, "warning: with --days 3") {
		t.Fatalf("first simulate: exit %d %s", code, errOut)
	}
	if _, errOut, code := runCmd(t, "simulate", "--out", dir, "--users", "10", "--days", "3", "--seed", "2"); code != 2 || !strings.Contains(errOut, "already holds a simulation") || !strings.Contains(errOut, "--force") {
		t.Errorf("a second simulation into the same folder: exit %d %s", code, errOut)
	}
	if _, errOut, code := runCmd(t, "simulate", "--out", dir, "--users", "10", "--days", "3", "--seed", "2", "--force"); code != 0 {
		t.Errorf("--force: exit %d %s", code, errOut)
	}
	if _, errOut, code := runCmd(t, "simulate", "--out", t.TempDir(), "--bogus"); code != 2 || strings.Count(errOut, "usage:") != 1 || strings.Contains(errOut, "Usage of") {
		t.Errorf("a bad flag prints one usage: exit %d\n%s", code, errOut)
	}
	if _, errOut, code := runCmd(t, "rules", "foo"); code != 2 || !strings.Contains(errOut, `unknown subcommand "foo"`) {
		t.Errorf("vigil rules foo: exit %d %s", code, errOut)
	}
	if _, errOut, code := runCmd(t, "hunt", "--format", "csv", exampleLogs); code != 2 || !strings.Contains(errOut, `--format "csv": want json or table`) {
		t.Errorf("hunt --format csv: exit %d %s", code, errOut)
	}
}

func TestIngestSkipsTheSimulatorsOwnFilesAndCreatesNoStoreForNothing(t *testing.T) {
	sim := t.TempDir()
	if _, errOut, code := runCmd(t, "simulate", "--out", sim, "--users", "10", "--days", "3"); code != 0 {
		t.Fatal(errOut)
	}
	_, errOut, code := runCmd(t, "ingest", "--data", t.TempDir(), sim)
	if code != 0 || !strings.Contains(errOut, " 0 unparsed") {
		t.Errorf("ingest of a simulated folder: exit %d %s (truth.jsonl and manifest.json are not logs)", code, errOut)
	}
	data := t.TempDir() + "/data"
	if _, _, code := runCmd(t, "ingest", "--data", data, t.TempDir()+"/missing"); code != 1 {
		t.Errorf("ingest of a missing path: exit %d", code)
	}
	if _, err := os.Stat(data); err == nil {
		t.Error("ingest of a missing path created a store")
	}
}

func TestEvalOfAFolderThatIsNotASimulation(t *testing.T) {
	dir := t.TempDir()
	_, errOut, code := runCmd(t, "eval", dir)
	if code != 2 || !strings.Contains(errOut, "is not a simulated folder") || strings.Contains(errOut, "eval: eval") {
		t.Errorf("exit %d: %s", code, errOut)
	}
	if _, errOut, code := runCmd(t, "rules", "lint", dir); code != 1 || !strings.Contains(errOut, "no Sigma rule") {
		t.Errorf("rules lint of an empty folder: exit %d %s", code, errOut)
	}
}
