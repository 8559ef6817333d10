package normalizetest

import (
	"bufio"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/goccy/go-json"

	"github.com/vigil-sec/vigil/internal/event"
	"github.com/vigil-sec/vigil/internal/normalize"
	"github.com/vigil-sec/vigil/internal/rawjson"
)

// SamplesDir is the third-party corpus beside the repository, seen from a parser package
// (internal/normalize/<parser>). Its licences forbid copying it in, so tests read it in
// place and skip when it is absent.
func SamplesDir() string { return filepath.Join("..", "..", "..", "..", "shared", "samples") }

// SampleExpectation is one line of the corpus's expect.jsonl: what the provider wrote as the
// record's id and time, for the record at Index of File.
type SampleExpectation struct {
	File  string  `json:"file"`
	Index int     `json:"index"`
	UID   *string `json:"uid"`
	Time  *string `json:"time"`
	Note  string  `json:"note"`
}

// ReadSampleExpectations reads expect.jsonl grouped by file; it skips the test when the
// corpus is absent.
func ReadSampleExpectations(t *testing.T) map[string][]SampleExpectation {
	t.Helper()
	f, err := os.Open(filepath.Join(SamplesDir(), "expect.jsonl"))
	if err != nil {
		t.Skipf("third-party samples not present: %v", err)
	}
	defer f.Close()
	byFile := map[string][]SampleExpectation{}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var e SampleExpectation
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

// CheckSampleTime compares the event's time with the expectation's, to the millisecond. The
// time is read as the source wrote it: Sentinel's CSV exports write day-first
// "dd/mm/yyyy, hh:mm:ss" (the comma tells them apart), everything else goes through the
// parsers' own time reader (ISO 8601, the US-style times some Azure records carry). Times
// the source redacted ("...", "redacted") are not compared.
func CheckSampleTime(t *testing.T, e SampleExpectation, ev *event.Event) {
	t.Helper()
	if e.Time == nil {
		return
	}
	var want time.Time
	var err error
	if strings.Contains(*e.Time, "/") && strings.Contains(*e.Time, ", ") {
		want, err = rawjson.ParseDayFirstTime(*e.Time)
	} else {
		want, err = rawjson.ParseTime(*e.Time)
	}
	if err != nil {
		return
	}
	if d := ev.Time - want.UnixMilli(); d > 1 || d < -1 {
		t.Errorf("%s[%d]: time %s, want %s", e.File, e.Index, ev.TimeDt, *e.Time)
	}
}

// StreamSample reads one corpus file through n and returns its events; a file that cannot
// be read is reported as a test error and gives ok false.
func StreamSample(t *testing.T, n *normalize.Normalizer, file string) (evs []*event.Event, ok bool) {
	t.Helper()
	_, err := n.StreamFile(context.Background(), filepath.Join(SamplesDir(), file), nil, func(ev *event.Event) error {
		evs = append(evs, ev)
		return nil
	})
	if err != nil {
		t.Errorf("%s: %v", file, err)
		return nil, false
	}
	return evs, true
}

// ForEachSample streams every corpus file match selects through n and calls check with each
// of the file's expected records and all its events; check reports whether it checked the
// record as the parser's. The test fails when no record was checked, and logs how many.
func ForEachSample(t *testing.T, n *normalize.Normalizer, parser string, match func(file string) bool,
	check func(file string, e SampleExpectation, evs []*event.Event) bool) {
	t.Helper()
	checked := 0
	for file, exps := range ReadSampleExpectations(t) {
		if !match(file) {
			continue
		}
		evs, ok := StreamSample(t, n, file)
		if !ok {
			continue
		}
		for _, e := range exps {
			if check(file, e, evs) {
				checked++
			}
		}
	}
	t.Logf("checked %d records", checked)
	if checked == 0 {
		t.Fatalf("no sample record reached the %s parser", parser)
	}
}

// EventAt is the event an expectation names, reported as a test error when the file gave
// fewer events.
func EventAt(t *testing.T, file string, e SampleExpectation, evs []*event.Event) (*event.Event, bool) {
	t.Helper()
	if e.Index >= len(evs) {
		t.Errorf("%s[%d]: no event (%d events)", file, e.Index, len(evs))
		return nil, false
	}
	return evs[e.Index], true
}
