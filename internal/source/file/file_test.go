package file

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vigil-sec/vigil/internal/normalize"
	"github.com/vigil-sec/vigil/internal/normalize/formats"
	"github.com/vigil-sec/vigil/internal/source"
)

func writeLogs(t *testing.T, files, perFile int) string {
	t.Helper()
	dir := t.TempDir()
	for f := range files {
		var b strings.Builder
		for r := range perFile {
			fmt.Fprintf(&b, `{"eventVersion":"1.08","eventID":"f%d-r%d","eventTime":"2026-06-01T00:%02d:%02dZ","eventSource":"ec2.amazonaws.com","eventName":"DescribeInstances","awsRegion":"eu-west-1","recipientAccountId":"1","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::1:user/a","accountId":"1"}}`+"\n", f, r, f, r)
		}
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("%02d.json", f)), []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// TestResumesWhereItStopped: a stop in the middle of a file, then a start from the stored
// checkpoint, reads each record once overall (give or take the batch the stop lost, which
// the store's idempotent insert absorbs) and every record at least once.
func TestResumesWhereItStopped(t *testing.T) {
	dir := writeLogs(t, 5, 30)
	src, err := New("logs", Config{Paths: []string{dir}, BatchSize: 20}, normalize.New(formats.All()...), nil)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	var stored []byte
	stop := errors.New("stop")
	batches := 0
	emit := func(limit int) source.Emit {
		return func(_ context.Context, b source.Batch) error {
			batches++
			if limit > 0 && batches > limit {
				return stop
			}
			for _, ev := range b.Events {
				seen[ev.Metadata.UID]++
			}
			if b.Checkpoint != nil {
				stored = b.Checkpoint
			}
			return nil
		}
	}
	if err := src.Run(context.Background(), nil, emit(3)); !errors.Is(err, stop) {
		t.Fatalf("Run = %v, want the emit error", err)
	}
	if len(seen) == 0 || len(seen) == 150 {
		t.Fatalf("the first run stored %d records; the stop should come mid-way", len(seen))
	}
	if err := src.Run(context.Background(), stored, emit(0)); err != nil {
		t.Fatal(err)
	}
	if len(seen) != 150 {
		t.Fatalf("%d distinct records after the restart, want 150", len(seen))
	}
	// A third start reads nothing: every file is done.
	before := len(seen)
	n := 0
	if err := src.Run(context.Background(), stored, func(_ context.Context, b source.Batch) error { n += len(b.Events); return nil }); err != nil {
		t.Fatal(err)
	}
	if n != 0 || len(seen) != before {
		t.Errorf("a start after the end read %d events again", n)
	}
}

func TestBatchesSpanFilesAndEndWithTheWatermark(t *testing.T) {
	dir := writeLogs(t, 10, 3)
	src, _ := New("logs", Config{Paths: []string{dir}, BatchSize: 1000}, normalize.New(formats.All()...), nil)
	var got []source.Batch
	if err := src.Run(context.Background(), nil, func(_ context.Context, b source.Batch) error { got = append(got, b); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || len(got[0].Events) != 30 || !got[0].EndOfPoll {
		t.Fatalf("got %d batches (first of %d events); want one of 30 ending the poll", len(got), len(got[0].Events))
	}
	if w := got[0].Watermark.Format("15:04:05"); w != "00:09:02" {
		t.Errorf("watermark %s, want the newest event (00:09:02)", w)
	}
	if st := src.Stats(); st.Files != 10 || st.Normalize.Events != 30 {
		t.Errorf("stats %+v", st)
	}
}

func TestConfig(t *testing.T) {
	if err := (Config{}).Validate(); err == nil || !strings.Contains(err.Error(), "paths") || !strings.Contains(err.Error(), "batch_size") {
		t.Errorf("empty config: %v", err)
	}
	if err := DefaultConfig().Validate(); err == nil {
		t.Error("the default config has no paths and should say so")
	}
}
