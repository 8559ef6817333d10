package emulate

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/vigil-sec/vigil/internal/sim"
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
	st := s.Stats()
	if e := st.Endpoints["signIns"]; e.Records != want || e.OK != (want+332)/333 || st.Endpoints["token"].OK != 1 || st.Visible[sim.KindGraphSignIn] != want {
		t.Errorf("stats = %+v", st)
	}
}

func TestRecordIsInvisibleUntilItsDelayHasPassed(t *testing.T) {
	clock := NewManualClock(t0)
	s := start(t, func(o *Options) {
		o.Clock = clock
		o.Delay = map[sim.Kind]DelayRange{sim.KindGraphSignIn: {Min: 3 * time.Minute, Max: 3 * time.Minute}}
	})
	s.Add(signIn(1, t0, "interactiveUser"))
	tok := getToken(t, s, "https://graph.microsoft.com/.default")
	list := s.URL() + "/v1.0/auditLogs/signIns"
	clock.Set(t0.Add(3*time.Minute - time.Nanosecond))
	if n := len(walk(t, s, tok, list, "@odata.nextLink")); n != 0 || s.Visible(sim.KindGraphSignIn, clock.Now()) != 0 {
		t.Fatalf("a record served %d times before its delay", n)
	}
	clock.Set(t0.Add(3 * time.Minute))
	if n := len(walk(t, s, tok, list, "@odata.nextLink")); n != 1 || s.Visible(sim.KindGraphSignIn, clock.Now()) != 1 {
		t.Fatalf("served %d times once its delay passed, want 1", n)
	}
}

func TestDefaultDelaysAreSeededPerRecordAndRealistic(t *testing.T) {
	a := start(t, nil)
	b := start(t, nil)
	for i := 0; i < 2000; i++ {
		a.Add(signIn(i, t0, "interactiveUser"))
	}
	for i := 1999; i >= 0; i-- { // order of arrival must not change a record's delay
		b.Add(signIn(i, t0, "interactiveUser"))
	}
	for _, d := range []time.Duration{time.Minute, 2 * time.Minute, 5 * time.Minute, 30 * time.Minute} {
		if va, vb := a.Visible(sim.KindGraphSignIn, t0.Add(d)), b.Visible(sim.KindGraphSignIn, t0.Add(d)); va != vb {
			t.Fatalf("after %s: %d vs %d visible with the same seed", d, va, vb)
		}
	}
	if v := a.Visible(sim.KindGraphSignIn, t0.Add(30*time.Second)); v != 0 {
		t.Errorf("%d sign-ins visible after 30 s, want 0", v)
	}
	if v := a.Visible(sim.KindGraphSignIn, t0.Add(5*time.Minute)); v < 1900 || v > 1990 {
		t.Errorf("%d of 2000 visible after 5 min, want about 98%%", v)
	}
	if v := a.Visible(sim.KindGraphSignIn, t0.Add(25*time.Minute)); v != 2000 {
		t.Errorf("%d of 2000 visible after 25 min, want all", v)
	}
}

