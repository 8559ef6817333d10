package cloudtrail

import (
	"testing"

	"github.com/vigil-sec/vigil/internal/event"
	"github.com/vigil-sec/vigil/internal/normalize/normalizetest"
	"github.com/vigil-sec/vigil/internal/rawjson"
)

func TestGoldens(t *testing.T) { normalizetest.RunGoldens(t, "testdata", New()) }

func FuzzParse(f *testing.F) {
	f.Add([]byte(`{"eventVersion":"1.08","userIdentity":{"type":"AssumedRole","arn":"arn:aws:sts::1:assumed-role/r/a@b.c"},"eventTime":"2026-01-01T00:00:00Z","eventName":"X"}`))
	f.Add([]byte(`{"CloudTrailEvent":"{\"eventName\":\"A\",\"eventTime\":\"x\"}"}`))
	f.Add([]byte(`{"AwsEventId":"1","TimeGenerated [UTC]":"1/1/2020, 1:00:00","Resources":"[{}]"}`))
	p := New()
	f.Fuzz(func(t *testing.T, rec []byte) {
		var ev event.Event
		_ = p.Parse(rec, rawjson.NewProbe(rec), &ev)
	})
}
