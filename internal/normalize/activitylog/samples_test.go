package activitylog_test

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

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
}

// TestSamples streams the Activity Log and Event Hubs samples through the full framework and
// checks every record this parser claims: the provider's eventDataId as metadata.uid (or
// none, where the record has none) and the provider's time.
func TestSamples(t *testing.T) {
	byFile := readExpectations(t)
	n := normalize.New(formats.All()...)
	checked := 0
	for file, exps := range byFile {
		if !strings.HasPrefix(file, "activitylog/") && !strings.HasPrefix(file, "diag-eventhub/") {
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
			if e.Index >= len(evs) {
				t.Errorf("%s[%d]: no event (%d events)", file, e.Index, len(evs))
				continue
			}
			ev := evs[e.Index]
			if ev.Vigil.Source != "activitylog" {
				if strings.HasPrefix(file, "activitylog/") {
					t.Errorf("%s[%d]: parsed by %q (%s), want activitylog", file, e.Index, ev.Vigil.Source, ev.Vigil.ParseError)
				}
				continue // an Entra record, the entra parser's to check
			}
			checked++
			checkSample(t, file, e, ev)
		}
	}
	t.Logf("checked %d records", checked)
	if checked == 0 {
		t.Fatal("no sample record reached the activitylog parser")
	}
}

func checkSample(t *testing.T, file string, e sampleExpectation, ev *event.Event) {
	t.Helper()
	switch {
	case e.UID != nil && !strings.EqualFold(ev.Metadata.UID, *e.UID):
		t.Errorf("%s[%d]: metadata.uid %q, want %q", file, e.Index, ev.Metadata.UID, *e.UID)
	case e.UID == nil && ev.Metadata.UID != "" && !strings.HasPrefix(ev.Metadata.UID, "sha256:"):
		// The record has no provider id: the framework's content hash is expected, never
		// another id such as the correlationId.
		t.Errorf("%s[%d]: metadata.uid %q, want none (content hash)", file, e.Index, ev.Metadata.UID)
	}
	if e.Time == nil {
		return
	}
	wantTime, err := normalize.ParseTime(*e.Time)
	if err != nil {
		return
	}
	if d := ev.Time - wantTime.UnixMilli(); d > 1 || d < -1 {
		t.Errorf("%s[%d]: time %s, want %s", file, e.Index, ev.TimeDt, *e.Time)
	}
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
	return byFile
}