func TestGraphRefusesWhatItDoesNotSupport(t *testing.T) {
	s := start(t, func(o *Options) { o.Budget = Budget{Requests: 100, Per: time.Minute} })
	tok := getToken(t, s, "https://graph.microsoft.com/.default")
	for _, q := range []string{
		"/v1.0/auditLogs/signIns?$filter=" + url.QueryEscape("userPrincipalName eq 'a@b'"),
		"/v1.0/auditLogs/signIns?$filter=" + url.QueryEscape("createdDateTime ge 2026-13-01T00:00:00Z"),
		"/v1.0/auditLogs/signIns?$filter=" + url.QueryEscape("createdDateTime ge '2026-10-01T00:00:00Z'"),
		"/v1.0/auditLogs/signIns?$filter=" + url.QueryEscape("createdDateTime ge 2026-10-01T00:00:00Z or createdDateTime le 2026-10-02T00:00:00Z"),
		"/v1.0/auditLogs/signIns?$filter=" + url.QueryEscape("createdDateTime eq 2026-10-01T00:00:00Z"),
		"/v1.0/auditLogs/signIns?$filter=" + url.QueryEscape("createdDateTime ge 2026-10-01T00:00:00Z and"),
		"/v1.0/auditLogs/signIns?$filter=" + url.QueryEscape("signInEventTypes/any(t: t eq 'nonInteractiveUser')"),
		"/v1.0/auditLogs/directoryAudits?$filter=" + url.QueryEscape("createdDateTime ge 2026-10-01T00:00:00Z"),
		"/v1.0/auditLogs/signIns?$count=true",
		"/v1.0/auditLogs/signIns?foo=bar",
		"/v1.0/auditLogs/signIns?$top=1001",
		"/v1.0/identityProtection/riskDetections?$top=501",
		"/v1.0/auditLogs/signIns?$top=ten",
		"/v1.0/auditLogs/signIns?$orderby=userPrincipalName",
		"/v1.0/auditLogs/signIns?$skiptoken=bm90LWEtdG9rZW4",
		"/v1.0/auditLogs/signIns?$top=1&$top=2",
	} {
		a := get(t, s, tok, s.URL()+q)
		msg, _ := a.json(t)["error"].(map[string]any)["message"].(string)
		if a.status != 400 || a.errorCode(t) != "BadRequest" || msg == "" {
			t.Errorf("GET %s: %d %s, want 400 BadRequest with a message", q, a.status, a.body)
		}
	}
	if a := get(t, s, tok, s.URL()+"/v1.0/auditLogs/nothing"); a.status != 400 {
		t.Errorf("unknown resource: %d", a.status)
	}
}

func TestSkipTokenBelongsToItsQuery(t *testing.T) {
	clock := NewManualClock(t0.Add(time.Hour))
	s := start(t, func(o *Options) { o.Clock = clock; noDelay(o) })
	for i := 0; i < 5; i++ {
		s.Add(signIn(i, t0.Add(time.Duration(i)*time.Minute), "interactiveUser"))
	}
	tok := getToken(t, s, "https://graph.microsoft.com/.default")
	a := get(t, s, tok, s.URL()+"/v1.0/auditLogs/signIns?$top=2")
	next, _ := a.json(t)["@odata.nextLink"].(string)
	u, err := url.Parse(next)
	if err != nil || next == "" {
		t.Fatalf("nextLink %q: %v", next, err)
	}
	skip := u.Query().Get("$skiptoken")
	if a := get(t, s, tok, s.URL()+"/v1.0/auditLogs/signIns?$top=0"); a.status != 200 || len(a.json(t)["value"].([]any)) != 0 || a.json(t)["@odata.nextLink"] != nil {
		t.Fatalf("$top=0: %d %s", a.status, a.body)
	}
	if b := get(t, s, tok, s.URL()+"/v1.0/auditLogs/signIns?$top=3&$skiptoken="+skip); b.status != 400 {
		t.Fatalf("a skip token replayed with another $top: %d %s", b.status, b.body)
	}
}

