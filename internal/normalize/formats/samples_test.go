package formats

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
	"github.com/vigil-sec/vigil/internal/rawjson"
)

// samplesDir is the steering team's third-party corpus beside the repository. It is never
// copied in (its licences forbid it); the test skips when it is absent.
var samplesDir = filepath.Join("..", "..", "..", "..", "shared", "samples")

type expectation struct {
	File  string  `json:"file"`
	Index int     `json:"index"`
	UID   *string `json:"uid"`
	Time  *string `json:"time"`
	Note  string  `json:"note"`
}

// TestThirdPartySamples checks every record of real data nobody here wrote: one event per
// record, the provider's id as metadata.uid, the provider's time, nothing unparsed except
// in files that are not JSON at all.
func TestThirdPartySamples(t *testing.T) {
	f, err := os.Open(filepath.Join(samplesDir, "expect.jsonl"))
	if err != nil {
		t.Skipf("third-party samples not present: %v", err)
	}
	defer f.Close()
	byFile := map[string][]expectation{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var e expectation
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatal(err)
		}
		byFile[e.File] = append(byFile[e.File], e)
	}
	n := normalize.New(All()...)
	for file, exps := range byFile {
		var evs []*event.Event
		_, err := n.StreamFile(context.Background(), filepath.Join(samplesDir, file), nil, func(ev *event.Event) error {
			evs = append(evs, ev)
			return nil
		})
		if err != nil {
			t.Errorf("%s: %v", file, err)
			continue
		}
		lenient := false
		for _, e := range exps {
			note := strings.ToLower(e.Note)
			lenient = lenient || strings.Contains(note, "not json") || strings.Contains(note, "not strict json") || strings.Contains(note, "digest")
		}
		if lenient {
			continue // the file is not JSON; reading it without a crash is what counts
		}
		if len(evs) != len(exps) {
			t.Errorf("%s: %d events for %d records", file, len(evs), len(exps))
			continue
		}
		for _, e := range exps {
			ev := evs[e.Index]
			if ev.IsUnparsed() {
				t.Errorf("%s[%d]: unparsed: %s", file, e.Index, ev.Vigil.ParseError)
				continue
			}
			if e.UID != nil && !strings.EqualFold(ev.Metadata.UID, *e.UID) {
				t.Errorf("%s[%d]: metadata.uid %q, want %q", file, e.Index, ev.Metadata.UID, *e.UID)
			}
			if e.Time != nil {
				want, err := rawjson.ParseTime(*e.Time)
				if err != nil {
					continue // the checker's own rules skip times it cannot read
				}
				if d := ev.Time - want.UnixMilli(); d > 1 || d < -1 {
					t.Errorf("%s[%d]: time %s, want %s", file, e.Index, ev.TimeDt, *e.Time)
				}
			}
		}
	}
}
