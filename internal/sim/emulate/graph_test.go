package emulate

import (
	"net/url"
	"testing"
	"time"
)

func TestSignInsPagingWalksEachVisibleRecordOnce(t *testing.T) {
	clock := NewManualClock(t0.Add(2 * time.Hour))
	s := start(t, func(o *Options) { o.Clock = clock; o.Budget = Budget{Requests: 1000, Per: time.Minute} })
	const n = 2500
	for i := 0; i < n; i++ {
		s.Add(signIn(i, t0.Add(time.Duration(i)*time.Second), "interactiveUser"))
	}
	want := s.Visible("graph-signins", clock.Now())
	if want < n*9/10 || want > n {
		t.Fatalf("visible = %d of %d two hours later", want, n)
	}
	tok := getToken(t, s, "https://graph.microsoft.com/.default")
	f := url.QueryEscape("createdDateTime ge 2026-10-20T00:00:00Z and createdDateTime le 2026-10-21T00:00:00Z")
	ids := walk(t, s, tok, s.URL()+"/v1.0/auditLogs/signIns?$top=333&$filter="+f, "@odata.nextLink")
	seen := map[string]bool{}
	for _, id := range ids {
		if seen[id] {
			t.Fatalf("id %s served twice", id)
		}
		seen[id] = true
	}
	if len(ids) != want {
		t.Fatalf("walked %d records, %d visible", len(ids), want)
	}
}