func TestSignInEventTypesOnBeta(t *testing.T) {
	clock := NewManualClock(t0.Add(time.Hour))
	s := start(t, func(o *Options) { o.Clock = clock; noDelay(o); o.Budget = Budget{Requests: 100, Per: time.Minute} })
	types := []string{"interactiveUser", "nonInteractiveUser", "servicePrincipal", "managedIdentity"}
	for i := 0; i < 40; i++ {
		s.Add(signIn(i, t0.Add(time.Duration(i)*time.Second), types[i%4]))
	}
	tok := getToken(t, s, "https://graph.microsoft.com/.default")
	count := func(version, filter string) int {
		u := s.URL() + "/" + version + "/auditLogs/signIns"
		if filter != "" {
			u += "?$filter=" + url.QueryEscape(filter)
		}
		return len(walk(t, s, tok, u, "@odata.nextLink"))
	}
	for _, c := range []struct {
		version, filter string
		want            int
	}{
		{"v1.0", "", 10},
		{"beta", "", 10},
		{"beta", "signInEventTypes/any(t: t eq 'nonInteractiveUser')", 10},
		{"beta", "createdDateTime ge 2026-10-20T09:00:00Z and (signInEventTypes/any(t: t eq 'servicePrincipal'))", 10},
		{"beta", "signInEventTypes/any(t: t eq 'interactiveUser' or t eq 'nonInteractiveUser')", 20},
		{"beta", "(signInEventTypes/any(t:t eq 'managedIdentity')) or (signInEventTypes/any(t:t eq 'servicePrincipal'))", 20},
		{"beta", "createdDateTime ge 2026-10-20T09:00:20Z and signInEventTypes/any(t: t eq 'managedIdentity')", 5},
	} {
		if got := count(c.version, c.filter); got != c.want {
			t.Errorf("%s %q: %d sign-ins, want %d", c.version, c.filter, got, c.want)
		}
	}
	if st := s.Stats(); st.Added[sim.KindEventHub] != 30 || st.Added[sim.KindGraphSignIn] != 10 {
		t.Errorf("added = %v", st.Added)
	}
}

func TestSignInsAreNewestFirstUnlessOrderedAscending(t *testing.T) {
	clock := NewManualClock(t0.Add(time.Hour))
	s := start(t, func(o *Options) { o.Clock = clock; noDelay(o) })
	for _, i := range []int{2, 0, 1} {
		s.Add(signIn(i, t0.Add(time.Duration(i)*time.Minute), "interactiveUser"))
	}
	tok := getToken(t, s, "https://graph.microsoft.com/.default")
	ids := walk(t, s, tok, s.URL()+"/v1.0/auditLogs/signIns?$top=1", "@odata.nextLink")
	if len(ids) != 3 || ids[0] != signIn(2, t0, "").ID || ids[2] != signIn(0, t0, "").ID {
		t.Errorf("default order = %v, want newest first", ids)
	}
	ids = walk(t, s, tok, s.URL()+"/v1.0/auditLogs/signIns?$top=2&$orderby=createdDateTime%20asc", "@odata.nextLink")
	if len(ids) != 3 || ids[0] != signIn(0, t0, "").ID || ids[2] != signIn(2, t0, "").ID {
		t.Errorf("ascending order = %v", ids)
	}
}

func TestBudgetGives429WithRetryAfterThenRecovers(t *testing.T) {
	wall := newFakeWall()
	s := start(t, func(o *Options) { o.Wall = wall.c.Now; o.Budget = Budget{Requests: 3, Per: 10 * time.Second} })
	tok := getToken(t, s, "https://graph.microsoft.com/.default")
	u := s.URL() + "/v1.0/auditLogs/directoryAudits"
	for i := 0; i < 3; i++ {
		if a := get(t, s, tok, u); a.status != 200 {
			t.Fatalf("request %d within budget: %d", i+1, a.status)
		}
	}
	wall.c.Advance(4 * time.Second)
	a := get(t, s, tok, u)
	if a.status != 429 || a.header.Get("Retry-After") != "6" || a.errorCode(t) != "TooManyRequests" {
		t.Fatalf("over budget: %d Retry-After %q %s", a.status, a.header.Get("Retry-After"), a.body)
	}
	wall.c.Advance(6 * time.Second)
	if a := get(t, s, tok, u); a.status != 200 {
		t.Fatalf("after Retry-After: %d", a.status)
	}
	if st := s.Stats().Endpoints["directoryAudits"]; st.Throttled != 1 || st.OK != 4 {
		t.Errorf("stats = %+v", st)
	}
}

