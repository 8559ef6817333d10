package activitylog_test

import (
	"strings"
	"testing"

	"github.com/vigil-sec/vigil/internal/event"
	"github.com/vigil-sec/vigil/internal/normalize"
	"github.com/vigil-sec/vigil/internal/normalize/formats"

	"github.com/vigil-sec/vigil/internal/normalize/normalizetest"
)

// TestSamples streams the Activity Log and Event Hubs samples through the full framework and
// checks every record this parser claims: the provider's eventDataId as metadata.uid (or
// none, where the record has none) and the provider's time.
func TestSamples(t *testing.T) {
	match := func(file string) bool {
		return strings.HasPrefix(file, "activitylog/") || strings.HasPrefix(file, "diag-eventhub/")
	}
	normalizetest.ForEachSample(t, normalize.New(formats.All()...), "activitylog", match, func(file string, e normalizetest.SampleExpectation, evs []*event.Event) bool {
		ev, ok := normalizetest.EventAt(t, file, e, evs)
		if !ok {
			return false
		}
		if ev.Vigil.Source != "activitylog" {
			if strings.HasPrefix(file, "activitylog/") {
				t.Errorf("%s[%d]: parsed by %q (%s), want activitylog", file, e.Index, ev.Vigil.Source, ev.Vigil.ParseError)
			}
			return false // an Entra record, the entra parser's to check
		}
		checkSample(t, file, e, ev)
		return true
	})
}

func checkSample(t *testing.T, file string, e normalizetest.SampleExpectation, ev *event.Event) {
	t.Helper()
	switch {
	case e.UID != nil && !strings.EqualFold(ev.Metadata.UID, *e.UID):
		t.Errorf("%s[%d]: metadata.uid %q, want %q", file, e.Index, ev.Metadata.UID, *e.UID)
	case e.UID == nil && ev.Metadata.UID != "" && !strings.HasPrefix(ev.Metadata.UID, "sha256:"):
		// The record has no provider id: the framework's content hash is expected, never
		// another id such as the correlationId.
		t.Errorf("%s[%d]: metadata.uid %q, want none (content hash)", file, e.Index, ev.Metadata.UID)
	}
	normalizetest.CheckSampleTime(t, e, ev)
}
