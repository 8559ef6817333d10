package emulate_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/vigil-sec/vigil/internal/sim"
	"github.com/vigil-sec/vigil/internal/sim/emulate"
)

// A sign-in becomes visible two minutes after it happened, and a client-credentials
// token reads it from Graph.
func Example() {
	at := time.Date(2026, 10, 20, 9, 0, 0, 0, time.UTC)
	clock := emulate.NewManualClock(at.Add(time.Minute))
	srv, err := emulate.New(emulate.Options{
		Clock: clock, TenantID: "contoso-tenant", ClientID: "collector-app", ClientSecret: "secret",
		Delay: map[sim.Kind]emulate.DelayRange{sim.KindGraphSignIn: {Min: 2 * time.Minute, Max: 2 * time.Minute}},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	srv.Add(sim.Record{Time: at, Kind: sim.KindGraphSignIn, ID: "s1",
		JSON: []byte(`{"id":"s1","createdDateTime":"2026-10-20T09:00:00Z","signInEventTypes":["interactiveUser"]}`)})
	if err := srv.Start(); err != nil {
		fmt.Println(err)
		return
	}
	defer srv.Close()

	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {"collector-app"}, "client_secret": {"secret"},
		"scope": {"https://graph.microsoft.com/.default"}}
	resp, err := srv.Client().PostForm(srv.URL()+"/contoso-tenant/oauth2/v2.0/token", form)
	if err != nil {
		fmt.Println(err)
		return
	}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	json.NewDecoder(resp.Body).Decode(&tok)
	resp.Body.Close()

	count := func() int {
		req, _ := http.NewRequest(http.MethodGet, srv.URL()+"/v1.0/auditLogs/signIns?$filter="+
			url.QueryEscape("createdDateTime ge 2026-10-20T00:00:00Z"), nil)
		req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
		resp, err := srv.Client().Do(req)
		if err != nil {
			return -1
		}
		defer resp.Body.Close()
		var page struct{ Value []json.RawMessage }
		json.NewDecoder(resp.Body).Decode(&page)
		return len(page.Value)
	}
	fmt.Println("at 09:01:", count())
	clock.Advance(time.Minute)
	fmt.Println("at 09:02:", count())
	fmt.Println(strings.HasPrefix(srv.URL(), "https://127.0.0.1:"))
	// Output:
	// at 09:01: 0
	// at 09:02: 1
	// true
}
