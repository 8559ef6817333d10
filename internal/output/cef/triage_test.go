package cef

import (
	"encoding/json"
	"github.com/vigil-sec/vigil/internal/output/cef/ceftest"
	"strings"
	"testing"
	"time"

	"github.com/vigil-sec/vigil/internal/event"
	"github.com/vigil-sec/vigil/internal/store"
	"github.com/vigil-sec/vigil/internal/triage"
)

// TestTriageLine: an alert's triage summary rides in flexString2 on one line, also after
// the delivery queue decoded it back from JSON, and stays out of the cs5 explanation.
func TestTriageLine(t *testing.T) {
	s := triage.Summary{
		Entity: event.UserEntity("alice@contoso.example"), Events: 42,
		From: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), To: time.Date(2026, 3, 8, 0, 0, 0, 0, time.UTC),
		History: map[string][]store.ValueCount{"countries": {{Value: "US", Count: 40}}},
		New:     map[string][]string{"countries": {"BR"}},
	}
	for _, form := range []string{"struct", "decoded"} {
		a := hostile()
		a.Details = map[string]any{"baseline": "x", "triage": s}
		if form == "decoded" {
			b, _ := json.Marshal(a)
			a.Details = nil
			if err := json.Unmarshal(b, &a); err != nil {
				t.Fatal(err)
			}
		}
		p, err := ceftest.Parse(Line(a, "Vigil", "1"))
		if err != nil {
			t.Fatal(err)
		}
		if got := p.Ext["flexString2"]; got != s.Compact() || p.Ext["flexString2Label"] != "Triage" || !strings.Contains(got, "new: countries=BR") {
			t.Errorf("%s: flexString2 %q, want %q", form, got, s.Compact())
		}
		if got := p.Ext["cs5"]; got != `{"baseline":"x"}` {
			t.Errorf("%s: cs5 %q, want the explanation without the triage summary", form, got)
		}
	}
}
