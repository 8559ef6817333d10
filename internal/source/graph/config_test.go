package graph

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

func TestValidateNamesTheKey(t *testing.T) {
	ok := DefaultConfig()
	ok.TenantID, ok.ClientID, ok.ClientSecret = "t", "c", "s"
	if err := ok.Validate(); err != nil {
		t.Fatalf("defaults plus credentials: %v", err)
	}
	cases := map[string]func(*Config){
		"streams[1]: unknown stream":    func(c *Config) { c.Streams = []string{"signins", "signups"} },
		"streams[1]: \"alerts\" listed": func(c *Config) { c.Streams = []string{"alerts", "alerts"} },
		"page_size:":                    func(c *Config) { c.PageSize = 5000 },
		"graph_endpoint:":               func(c *Config) { c.GraphEndpoint = "graph.example" },
		"backfill:":                     func(c *Config) { c.Backfill *= 40 },
		"poll_interval:":                func(c *Config) { c.PollInterval = 0 },
		"client_secret: required":       func(c *Config) { c.ClientSecret = "" },
		"type:":                         func(c *Config) { c.Type = "activitylog" },
	}
	for want, mod := range cases {
		c := ok
		mod(&c)
		if err := c.Validate(); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Validate = %v, want %q", err, want)
		}
	}
}

func TestStreamsAndTheirQueries(t *testing.T) {
	c := DefaultConfig()
	if n := len(c.streamsOf()); n != 7 {
		t.Fatalf("default streams: %d, want all 7", n)
	}
	c.Cloud = "china"
	for _, s := range c.streamsOf() {
		if s.name == "risk_detections" {
			t.Fatal("the China cloud has no riskDetections API, yet it is a default stream there")
		}
	}
	sp, _ := lookupStream("managedidentity")
	u := sp.firstURL("https://graph.example/", 5000, mustTime(t, "2026-11-01T10:00:00Z"), mustTime(t, "2026-11-01T11:00:00Z"))
	parsed, err := url.Parse(u)
	if err != nil {
		t.Fatal(err)
	}
	q := parsed.Query()
	wantFilter := "createdDateTime ge 2026-11-01T10:00:00Z and createdDateTime le 2026-11-01T11:00:00Z and signInEventTypes/any(t: t eq 'managedIdentity')"
	if parsed.Path != "/beta/auditLogs/signIns" || q.Get("$filter") != wantFilter || q.Get("$top") != "1000" || strings.Contains(parsed.RawQuery, "+") {
		t.Fatalf("query %s: path %s, $filter %q, $top %s", u, parsed.Path, q.Get("$filter"), q.Get("$top"))
	}
	risk, _ := lookupStream("risk_detections")
	if !strings.HasSuffix(risk.firstURL("https://g", 1000, mustTime(t, "2026-11-01T10:00:00Z"), mustTime(t, "2026-11-01T11:00:00Z")), "&$top=500") {
		t.Fatal("risk detections must ask for at most 500 a page")
	}
}

func TestContractKeysDecodeStrictly(t *testing.T) {
	const doc = `
name: entra-prod
type: graph
tenant_id: contoso.onmicrosoft.com
client_id: a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d
client_secret: s
certificate_file: /etc/vigil/app.pem
auth: client_secret
cloud: usgov
login_endpoint: https://login.example
graph_endpoint: https://graph.example
ca_file: /etc/vigil/ca.pem
poll_interval: 2m
overlap: 45m
backfill: 7d
page_size: 500
streams: [signins, alerts]
request_budget: 4
`
	c := DefaultConfig()
	dec := yaml.NewDecoder(strings.NewReader(doc))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if c.Cloud != "usgov" || c.Overlap.D() != 45*time.Minute || c.Backfill.D() != 7*24*time.Hour || len(c.streamsOf()) != 2 || c.CAFile == "" {
		t.Fatalf("decoded %+v", c)
	}
	bad := yaml.NewDecoder(strings.NewReader("tenant: x\n"))
	bad.KnownFields(true)
	if err := bad.Decode(&c); err == nil {
		t.Fatal("an unknown key was accepted")
	}
}

func TestGraphAudience(t *testing.T) {
	for base, want := range map[string]string{
		"https://dod-graph.microsoft.us":   "https://dod-graph.microsoft.us",
		"https://graph.microsoft.us/":      "https://graph.microsoft.us",
		"https://graph-proxy.corp.example": "https://graph.microsoft.com",
	} {
		if got := graphAudience(base, "https://graph.microsoft.com"); got != want {
			t.Errorf("graphAudience(%s) = %s, want %s", base, got, want)
		}
	}
}
