package pipeline_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/vigil-sec/vigil/internal/alert"
	"github.com/vigil-sec/vigil/internal/detect"
	"github.com/vigil-sec/vigil/internal/event"
	"github.com/vigil-sec/vigil/internal/normalize"
	"github.com/vigil-sec/vigil/internal/normalize/formats"
	"github.com/vigil-sec/vigil/internal/pipeline"
	"github.com/vigil-sec/vigil/internal/source"
	"github.com/vigil-sec/vigil/internal/store/sqlite"
)

// batchesSource emits its batches, one poll each, and finishes.
type batchesSource struct{ batches [][][]byte }

func (s *batchesSource) Name() string { return "trail" }

func (s *batchesSource) Run(ctx context.Context, _ []byte, emit source.Emit) error {
	for i, recs := range s.batches {
		if err := emit(ctx, source.Batch{Records: recs, Available: time.Now(), Checkpoint: []byte(fmt.Sprint(i)), EndOfPoll: true}); err != nil {
			return err
		}
	}
	return nil
}

// stopLoggingRule raises an alert per StopLogging call, as a single-event rule does; with
// crashOn it fails on that event instead, as a daemon killed mid-detection would stop.
type stopLoggingRule struct{ crashOn string }

var errKilled = errors.New("killed between storing and detecting")

func (r stopLoggingRule) Name() string { return "stop-logging" }

func (r stopLoggingRule) Observe(_ context.Context, ev *event.Event, emit detect.Emit) error {
	if ev.Metadata.UID == r.crashOn {
		return errKilled
	}
	if ev.API.Operation == "StopLogging" {
		emit(alert.Alert{ID: "stop-" + ev.Metadata.UID, Title: "StopLogging", Time: time.UnixMilli(ev.Time).UTC(),
			Severity: alert.SeverityHigh, Score: 80, Entity: ev.Vigil.Entity, EventUIDs: []string{ev.Metadata.UID}})
	}
	return nil
}

func (stopLoggingRule) Advance(context.Context, time.Time, detect.Emit) error { return nil }

func trailRecord(id string, at time.Time, name string) []byte {
	return fmt.Appendf(nil, `{"eventVersion":"1.08","eventID":%q,"eventTime":%q,"eventSource":"cloudtrail.amazonaws.com","eventName":%q,"awsRegion":"us-east-1","recipientAccountId":"111122223333","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/ops","userName":"ops","accountId":"111122223333"}}`,
		id, at.UTC().Format(time.RFC3339), name)
}

// TestArrivalReplayAfterACrashCoversABackfill: a daemon that stored a batch of days-old
// events (a listing collector reaching the next account's first day) and died before its
// arrival detections saw them raises their alerts at the next start, though their event
// times are far behind the saved position; the first start's alert is not raised twice.
func TestArrivalReplayAfterACrashCoversABackfill(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	now := time.Now().UTC().Truncate(time.Minute)
	recent := [][]byte{trailRecord("recent-1", now.Add(-time.Hour), "DescribeTrails"), trailRecord("recent-stop", now.Add(-50*time.Minute), "StopLogging")}
	backfill := [][]byte{trailRecord("old-1", now.Add(-72*time.Hour), "DescribeTrails"), trailRecord("old-stop", now.Add(-71*time.Hour), "StopLogging")}
	run := func(src source.Source, rule stopLoggingRule) error {
		st, err := sqlite.Open(ctx, dir)
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		p, err := pipeline.New(pipeline.Options{Config: pipeline.DefaultConfig(), Store: st, Normalizer: normalize.New(formats.All()...),
			Sources: []source.Source{src}, Arrival: rule})
		if err != nil {
			t.Fatal(err)
		}
		return p.Run(ctx)
	}
	if err := run(&batchesSource{batches: [][][]byte{recent}}, stopLoggingRule{}); err != nil {
		t.Fatal(err)
	}
	if err := run(&batchesSource{batches: [][][]byte{backfill}}, stopLoggingRule{crashOn: "old-stop"}); !errors.Is(err, errKilled) {
		t.Fatalf("the second start: %v, want it to die detecting the backfill", err)
	}
	if err := run(&batchesSource{}, stopLoggingRule{}); err != nil {
		t.Fatal(err)
	}
	st, err := sqlite.Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ids := storedAlertIDs(t, st)
	if !slices.Equal(ids, []string{"stop-old-stop", "stop-recent-stop"}) {
		t.Errorf("alerts %v, want the backfill's StopLogging raised after the crash, and the first start's once", ids)
	}
}
