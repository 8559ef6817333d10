package hunt

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vigil-sec/vigil/internal/alert"
)

// ctRecord is one CloudTrail record by one IAM user at minute min past 10:00.
func ctRecord(id, eventName string, min int) string {
	return fmt.Sprintf(`{"eventVersion":"1.08","userIdentity":{"type":"IAMUser","principalId":"AIDAEXAMPLE","arn":"arn:aws:iam::111122223333:user/ops","accountId":"111122223333","userName":"ops"},`+
		`"eventTime":"2026-03-04T10:%02d:00Z","eventSource":"iam.amazonaws.com","eventName":%q,"awsRegion":"us-east-1","sourceIPAddress":"198.51.100.7",`+
		`"userAgent":"aws-cli/2.15.0","requestParameters":{"userName":"backdoor"},"responseElements":null,"requestID":"req-%s","eventID":"%s",`+
		`"readOnly":false,"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"111122223333","eventCategory":"Management"}`, min, eventName, id, id)
}

const huntRules = `title: IAM User Created
id: 8c0d5c6e-1f0a-4b7e-9a11-000000000001
name: test_create_user
logsource:
  product: aws
  service: cloudtrail
detection:
  selection:
    eventName: CreateUser
  condition: selection
level: low
---
title: Access Key Created
id: 8c0d5c6e-1f0a-4b7e-9a11-000000000002
name: test_create_key
logsource:
  product: aws
  service: cloudtrail
detection:
  selection:
    eventName: CreateAccessKey
  condition: selection
level: low
---
title: User Then Key
id: 8c0d5c6e-1f0a-4b7e-9a11-000000000003
correlation:
  type: temporal_ordered
  rules:
    - test_create_user
    - test_create_key
  group-by:
    - userIdentity.arn
  timespan: 1h
level: high
---
title: New IAM User
id: 8c0d5c6e-1f0a-4b7e-9a11-000000000004
logsource:
  product: aws
  service: cloudtrail
detection:
  selection:
    eventName: CreateUser
  condition: selection
level: medium
`

func writeFile(t *testing.T, dir, name, body string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestRunOrdersAcrossFiles puts the later event in the file read first: the ordered
// correlation only fires if hunt orders events by event time across files, not by file.
// The same CreateUser record delivered twice (a re-export) must raise one alert, not two,
// a broken rule is reported without stopping the rest, and a line that is not JSON is
// counted as unparsed.
func TestRunOrdersAcrossFiles(t *testing.T) {
	logs, ruleDir := t.TempDir(), t.TempDir()
	writeFile(t, ruleDir, "pack.yml", huntRules)
	writeFile(t, ruleDir, "broken.yml", "title: Broken\nid: 8c0d5c6e-1f0a-4b7e-9a11-000000000009\nlogsource: {product: aws}\ndetection:\n  sel: {eventName: X}\n  condition: nosuch\n")
	writeFile(t, logs, "a.json", `{"Records":[`+ctRecord("ev-key", "CreateAccessKey", 5)+`]}`)
	writeFile(t, logs, "b.json", `{"Records":[`+ctRecord("ev-user", "CreateUser", 0)+`]}`)
	writeFile(t, logs, "c.jsonl", ctRecord("ev-user", "CreateUser", 0)+"\nthis is not json\n")

	var got []alert.Alert
	sum, err := Run(context.Background(), []string{logs}, Options{RuleDirs: []string{ruleDir}, NoBuiltin: true, NoBehavior: true},
		func(a alert.Alert) error { got = append(got, a); return nil })
	if err != nil {
		t.Fatal(err)
	}
	if sum.Files != 3 || sum.Events != 4 || sum.Unparsed != 1 {
		t.Errorf("summary files=%d events=%d unparsed=%d, want 3, 4, 1", sum.Files, sum.Events, sum.Unparsed)
	}
	if len(sum.LoadErrors) != 1 || !strings.Contains(sum.LoadErrors[0].Error(), "broken.yml") {
		t.Errorf("load errors %v, want one naming broken.yml", sum.LoadErrors)
	}
	titles := map[string]int{}
	for _, a := range got {
		titles[a.Title]++
	}
	// Base rules of a correlation do not alert on their own (generate: false by default).
	want := map[string]int{"IAM User Created": 0, "Access Key Created": 0, "User Then Key": 1, "New IAM User": 1}
	for title, n := range want {
		if titles[title] != n {
			t.Errorf("%q alerts = %d, want %d (all: %v)", title, titles[title], n, titles)
		}
	}
	if sum.Alerts != len(got) {
		t.Errorf("summary alerts %d, emitted %d", sum.Alerts, len(got))
	}
}

// TestRunEmitErrorStops checks that an emit failure (a closed pipe) ends the hunt with
// that error instead of being swallowed.
func TestRunEmitErrorStops(t *testing.T) {
	logs, ruleDir := t.TempDir(), t.TempDir()
	writeFile(t, ruleDir, "pack.yml", huntRules)
	writeFile(t, logs, "b.json", `{"Records":[`+ctRecord("ev-user", "CreateUser", 0)+`,`+ctRecord("ev-key", "CreateAccessKey", 5)+`]}`)
	stop := fmt.Errorf("pipe closed")
	calls := 0
	_, err := Run(context.Background(), []string{logs}, Options{RuleDirs: []string{ruleDir}, NoBuiltin: true, NoBehavior: true},
		func(alert.Alert) error { calls++; return stop })
	if err != stop || calls != 1 {
		t.Fatalf("err=%v calls=%d, want the emit error after one call", err, calls)
	}
}