func TestDuplicatesAreServedAgainInALaterPoll(t *testing.T) {
	clock := NewManualClock(t0)
	s := start(t, func(o *Options) {
		o.Clock = clock
		o.DuplicateRate = 0.2
		o.Budget = Budget{Requests: 1000, Per: time.Minute}
	})
	const n = 1000
	for i := 0; i < n; i++ {
		s.Add(signIn(i, t0, "interactiveUser"))
	}
	tok := getToken(t, s, "https://graph.microsoft.com/.default")
	list := s.URL() + "/v1.0/auditLogs/signIns?$top=100"
	clock.Set(t0.Add(90 * time.Second)) // some first copies visible, no second copy yet
	early := walk(t, s, tok, list, "@odata.nextLink")
	counts := map[string]int{}
	for _, id := range early {
		if counts[id]++; counts[id] > 1 {
			t.Fatalf("%s twice before any duplicate can be visible", id)
		}
	}
	clock.Set(t0.Add(2 * time.Hour))
	late := walk(t, s, tok, list, "@odata.nextLink")
	clear(counts)
	for _, id := range late {
		counts[id]++
	}
	dups := 0
	for _, c := range counts {
		if c == 2 {
			dups++
		}
	}
	if len(counts) != n || dups != s.Stats().Duplicates || dups < 150 || dups > 250 {
		t.Fatalf("%d distinct, %d served twice (stats %d), want %d and about %d", len(counts), dups, s.Stats().Duplicates, n, n/5)
	}
	if v := s.Visible(sim.KindGraphSignIn, clock.Now()); v != n {
		t.Errorf("Visible counts %d, want %d distinct", v, n)
	}
}

func TestAlertsV2IsAnEmptyODataList(t *testing.T) {
	s := start(t, nil)
	tok := getToken(t, s, "https://graph.microsoft.com/.default")
	a := get(t, s, tok, s.URL()+"/v1.0/security/alerts_v2?$filter="+url.QueryEscape("lastUpdateDateTime ge 2026-10-01T00:00:00Z"))
	m := a.json(t)
	v, ok := m["value"].([]any)
	if a.status != 200 || !ok || len(v) != 0 || m["@odata.context"] != s.URL()+"/v1.0/$metadata#security/alerts_v2" || m["@odata.nextLink"] != nil {
		t.Fatalf("alerts_v2: %d %s", a.status, a.body)
	}
}

func TestRiskDetectionsFilterOnLastUpdatedDateTime(t *testing.T) {
	clock := NewManualClock(t0.Add(3 * time.Hour))
	s := start(t, func(o *Options) { o.Clock = clock })
	for i := 0; i < 4; i++ {
		at := t0.Add(time.Duration(i) * time.Hour)
		b, _ := json.Marshal(map[string]any{"id": fmt.Sprint("risk-", i), "detectedDateTime": at.Format(time.RFC3339),
			"activityDateTime": at.Add(-30 * time.Second).Format(time.RFC3339), "lastUpdatedDateTime": at.Add(5 * time.Minute).Format(time.RFC3339)})
		s.Add(sim.Record{Time: at, Kind: sim.KindGraphRisk, ID: fmt.Sprint("risk-", i), JSON: b})
	}
	tok := getToken(t, s, "https://graph.microsoft.com/.default")
	f := url.QueryEscape("lastUpdatedDateTime gt 2026-10-20T10:00:00Z")
	ids := walk(t, s, tok, s.URL()+"/v1.0/identityProtection/riskDetections?$filter="+f, "@odata.nextLink")
	// risk-1 updated 10:05 and risk-2 11:05 are visible; risk-3 (12:00) waits its delay.
	if strings.Join(ids, ",") != "risk-2,risk-1" {
		t.Fatalf("risk detections = %v", ids)
	}
}

func TestSelectKeepsOnlyTheNamedProperties(t *testing.T) {
	clock := NewManualClock(t0.Add(time.Hour))
	s := start(t, func(o *Options) { o.Clock = clock; noDelay(o) })
	s.Add(signIn(1, t0, "interactiveUser"))
	tok := getToken(t, s, "https://graph.microsoft.com/.default")
	a := get(t, s, tok, s.URL()+"/v1.0/auditLogs/signIns?$select=id,createdDateTime")
	v := a.json(t)["value"].([]any)
	if len(v) != 1 || len(v[0].(map[string]any)) != 2 {
		t.Fatalf("$select: %s", a.body)
	}
}
