package emulate

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/vigil-sec/vigil/internal/sim"
)

const (
	testTenant = "8f0d2c4e-1111-4a2b-9c3d-5e6f7a8b9c0d"
	testClient = "3b9a7c1d-2222-4e5f-8a9b-0c1d2e3f4a5b"
	testSecret = "s3cret~value"
	testSub    = "6c2b9f4e-3333-4d1a-8e7f-9a0b1c2d3e4f"
)

var t0 = time.Date(2026, 10, 20, 9, 0, 0, 0, time.UTC)

// fakeWall is a wall clock tests move by hand.
type fakeWall struct{ c *ManualClock }

func newFakeWall() fakeWall {
	return fakeWall{NewManualClock(time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC))}
}

// start runs an emulator with the test identity; mod adjusts the options first.
func start(t testing.TB, mod func(*Options)) *Server {
	t.Helper()
	opts := Options{Seed: 7, TenantID: testTenant, ClientID: testClient, ClientSecret: testSecret, Subscriptions: []string{testSub}}
	if mod != nil {
		mod(&opts)
	}
	s, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Error(err)
		}
	})
	return s
}

// getToken runs the client-credentials grant over the wire.
func getToken(t testing.TB, s *Server, scope string) string {
	t.Helper()
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {testClient}, "client_secret": {testSecret}, "scope": {scope}}
	resp, err := s.Client().PostForm(s.URL()+"/"+testTenant+"/oauth2/v2.0/token", form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct {
		AccessToken string `json:"access_token"`
		ExpiresIn   int    `json:"expires_in"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil || resp.StatusCode != 200 || body.AccessToken == "" {
		t.Fatalf("token: status %d, err %v, body %+v", resp.StatusCode, err, body)
	}
	return body.AccessToken
}

type answer struct {
	status int
	header http.Header
	body   []byte
}

func (a answer) json(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(a.body, &m); err != nil {
		t.Fatalf("status %d body %q: %v", a.status, a.body, err)
	}
	return m
}

func (a answer) errorCode(t testing.TB) string {
	t.Helper()
	e, _ := a.json(t)["error"].(map[string]any)
	code, _ := e["code"].(string)
	return code
}

func get(t testing.TB, s *Server, token, rawURL string) answer {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, rawURL, nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := s.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return answer{resp.StatusCode, resp.Header, b}
}

// walk follows nextLinks from first and returns every record id served.
func walk(t testing.TB, s *Server, token, first, linkKey string) []string {
	t.Helper()
	var ids []string
	for link, pages := first, 0; link != ""; pages++ {
		if pages > 10000 {
			t.Fatal("paging does not end")
		}
		a := get(t, s, token, link)
		if a.status != 200 {
			t.Fatalf("GET %s: %d %s", link, a.status, a.body)
		}
		var page struct {
			Value []struct {
				ID          string `json:"id"`
				EventDataID string `json:"eventDataId"`
			} `json:"value"`
			Next  string `json:"@odata.nextLink"`
			NextA string `json:"nextLink"`
		}
		if err := json.Unmarshal(a.body, &page); err != nil {
			t.Fatal(err)
		}
		for _, v := range page.Value {
			id := v.ID
			if v.EventDataID != "" {
				id = v.EventDataID
			}
			ids = append(ids, id)
		}
		link = page.Next
		if linkKey == "nextLink" {
			link = page.NextA
		}
	}
	return ids
}

// signIn makes a sim-shaped interactive sign-in record at t.
func signIn(i int, at time.Time, typ string) sim.Record {
	id := fmt.Sprintf("00000000-0000-4000-8000-%012d", i)
	b, _ := json.Marshal(map[string]any{"id": id, "createdDateTime": at.Format("2006-01-02T15:04:05.0000000Z"), "signInEventTypes": []string{typ}, "userPrincipalName": "u@example.test"})
	if typ == "interactiveUser" {
		return sim.Record{Time: at, Kind: sim.KindGraphSignIn, ID: id, JSON: b}
	}
	cat := map[string]string{"nonInteractiveUser": "NonInteractiveUserSignInLogs", "servicePrincipal": "ServicePrincipalSignInLogs", "managedIdentity": "ManagedIdentitySignInLogs"}[typ]
	d, _ := json.Marshal(map[string]any{"time": at.Format(time.RFC3339), "category": cat, "properties": json.RawMessage(b)})
	return sim.Record{Time: at, Kind: sim.KindEventHub, Scope: "insights-logs-" + strings.ToLower(cat), ID: id, JSON: d}
}

// noDelay makes every record visible at its event time.
func noDelay(o *Options) {
	o.Delay = map[sim.Kind]DelayRange{}
	for _, k := range []sim.Kind{sim.KindGraphSignIn, sim.KindEventHub, sim.KindGraphAudit, sim.KindGraphRisk, sim.KindActivityLog} {
		o.Delay[k] = DelayRange{}
	}
}
