package sigma

import (
	"context"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/vigil-sec/vigil/internal/alert"
	"github.com/vigil-sec/vigil/internal/event"
	"github.com/vigil-sec/vigil/internal/normalize"
	"github.com/vigil-sec/vigil/internal/normalize/formats"
)

// sigmaHQ is SigmaHQ's AWS and Azure rules beside the repository (never copied in).
var sigmaHQ = filepath.Join("..", "..", "..", "..", "shared", "sigmahq")

func loadSigmaHQ(t *testing.T) *RuleSet {
	t.Helper()
	dir := filepath.Join(sigmaHQ, "rules")
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("SigmaHQ rules not present: %v", err)
	}
	rs, errs := Load(os.DirFS(dir), ".", Options{})
	for _, e := range errs {
		t.Errorf("%v", e)
	}
	return rs
}

func TestSigmaHQRulesLoad(t *testing.T) {
	rs := loadSigmaHQ(t)
	if rs.Len() != 181 {
		t.Errorf("%d rules loaded, want 181", rs.Len())
	}
	_, errs := Load(os.DirFS(filepath.Join(sigmaHQ, "rules-placeholder")), ".", Options{})
	if len(errs) != 8 {
		t.Errorf("%d placeholder rules rejected, want 8", len(errs))
	}
	_, errs = Load(os.DirFS(filepath.Join(sigmaHQ, "rules-placeholder")), ".", Options{Placeholders: map[string][]string{
		"UnLegitCountries": {"KP"}, "UnApprovedIp": {"203.0.113.9"}, "UnApprovedDevice": {"x"}, "KNOWN_LOCATION": {"GB"},
		"HomeTenantID": {"t"}, "AllowedAppIds": {"a"}, "AllowedIPs": {"1.1.1.1"}, "AllowedGroups": {"g"},
	}})
	for _, e := range errs {
		t.Logf("with placeholders: %v", e)
	}
}

func hunt(t *testing.T, rs *RuleSet, paths ...string) map[string]int {
	t.Helper()
	d := rs.Detector()
	n := normalize.New(formats.All()...)
	hits := map[string]int{}
	files, _ := normalize.Files(paths)
	for _, f := range files {
		_, err := n.StreamFile(context.Background(), f, nil, func(ev *event.Event) error {
			return d.Observe(context.Background(), ev, func(a alert.Alert) { hits[a.Title]++ })
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return hits
}

func TestSigmaHQRulesFireOnExamples(t *testing.T) {
	rs := loadSigmaHQ(t)
	hits := hunt(t, rs, filepath.Join("..", "..", "..", "examples", "logs"))
	// Each example log was written to show one activity; these are the SigmaHQ rules that
	// activity should raise, and how often. A rule missing here is a field-resolution or
	// matching regression; a rule added is a new false positive or a new example to list.
	want := map[string]int{
		"AWS CloudTrail Important Change":                          1,
		"AWS ConsoleLogin Failed Authentication":                   1,
		"AWS IAM Backdoor Users Keys":                              1,
		"AWS Root Credentials":                                     1,
		"AWS STS AssumeRole Misuse":                                2,
		"AWS Successful Console Login Without MFA":                 2,
		"Account Lockout":                                          1,
		"Anonymous IP Address":                                     1,
		"Azure Network Security Configuration Modified or Deleted": 1,
		"Granting Of Permissions To An Account":                    1,
		"Multifactor Authentication Interrupted":                   1,
		"Number Of Resource Creation Or Deployment Activities":     1,
		"Sign-ins from Non-Compliant Devices":                      1,
		"Unfamiliar Sign-In Properties":                            1,
		"User Access Blocked by Azure Conditional Access":          1,
	}
	var titles []string
	for k := range hits {
		titles = append(titles, k)
	}
	for k := range want {
		if _, ok := hits[k]; !ok {
			titles = append(titles, k)
		}
	}
	sort.Strings(titles)
	for _, k := range titles {
		if hits[k] != want[k] {
			t.Errorf("%q fired %d times, want %d", k, hits[k], want[k])
		}
	}
}
