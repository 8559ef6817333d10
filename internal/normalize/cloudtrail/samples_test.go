package cloudtrail_test

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vigil-sec/vigil/internal/event"
	"github.com/vigil-sec/vigil/internal/normalize"
	"github.com/vigil-sec/vigil/internal/normalize/formats"
)

// samplesDir is the third-party corpus beside the repository; its licences forbid copying
// it in, so the test reads it in place and skips when it is absent.
var samplesDir = filepath.Join("..", "..", "..", "..", "shared", "samples")

type sampleExpectation struct {
	File  string  `json:"file"`
	Index int     `json:"index"`
	UID   *string `json:"uid"`
	Time  *string `json:"time"`
	Note  string  `json:"note"`
}

// TestSamples streams the CloudTrail files (S3 objects, gzip, JSON lines, LookupEvents,
// rule-test bundles) and the Sentinel AWSCloudTrail CSV export through the full framework:
// every expected record must reach this parser with the provider's eventID as metadata.uid
// and the provider's eventTime as time.
func TestSamples(t *testing.T) {
	byFile := readExpectations(t)
	n := normalize.New(formats.All()...)
	checked := 0
	for file, exps := range byFile {
		if !strings.HasPrefix(file, "cloudtrail/") && !strings.Contains(file, "AWS_CloudTrail") {
			continue
		}
		var evs []*event.Event
		_, err := n.StreamFile(context.Background(), filepath.Join(samplesDir, file), nil, func(ev *event.Event) error {
			evs = append(evs, ev)
			return nil
		})
		if err != nil {
			t.Errorf("%s: %v", file, err)
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

func checkSample(t *testing.T, file string, e sampleExpectation, ev *event.Event) {
	t.Helper()
	if e.UID != nil && !strings.EqualFold(ev.Metadata.UID, *e.UID) {
		t.Errorf("%s[%d]: metadata.uid %q, want %q", file, e.Index, ev.Metadata.UID, *e.UID)
	}
	if e.Time == nil {
		return
	}
	want, err := expectedTime(*e.Time)
	if err != nil {
		return // the source redacted its time ("...", "redacted"): nothing to compare
	}
	if d := ev.Time - want.UnixMilli(); d > 1 || d < -1 {
		t.Errorf("%s[%d]: time %s, want %s", file, e.Index, ev.TimeDt, *e.Time)
	}
}

// expectedTime reads expect.jsonl's time as the source wrote it: ISO 8601 for native
// records, day-first "dd/mm/yyyy, hh:mm:ss" for the Sentinel CSV export.
func expectedTime(s string) (time.Time, error) {
	if strings.Contains(s, "/") {
		return normalize.ParseDayFirstTime(s)
	}
	return normalize.ParseTime(s)
}

func readExpectations(t *testing.T) map[string][]sampleExpectation {
	t.Helper()
	f, err := os.Open(filepath.Join(samplesDir, "expect.jsonl"))
	if err != nil {
		t.Skipf("third-party samples not present: %v", err)
	}
	defer f.Close()
	byFile := map[string][]sampleExpectation{}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var e sampleExpectation
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatalf("expect.jsonl: %v", err)
		}
		byFile[e.File] = append(byFile[e.File], e)
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("expect.jsonl: %v", err)
	}
	return byFile
}
