package hunt

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vigil-sec/vigil/internal/alert"
	"github.com/vigil-sec/vigil/internal/sim"
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
	stop := errors.New("pipe closed")
	calls := 0
	_, err := Run(context.Background(), []string{logs}, Options{RuleDirs: []string{ruleDir}, NoBuiltin: true, NoBehavior: true},
		func(alert.Alert) error { calls++; return stop })
	if err != stop || calls != 1 {
		t.Fatalf("err=%v calls=%d, want the emit error after one call", err, calls)
	}
}

// TestBaselineKeptBetweenHunts: a hunt with --baseline saves what the behavioural
// detector learned; hunting the same logs again learns nothing twice (no behavioural alert
// is raised again) while the rules still run; a broken baseline file is an error naming it.
func TestBaselineKeptBetweenHunts(t *testing.T) {
	dir := t.TempDir()
	s, err := sim.New(sim.Config{Seed: 3, Users: 60, Days: 9})
	if err != nil {
		t.Fatal(err)
	}
	w := sim.NewWriter(dir, 3)
	if _, err := s.Run(context.Background(), w.Write); err != nil {
		t.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	base := filepath.Join(t.TempDir(), "baseline.vigil")
	hunt := func() (behavioural, rules int, err error) {
		_, err = Run(context.Background(), []string{dir}, Options{Baseline: base}, func(a alert.Alert) error {
			if strings.HasPrefix(a.Rule.ID, "vigil-") { // the behavioural detector's
				behavioural++
			} else {
				rules++
			}
			return nil
		})
		return
	}
	b1, r1, err := hunt()
	if err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(base)
	if err != nil || st.Size() == 0 || b1 == 0 {
		t.Fatalf("baseline %v %v after %d behavioural alerts", st, err, b1)
	}
	b2, r2, err := hunt()
	if err != nil {
		t.Fatal(err)
	}
	if b2 != 0 || r2 != r1 {
		t.Errorf("second hunt: %d behavioural alerts (want 0), %d rule alerts (want %d)", b2, r2, r1)
	}
	if err := os.WriteFile(base, []byte("garbage"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, err := hunt(); err == nil || !strings.Contains(err.Error(), base) {
		t.Errorf("broken baseline: %v", err)
	}
}
