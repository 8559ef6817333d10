package alert

import (
	"testing"

	"github.com/vigil-sec/vigil/internal/event"
)

func TestStableIDIgnoresEvidenceOrder(t *testing.T) {
	e := event.UserEntity("a@example.com")
	a := StableID("rule-1", e, []string{"x", "y"})
	if a != StableID("rule-1", e, []string{"y", "x"}) {
		t.Error("the same evidence in another order gave another id")
	}
	if a == StableID("rule-2", e, []string{"x", "y"}) || a == StableID("rule-1", event.UserEntity("b@example.com"), []string{"x", "y"}) {
		t.Error("different rule or entity gave the same id")
	}
}

func TestParseSeverity(t *testing.T) {
	for in, want := range map[string]Severity{"critical": SeverityCritical, " High ": SeverityHigh, "moderate": SeverityMedium, "informational": SeverityInfo, "": SeverityLow} {
		if got := ParseSeverity(in); got != want {
			t.Errorf("ParseSeverity(%q) = %s, want %s", in, got, want)
		}
	}
	if SeverityHigh.Rank() <= SeverityMedium.Rank() || Severity("x").Rank() != -1 {
		t.Error("ranks out of order")
	}
}
