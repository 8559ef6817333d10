package rules

import (
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vigil-sec/vigil/internal/detect"
	"github.com/vigil-sec/vigil/internal/detect/detecttest"
	"github.com/vigil-sec/vigil/internal/detect/sigma"
)

func loadPack(t *testing.T) *sigma.RuleSet {
	t.Helper()
	rs, errs := sigma.Load(FS(), ".", sigma.Options{})
	for _, e := range errs {
		t.Errorf("built-in rule does not load: %v", e)
	}
	return rs
}

// TestPackScripts runs every rule's true- and false-positive cases.
func TestPackScripts(t *testing.T) {
	scripts, _ := filepath.Glob(filepath.Join("testdata", "*.test"))
	if len(scripts) == 0 {
		t.Fatal("no rule tests")
	}
	rs := loadPack(t)
	for _, s := range scripts {
		t.Run(strings.TrimSuffix(filepath.Base(s), ".test"), func(t *testing.T) {
			detecttest.RunFile(t, s, func(t *testing.T) detect.Detector { return rs.Detector() })
		})
	}
}

// TestEveryRuleIsTestedAndNamesATechnique keeps the pack honest: at least 40 rules, each
// with an ATT&CK technique and a test file holding a true and a false positive.
func TestEveryRuleIsTestedAndNamesATechnique(t *testing.T) {
	rs := loadPack(t)
	if rs.Len() < 40 {
		t.Errorf("%d rules in the pack, want at least 40", rs.Len())
	}
	for _, r := range rs.Rules() {
		if len(r.Attack) == 0 {
			t.Errorf("%s (%s) names no ATT&CK technique", r.Title, r.File)
		}
		stem := strings.TrimSuffix(path.Base(r.File), path.Ext(r.File))
		data, err := os.ReadFile(filepath.Join("testdata", stem+".test"))
		if err != nil {
			t.Errorf("%s has no test: %v", r.File, err)
			continue
		}
		// A file's true and false positives may be written for any of its rules (the base
		// rules of a correlation only feed it and raise nothing themselves).
		s := string(data)
		if !strings.Contains(s, "expect alert rule=") || !strings.Contains(s, "expect no alert rule=") {
			t.Errorf("%s: the test needs a true positive and a false positive", r.File)
		}
	}
}
