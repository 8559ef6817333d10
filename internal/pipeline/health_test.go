package pipeline

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/vigil-sec/vigil/internal/alert"
	"github.com/vigil-sec/vigil/internal/event"
	"github.com/vigil-sec/vigil/internal/source"
)

// TestSilentSourceRaisesOneAlert: a source that delivered every few minutes and then
// nothing for far longer than that raises one high alert naming it, and only once.
func TestSilentSourceRaisesOneAlert(t *testing.T) {
	h := newHealth(nil, nil)
	sh := &sourceHealth{h: h, st: SourceStatus{Name: "entra", State: "running"}, rateStart: time.Now()}
	h.sources["entra"], h.order = sh, []string{"entra"}
	t0 := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
	ev := &event.Event{}
	ev.SetTime(t0)
	for i := range 20 {
		sh.recordBatch(source.Batch{Records: [][]byte{[]byte("{}")}}, []*event.Event{ev}, 1, t0.Add(time.Duration(i)*5*time.Minute), 0)
	}
	last := t0.Add(95 * time.Minute)
	var raised []alert.Alert
	raise := func(a alert.Alert) { raised = append(raised, a) }
	h.checkSilence(last.Add(50*time.Minute), raise) // ten gaps of 5 min, but under the hour floor
	if len(raised) != 0 {
		t.Fatalf("raised %v before the source was silent for an hour", raised)
	}
	h.checkSilence(last.Add(61*time.Minute), raise)
	h.checkSilence(last.Add(3*time.Hour), raise)
	if len(raised) != 1 {
		t.Fatalf("raised %d alerts, want one", len(raised))
	}
	a := raised[0]
	if a.Severity != alert.SeverityHigh || a.Rule.ID != "vigil-source-silent" || !strings.Contains(a.Reason, "entra") || !h.Sources(last)[0].Silent {
		t.Errorf("alert %+v", a)
	}
	// Records again: the source is no longer silent and may be alerted on again later.
	sh.recordBatch(source.Batch{Records: [][]byte{[]byte("{}")}}, []*event.Event{ev}, 1, last.Add(4*time.Hour), 0)
	if h.Sources(last)[0].Silent {
		t.Error("still silent after records came")
	}
}

// setupSource is a source with a setup check: its findings are what SetupAlerts says now.
type setupSource struct{ findings []alert.Alert }

func (s *setupSource) Name() string                                   { return "trail" }
func (s *setupSource) Run(context.Context, []byte, source.Emit) error { return nil }
func (s *setupSource) SetupAlerts() []alert.Alert                     { return s.findings }

// TestSetupFindingsShownAndRaisedOnce: a source's setup findings are in its health while
// they last, each raised once however often health looks; a new finding is raised too, and
// a mended setup shows none.
func TestSetupFindingsShownAndRaisedOnce(t *testing.T) {
	src := &setupSource{}
	h := newHealth([]source.Source{src}, nil)
	notLogging := alert.Alert{ID: "f1", Rule: alert.Rule{ID: "vigil-trail", Title: "CloudTrail trail not logging"}, Reason: "start it"}
	single := alert.Alert{ID: "f2", Rule: alert.Rule{ID: "vigil-trail", Title: "Trail covers one region"}, Reason: "make it multi-region"}
	var raised []string
	raise := func(a alert.Alert) { raised = append(raised, a.ID) }
	now := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
	h.checkSilence(now, raise)
	if len(raised) != 0 || len(h.Sources(now)[0].Findings) != 0 {
		t.Fatalf("a healthy setup raised %v / showed %v", raised, h.Sources(now)[0].Findings)
	}
	src.findings = []alert.Alert{notLogging}
	for range 3 {
		h.checkSilence(now, raise)
	}
	src.findings = []alert.Alert{notLogging, single}
	h.checkSilence(now, raise)
	if strings.Join(raised, ",") != "f1,f2" {
		t.Fatalf("raised %v, want f1 then f2 once each", raised)
	}
	if got := h.Sources(now)[0].Findings; len(got) != 2 || got[0] != "CloudTrail trail not logging: start it" {
		t.Fatalf("findings %q", got)
	}
	src.findings = nil
	if got := h.Sources(now)[0].Findings; len(got) != 0 {
		t.Fatalf("a mended setup still shows %q", got)
	}
}
