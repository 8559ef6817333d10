package file

import (
	"context"
	"testing"

	"github.com/vigil-sec/vigil/internal/normalize"
	"github.com/vigil-sec/vigil/internal/normalize/formats"
	"github.com/vigil-sec/vigil/internal/source"
)

// TestProgressReachesTheTotals: Config.Progress hears files, bytes and records growing to
// the totals it was given at the start, and a second run over read files counts them as
// done without reading them.
func TestProgressReachesTheTotals(t *testing.T) {
	dir := writeLogs(t, 4, 25)
	var seen []Progress
	cfg := Config{Paths: []string{dir}, BatchSize: 10, Progress: func(p Progress) { seen = append(seen, p) }}
	src, err := New("logs", cfg, normalize.New(formats.All()...), nil)
	if err != nil {
		t.Fatal(err)
	}
	var cp []byte
	emit := func(_ context.Context, b source.Batch) error {
		if b.Checkpoint != nil {
			cp = b.Checkpoint
		}
		return nil
	}
	if err := src.Run(context.Background(), nil, emit); err != nil {
		t.Fatal(err)
	}
	last := seen[len(seen)-1]
	if last.FilesTotal != 4 || last.Files != 4 || last.Records != 100 || last.BytesTotal == 0 || last.Bytes != last.BytesTotal {
		t.Fatalf("last progress %+v: want 4/4 files, 100 records, all bytes", last)
	}
	for i := 1; i < len(seen); i++ {
		if seen[i].Bytes < seen[i-1].Bytes || seen[i].Records < seen[i-1].Records || seen[i].Files < seen[i-1].Files {
			t.Fatalf("progress went back: %+v then %+v", seen[i-1], seen[i])
		}
	}
	if len(seen) < 8 { // at least one read and one file end per file
		t.Errorf("only %d progress reports for 4 files", len(seen))
	}
	seen = nil
	if err := src.Run(context.Background(), cp, emit); err != nil {
		t.Fatal(err)
	}
	if last := seen[len(seen)-1]; last.Files != 4 || last.Bytes != last.BytesTotal || last.Records != 0 {
		t.Errorf("second run's last progress %+v: want every file done, no record read", last)
	}
}
