package cloudtrail_test

import (
	"strings"
	"testing"

	"github.com/vigil-sec/vigil/internal/event"
	"github.com/vigil-sec/vigil/internal/normalize"
	"github.com/vigil-sec/vigil/internal/normalize/formats"

	"github.com/vigil-sec/vigil/internal/normalize/normalizetest"
)

// TestSamples streams the CloudTrail files (S3 objects, gzip, JSON lines, LookupEvents,
// rule-test bundles) and the Sentinel AWSCloudTrail CSV export through the full framework:
// every expected record must reach this parser with the provider's eventID as metadata.uid
// and the provider's eventTime as time.
func TestSamples(t *testing.T) {
	match := func(file string) bool {
		return strings.HasPrefix(file, "cloudtrail/") || strings.Contains(file, "AWS_CloudTrail")
	}
	normalizetest.ForEachSample(t, normalize.New(formats.All()...), "cloudtrail", match, func(file string, e normalizetest.SampleExpectation, evs []*event.Event) bool {
		if strings.Contains(e.Note, "digest file") {
			// Recognised and skipped, never turned into an invented event.
			if len(evs) > e.Index && evs[e.Index].Vigil.Source == "cloudtrail" {
				t.Errorf("%s[%d]: a digest file became event %q", file, e.Index, evs[e.Index].Metadata.UID)
			}
			return false
		}
		ev, ok := normalizetest.EventAt(t, file, e, evs)
		if !ok {
			return false
		}
		if ev.Vigil.Source != "cloudtrail" {
			t.Errorf("%s[%d]: parsed by %q (%s), want cloudtrail", file, e.Index, ev.Vigil.Source, ev.Vigil.ParseError)
			return false
		}
		checkSample(t, file, e, ev)
		return true
	})
}

func checkSample(t *testing.T, file string, e normalizetest.SampleExpectation, ev *event.Event) {
	t.Helper()
	if e.UID != nil && !strings.EqualFold(ev.Metadata.UID, *e.UID) {
		t.Errorf("%s[%d]: metadata.uid %q, want %q", file, e.Index, ev.Metadata.UID, *e.UID)
	}
	normalizetest.CheckSampleTime(t, e, ev)
}
