// Package normalizetest runs normalizer golden files: a native input, a separator line, and
// the events Vigil must produce from it. Parser packages call RunGoldens from their tests;
// `go test -update` rewrites the expected part from what the code now produces.
package normalizetest

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/goccy/go-json"

	"github.com/vigil-sec/vigil/internal/event"
	"github.com/vigil-sec/vigil/internal/normalize"
)

// Separator divides a golden file's input from its expected events.
const Separator = "---- want ----"

var update = flag.Bool("update", false, "rewrite golden files with the events the code produces")

// fixedNow is the processing time golden runs use, so outputs are stable.
var fixedNow = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// RunGoldens runs every testdata file matching *.golden under dir as a subtest.
func RunGoldens(t *testing.T, dir string, parsers ...normalize.Parser) {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.golden"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatalf("no *.golden files in %s", dir)
	}
	sort.Strings(files)
	n := normalize.New(parsers...).WithClock(func() time.Time { return fixedNow })
	for _, f := range files {
		t.Run(strings.TrimSuffix(filepath.Base(f), ".golden"), func(t *testing.T) {
			runGolden(t, n, f)
		})
	}
}

func runGolden(t *testing.T, n *normalize.Normalizer, path string) {
	content, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	input, want, found := bytes.Cut(content, []byte("\n"+Separator+"\n"))
	if !found && !*update {
		t.Fatalf("%s: no %q line", path, Separator)
	}
	got, err := Events(n, input)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if *update {
		out := append(append(append([]byte{}, input...), "\n"+Separator+"\n"...), got...)
		if err := os.WriteFile(path, out, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if !bytes.Equal(bytes.TrimSpace(got), bytes.TrimSpace(want)) {
		t.Errorf("%s: events differ (run go test -update to accept)\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

// Events normalizes input and renders the events as indented JSON, one after another, with
// the processing time fixed.
func Events(n *normalize.Normalizer, input []byte) ([]byte, error) {
	var buf bytes.Buffer
	_, err := n.Stream(context.Background(), bytes.NewReader(input), "golden", func(ev *event.Event) error {
		b, err := json.MarshalIndent(ev, "", "  ")
		if err != nil {
			return err
		}
		buf.Write(b)
		buf.WriteByte('\n')
		return nil
	})
	return buf.Bytes(), err
}
