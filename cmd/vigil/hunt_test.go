package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestHuntOrdersAcrossFilesAndCarriesContractFields(t *testing.T) {
	dir := t.TempDir()
	// The later event is in the file read first: alerts must still come out in event time.
	late := `{"eventVersion":"1.08","eventID":"late-1","eventTime":"2026-06-02T00:00:00Z","eventSource":"cloudtrail.amazonaws.com","eventName":"DeleteTrail","awsRegion":"us-east-1","recipientAccountId":"1","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::1:user/a","userName":"a","accountId":"1"}}`
	early := `{"eventVersion":"1.08","eventID":"early-1","eventTime":"2026-06-01T00:00:00Z","eventSource":"cloudtrail.amazonaws.com","eventName":"StopLogging","awsRegion":"us-east-1","recipientAccountId":"1","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::1:user/a","userName":"a","accountId":"1"}}`
	os.WriteFile(filepath.Join(dir, "a.json"), []byte(late), 0o644)
	os.WriteFile(filepath.Join(dir, "b.json"), []byte(early), 0o644)
	stdout, stderr, code := runCmd(t, "hunt", dir)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	if len(lines) != 2 {
		t.Fatalf("want 2 alerts, got %d:\n%s", len(lines), stdout)
	}
	var first map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &first); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"id", "time", "title", "rule", "severity", "score", "entity", "event_uids", "reason", "attack"} {
		if _, ok := first[k]; !ok {
			t.Errorf("alert lacks %q: %s", k, lines[0])
		}
	}
	if uids := first["event_uids"].([]any); uids[0] != "early-1" {
		t.Errorf("first alert is for %v, want the earlier event", uids)
	}
	rule := first["rule"].(map[string]any)
	if rule["kind"] != "sigma" || rule["id"] == "" {
		t.Errorf("rule %v", rule)
	}
}

func TestHuntExitCodes(t *testing.T) {
	if _, _, code := runCmd(t, "hunt"); code != 2 {
		t.Errorf("no paths: exit %d, want 2", code)
	}
	if _, _, code := runCmd(t, "hunt", "--format", "xml", exampleLogs); code != 2 {
		t.Errorf("bad format: exit %d, want 2", code)
	}
	if _, _, code := runCmd(t, "hunt", exampleLogs, filepath.Join(t.TempDir(), "missing")); code != 1 {
		t.Errorf("missing path: exit %d, want 1", code)
	}
	missing := filepath.Join(t.TempDir(), "GeoLite2-City.mmdb")
	if _, stderr, code := runCmd(t, "hunt", "--geoip-city", missing, exampleLogs); code != 2 || !strings.Contains(stderr, "--geoip-city") ||
		!strings.Contains(stderr, missing) {
		t.Errorf("missing geo database: exit %d, want 2 naming --geoip-city and the path\n%s", code, stderr)
	}
	stdout, _, code := runCmd(t, "hunt", exampleLogs, "--format", "table")
	if code != 0 || !strings.HasPrefix(stdout, "TIME") {
		t.Errorf("table (flags after paths): exit %d\n%s", code, stdout)
	}
}

func TestRulesLint(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "good.yml"), []byte("title: ok\nid: g1\nlogsource: {product: aws, service: cloudtrail}\ndetection:\n  s:\n    eventName: X\n  condition: s\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "bad.yml"), []byte("title: bad\nid: b1\ndetection:\n  s:\n    eventName|bogus: X\n  condition: s\n"), 0o644)
	stdout, _, code := runCmd(t, "rules", "lint", dir)
	if code != 1 || !strings.Contains(stdout, "bad.yml:5:") || !strings.HasSuffix(strings.TrimSpace(stdout), "1 loaded, 1 failed") {
		t.Errorf("exit %d:\n%s", code, stdout)
	}
	stdout, _, code = runCmd(t, "rules", "lint", filepath.Join("..", "..", "rules"))
	if code != 0 || !strings.Contains(stdout, " 0 failed") {
		t.Errorf("the built-in pack does not lint clean (exit %d):\n%s", code, stdout)
	}
}
