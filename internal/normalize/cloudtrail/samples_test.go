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
	byFile := normalizetest.ReadSampleExpectations(t)
	n := normalize.New(formats.All()...)
	checked := 0
	for file, exps := range byFile {
		if !strings.HasPrefix(file, "cloudtrail/") && !strings.Contains(file, "AWS_CloudTrail") {
			continue
		}
		evs, ok := normalizetest.StreamSample(t, n, file)
		if !ok {
			continue
		}
		for _, e := range exps {
			if strings.Contains(e.Note, "digest file") {
				// Recognised and skipped, never turned into an invented event.
				if len(evs) > e.Index && evs[e.Index].Vigil.Source == "cloudtrail" {
					t.Errorf("%s[%d]: a digest file became event %q", file, e.Index, evs[e.Index].Metadata.UID)
				}
				continue
			}
			if e.Index >= len(evs) {
				t.Errorf("%s[%d]: no event (%d events)", file, e.Index, len(evs))
				continue
			}
			ev := evs[e.Index]
			if ev.Vigil.Source != "cloudtrail" {
				t.Errorf("%s[%d]: parsed by %q (%s), want cloudtrail", file, e.Index, ev.Vigil.Source, ev.Vigil.ParseError)
				continue
			}
			checked++
			checkSample(t, file, e, ev)
		}
	}
	t.Logf("checked %d records", checked)
	if checked == 0 {
		t.Fatal("no sample record reached the cloudtrail parser")
	}
}

func checkSample(t *testing.T, file string, e normalizetest.SampleExpectation, ev *event.Event) {
	t.Helper()
	if e.UID != nil && !strings.EqualFold(ev.Metadata.UID, *e.UID) {
		t.Errorf("%s[%d]: metadata.uid %q, want %q", file, e.Index, ev.Metadata.UID, *e.UID)
	}
	normalizetest.CheckSampleTime(t, e, ev)
}
