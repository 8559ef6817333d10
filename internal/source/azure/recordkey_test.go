package azure

import (
	"testing"
	"time"

	"github.com/vigil-sec/vigil/internal/rawjson"
)

func TestRecordKeyReadsIDAndTime(t *testing.T) {
	var p rawjson.Probe
	for _, tc := range []struct {
		raw, id string
		at      time.Time
	}{
		{`{"id":"a1","createdDateTime":"2026-10-20T09:00:01.5Z","x":{"id":"inner"}}`, "a1", time.Date(2026, 10, 20, 9, 0, 1, 5e8, time.UTC)},
		{`{"createdDateTime":"2026-10-20T09:00:00+02:00","id":"b\u00e9"}`, "bé", time.Date(2026, 10, 20, 7, 0, 0, 0, time.UTC)},
		{`{"id":"c3"}`, "c3", time.Time{}},
		{`{"id":"d4","createdDateTime":"yesterday"}`, "d4", time.Time{}},
		{`not json`, "", time.Time{}},
	} {
		id, at := recordKey(&p, []byte(tc.raw), "id", "createdDateTime")
		if id != tc.id || !at.Equal(tc.at) {
			t.Errorf("%s: got %q %v, want %q %v", tc.raw, id, at, tc.id, tc.at)
		}
	}
}
