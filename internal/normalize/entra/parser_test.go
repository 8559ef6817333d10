package entra

import (
	"testing"

	"github.com/vigil-sec/vigil/internal/event"
	"github.com/vigil-sec/vigil/internal/normalize/normalizetest"
	"github.com/vigil-sec/vigil/internal/rawjson"
)

func TestGoldens(t *testing.T) { normalizetest.RunGoldens(t, "testdata", New()) }

func FuzzParse(f *testing.F) {
	f.Add([]byte(`{"id":"1","createdDateTime":"2026-01-01T00:00:00Z","userPrincipalName":"a@b.c","status":{"errorCode":"50126"}}`))
	f.Add([]byte(`{"time":"x","category":"SignInLogs","properties":"{\"location\":\"DE\"}"}`))
	f.Add([]byte(`{"activityDisplayName":"Add member to role","initiatedBy":"{}","targetResources":[{"modifiedProperties":[{"newValue":1}]}]}`))
	f.Add([]byte(`{"Type":"SigninLogs","ResultType":"abc","LocationDetails":"[1]"}`))
	p := New()
	f.Fuzz(func(t *testing.T, rec []byte) {
		var ev event.Event
		_ = p.Parse(rec, rawjson.NewProbe(rec), &ev)
	})
}
