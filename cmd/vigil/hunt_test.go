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

// TestHuntGroupsIncidents: alerts on one identity within the window become one incident
// with both in its chain (written by --incidents, shown by --format table); an alert on
// another identity with nothing linking it stays out of it; stdout stays alert lines.
func TestHuntGroupsIncidents(t *testing.T) {
	dir := t.TempDir()
	ct := func(id, at, name, user string) string {
		service := map[string]string{"StopLogging": "cloudtrail", "CreateUser": "iam"}[name]
		return `{"eventVersion":"1.08","eventID":"` + id + `","eventTime":"` + at + `","eventSource":"` + service + `.amazonaws.com","eventName":"` + name +
			`","awsRegion":"us-east-1","recipientAccountId":"1","sourceIPAddress":"198.51.100.7","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::1:user/` + user + `","userName":"` + user + `","accountId":"1"}}`
	}
	records := strings.Join([]string{
		ct("stop-1", "2026-06-01T10:00:00Z", "StopLogging", "mallory"),
		ct("create-1", "2026-06-01T10:05:00Z", "CreateUser", "mallory"),
		ct("stop-2", "2026-06-01T12:00:00Z", "StopLogging", "erin"),
	}, "\n")
	os.WriteFile(filepath.Join(dir, "trail.json"), []byte(records), 0o644)
	incFile := filepath.Join(t.TempDir(), "incidents.jsonl")
	stdout, stderr, code := runCmd(t, "hunt", "--incidents", incFile, dir)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	alertOf := map[string]string{} // alert id → the user it is about
	for _, l := range strings.Split(strings.TrimSpace(stdout), "\n") {
		var a struct {
			ID     string `json:"id"`
			Entity struct{ Name string }
		}
		if err := json.Unmarshal([]byte(l), &a); err != nil {
			t.Fatalf("stdout is not alert lines: %v\n%s", err, stdout)
		}
		alertOf[a.ID] = a.Entity.Name
	}
	b, err := os.ReadFile(incFile)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) != 1 {
		t.Fatalf("want one incident, got %d:\n%s", len(lines), b)
	}
	var in struct {
		AlertIDs []string `json:"alert_ids"`
		Chain    []struct {
			AlertID string `json:"alert_id"`
		}
		Story string
		Score int
	}
	if err := json.Unmarshal([]byte(lines[0]), &in); err != nil {
		t.Fatal(err)
	}
	if len(in.Chain) != 2 || len(in.AlertIDs) != 2 || in.Story == "" {
		t.Fatalf("incident %s", lines[0])
	}
	for _, id := range in.AlertIDs {
		if !strings.HasSuffix(alertOf[id], "user/mallory") {
			t.Errorf("incident holds alert %s on %q, want only mallory's", id, alertOf[id])
		}
	}
	if !strings.Contains(stderr, ", 1 incident\n") {
		t.Errorf("summary does not count the incident: %s", stderr)
	}
	table, _, code := runCmd(t, "hunt", "--format", "table", dir)
	if code != 0 || !strings.Contains(table, "INCIDENT") || !strings.Contains(table, in.Story) {
		t.Errorf("table lacks the incident and its story:\n%s", table)
	}
}
