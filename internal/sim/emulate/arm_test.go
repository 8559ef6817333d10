package emulate

import (
	"encoding/json"
	"fmt"
	"net/url"
	"testing"
	"time"

	"github.com/vigil-sec/vigil/internal/sim"
)

const otherSub = "0a1b2c3d-4444-4e5f-9a0b-1c2d3e4f5a6b"

func activity(i int, at time.Time, sub, rg string) sim.Record {
	id := fmt.Sprintf("ev-%05d", i)
	b, _ := json.Marshal(map[string]any{"eventDataId": id, "eventTimestamp": at.Format("2006-01-02T15:04:05.0000000Z"), "subscriptionId": sub,
		"resourceGroupName": rg, "resourceId": "/subscriptions/" + sub + "/resourceGroups/" + rg + "/providers/Microsoft.Compute/virtualMachines/vm1",
		"resourceProviderName": map[string]any{"value": "Microsoft.Compute"}, "correlationId": fmt.Sprintf("corr-%d", i)})
	return sim.Record{Time: at, Kind: sim.KindActivityLog, Scope: sub, ID: id, JSON: b}
}

func armLog(s *Server, sub, filter string) string {
	return s.URL() + "/subscriptions/" + sub + "/providers/Microsoft.Insights/eventtypes/management/values?api-version=2015-04-01&$filter=" + url.QueryEscape(filter)
}

func TestActivityLogPagesEachVisibleEventOnce(t *testing.T) {
	clock := NewManualClock(t0.Add(24 * time.Hour))
	s := start(t, func(o *Options) { o.Clock = clock; o.Subscriptions = []string{testSub, otherSub} })
	const n = 1100
	for i := 0; i < n; i++ {
		rg := "rg-web"
		if i%4 == 0 {
			rg = "rg-data"
		}
		s.Add(activity(i, t0.Add(time.Duration(i)*time.Minute), testSub, rg))
	}
	s.Add(activity(n, t0, otherSub, "rg-web"))
	tok := getToken(t, s, "https://management.azure.com/.default")
	from, to := t0.Add(-time.Hour).Format(time.RFC3339), clock.Now().Format(time.RFC3339)
	ids := walk(t, s, tok, armLog(s, testSub, "eventTimestamp ge '"+from+"' and eventTimestamp le '"+to+"'"), "nextLink")
	seen := map[string]bool{}
	for _, id := range ids {
		if seen[id] {
			t.Fatalf("%s served twice", id)
		}
		seen[id] = true
	}
	if want := s.Visible(sim.KindActivityLog, clock.Now()) - 1; len(ids) != want || want < n-10 {
		t.Fatalf("walked %d events, %d visible in the subscription", len(ids), want)
	}
	rg := walk(t, s, tok, armLog(s, testSub, "eventTimestamp ge '"+from+"' and eventTimestamp le '"+to+"' and resourceGroupName eq 'RG-DATA'"), "nextLink")
	if len(rg) < n/4-10 || len(rg) > n/4 {
		t.Fatalf("resourceGroupName eq: %d events, want about %d", len(rg), n/4)
	}
	if other := walk(t, s, tok, armLog(s, otherSub, "eventTimestamp ge '"+from+"'"), "nextLink"); len(other) != 1 {
		t.Fatalf("other subscription: %d events, want 1", len(other))
	}
}

func TestActivityLogErrorsAreARMBodies(t *testing.T) {
	clock := NewManualClock(t0)
	s := start(t, func(o *Options) { o.Clock = clock })
	tok := getToken(t, s, "https://management.azure.com/.default")
	ok := "eventTimestamp ge '2026-10-19T00:00:00Z' and eventTimestamp le '2026-10-20T00:00:00Z'"
	base := s.URL() + "/subscriptions/" + testSub + "/providers/Microsoft.Insights/eventtypes/management/values"
	for _, c := range []struct {
		name, url string
		status    int
		code      string
	}{
		{"foreign subscription", armLog(s, otherSub, ok), 403, "AuthorizationFailed"},
		{"no api-version", base + "?$filter=" + url.QueryEscape(ok), 400, "MissingApiVersionParameter"},
		{"wrong api-version", base + "?api-version=2099-01-01&$filter=" + url.QueryEscape(ok), 400, "InvalidApiVersionParameter"},
		{"no filter", base + "?api-version=2015-04-01", 400, "BadRequest"},
		{"no start", armLog(s, testSub, "eventTimestamp le '2026-10-20T00:00:00Z'"), 400, "BadRequest"},
		{"unquoted date", armLog(s, testSub, "eventTimestamp ge 2026-10-19T00:00:00Z"), 400, "BadRequest"},
		{"unknown field", armLog(s, testSub, ok+" and operationName eq 'x'"), 400, "BadRequest"},
		{"two eq fields", armLog(s, testSub, ok+" and resourceGroupName eq 'a' and correlationId eq 'b'"), 400, "BadRequest"},
		{"past retention", armLog(s, testSub, "eventTimestamp ge '2026-06-01T00:00:00Z'"), 400, "BadRequest"},
		{"unknown option", armLog(s, testSub, ok) + "&$top=5", 400, "BadRequest"},
	} {
		if a := get(t, s, tok, c.url); a.status != c.status || a.errorCode(t) != c.code {
			t.Errorf("%s: %d %s, want %d %s", c.name, a.status, a.body, c.status, c.code)
		}
	}
}

func TestSubscriptionsAndARMThrottling(t *testing.T) {
	wall := newFakeWall()
	s := start(t, func(o *Options) {
		o.Wall = wall.c.Now
		o.Subscriptions = []string{testSub, otherSub}
		o.ARMBudget = Budget{Requests: 2, Per: time.Minute}
	})
	tok := getToken(t, s, "https://management.azure.com/.default")
	a := get(t, s, tok, s.URL()+"/subscriptions?api-version=2022-12-01")
	var body struct {
		Value []struct {
			SubscriptionID string `json:"subscriptionId"`
			TenantID       string `json:"tenantId"`
			State          string `json:"state"`
		} `json:"value"`
	}
	if err := json.Unmarshal(a.body, &body); err != nil || a.status != 200 || len(body.Value) != 2 || body.Value[0].SubscriptionID != testSub || body.Value[0].TenantID != testTenant {
		t.Fatalf("subscriptions: %d %s", a.status, a.body)
	}
	if a.header.Get("x-ms-ratelimit-remaining-tenant-reads") != "1" {
		t.Errorf("remaining reads header = %q, want 1", a.header.Get("x-ms-ratelimit-remaining-tenant-reads"))
	}
	get(t, s, tok, s.URL()+"/subscriptions/"+otherSub+"?api-version=2022-12-01")
	a = get(t, s, tok, s.URL()+"/subscriptions?api-version=2022-12-01")
	if a.status != 429 || a.errorCode(t) != "SubscriptionRequestsThrottled" || a.header.Get("Retry-After") != "60" || a.header.Get("x-ms-ratelimit-remaining-subscription-reads") != "0" {
		t.Fatalf("over the ARM budget: %d %v %s", a.status, a.header, a.body)
	}
}
