package emulate

import (
	"context"
	"encoding/json"
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
)

// credential is the real SDK credential a collector uses, pointed at the emulator.
func credential(t *testing.T, s *Server, secret string) *azidentity.ClientSecretCredential {
	t.Helper()
	cred, err := azidentity.NewClientSecretCredential(testTenant, testClient, secret, &azidentity.ClientSecretCredentialOptions{
		ClientOptions: azcore.ClientOptions{
			Cloud:     cloud.Configuration{ActiveDirectoryAuthorityHost: s.URL() + "/"},
			Transport: s.Client(),
			Retry:     policy.RetryOptions{MaxRetries: -1},
		},
		// MSAL Go sends instance discovery for a host it does not know to
		// login.microsoftonline.com; the emulator cannot answer there.
		DisableInstanceDiscovery: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	return cred
}

func TestAzidentityClientSecretCredentialGetsATokenThatGraphAndARMAccept(t *testing.T) {
	s := start(t, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cred := credential(t, s, testSecret)
	for _, c := range []struct{ scope, url string }{
		{"https://graph.microsoft.com/.default", s.URL() + "/v1.0/security/alerts_v2"},
		{"https://management.azure.com/.default", s.URL() + "/subscriptions?api-version=2022-12-01"},
		{s.URL() + "/.default", s.URL() + "/beta/auditLogs/signIns"},
	} {
		tok, err := cred.GetToken(ctx, policy.TokenRequestOptions{Scopes: []string{c.scope}})
		if err != nil {
			t.Fatalf("%s: %v", c.scope, err)
		}
		if tok.ExpiresOn.Before(time.Now().Add(50 * time.Minute)) {
			t.Errorf("%s: token expires %v, want about an hour", c.scope, tok.ExpiresOn)
		}
		if a := get(t, s, tok.Token, c.url); a.status != 200 {
			t.Errorf("GET %s with the SDK's token: %d %s", c.url, a.status, a.body)
		}
	}
	if st := s.Stats(); st.Tokens != 3 {
		t.Errorf("tokens issued = %d, want 3", st.Tokens)
	}
}

func TestAzidentityBadSecretGetsAADSTS7000215(t *testing.T) {
	s := start(t, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	_, err := credential(t, s, "wrong").GetToken(ctx, policy.TokenRequestOptions{Scopes: []string{"https://graph.microsoft.com/.default"}})
	var authErr *azidentity.AuthenticationFailedError
	if !errors.As(err, &authErr) || authErr.RawResponse == nil || authErr.RawResponse.StatusCode != 401 || !strings.Contains(err.Error(), "AADSTS7000215") {
		t.Fatalf("err = %v, want an AuthenticationFailedError with 401 and AADSTS7000215", err)
	}
}

func TestTokenErrorsAreEntraBodies(t *testing.T) {
	s := start(t, nil)
	cases := []struct {
		name, tenant string
		form         url.Values
		status       int
		errCode      string
		aadsts       float64
	}{
		{"bad secret", testTenant, url.Values{"grant_type": {"client_credentials"}, "client_id": {testClient}, "client_secret": {"x"}, "scope": {"https://graph.microsoft.com/.default"}}, 401, "invalid_client", 7000215},
		{"unknown client", testTenant, url.Values{"grant_type": {"client_credentials"}, "client_id": {"nobody"}, "client_secret": {testSecret}, "scope": {"https://graph.microsoft.com/.default"}}, 400, "unauthorized_client", 700016},
		{"unknown tenant", "other-tenant", url.Values{"grant_type": {"client_credentials"}, "client_id": {testClient}, "client_secret": {testSecret}, "scope": {"https://graph.microsoft.com/.default"}}, 400, "invalid_request", 90002},
		{"no secret", testTenant, url.Values{"grant_type": {"client_credentials"}, "client_id": {testClient}, "scope": {"https://graph.microsoft.com/.default"}}, 401, "invalid_client", 7000218},
		{"scope without .default", testTenant, url.Values{"grant_type": {"client_credentials"}, "client_id": {testClient}, "client_secret": {testSecret}, "scope": {"https://graph.microsoft.com/AuditLog.Read.All"}}, 400, "invalid_scope", 1002012},
		{"unknown resource", testTenant, url.Values{"grant_type": {"client_credentials"}, "client_id": {testClient}, "client_secret": {testSecret}, "scope": {"https://vault.azure.net/.default"}}, 400, "invalid_resource", 500011},
		{"password grant", testTenant, url.Values{"grant_type": {"password"}, "client_id": {testClient}}, 400, "unsupported_grant_type", 70003},
	}
	for _, c := range cases {
		resp, err := s.Client().PostForm(s.URL()+"/"+c.tenant+"/oauth2/v2.0/token", c.form)
		if err != nil {
			t.Fatal(err)
		}
		var body map[string]any
		err = json.NewDecoder(resp.Body).Decode(&body)
		resp.Body.Close()
		codes, _ := body["error_codes"].([]any)
		desc, _ := body["error_description"].(string)
		if err != nil || resp.StatusCode != c.status || body["error"] != c.errCode || len(codes) != 1 || codes[0] != c.aadsts ||
			!strings.HasPrefix(desc, "AADSTS") || body["trace_id"] == nil || body["correlation_id"] == nil {
			t.Errorf("%s: status %d body %v (err %v), want %d %s AADSTS%v", c.name, resp.StatusCode, body, err, c.status, c.errCode, c.aadsts)
		}
	}
}

func TestDataEndpointsRefuseMissingWrongAndExpiredTokens(t *testing.T) {
	wall := newFakeWall()
	s := start(t, func(o *Options) { o.Wall = wall.c.Now; o.TokenLifetime = 10 * time.Minute })
	graphTok := getToken(t, s, "https://graph.microsoft.com/.default")
	armTok := getToken(t, s, "https://management.azure.com/.default")
	signIns := s.URL() + "/v1.0/auditLogs/signIns"
	subs := s.URL() + "/subscriptions?api-version=2022-12-01"
	for _, c := range []struct {
		name, tok, url, code string
	}{
		{"graph, no token", "", signIns, "InvalidAuthenticationToken"},
		{"graph, unknown token", "garbage", signIns, "InvalidAuthenticationToken"},
		{"graph, ARM token", armTok, signIns, "InvalidAuthenticationToken"},
		{"ARM, no token", "", subs, "AuthenticationFailed"},
		{"ARM, Graph token", graphTok, subs, "InvalidAuthenticationTokenAudience"},
	} {
		a := get(t, s, c.tok, c.url)
		if a.status != 401 || a.errorCode(t) != c.code || a.header.Get("WWW-Authenticate") == "" {
			t.Errorf("%s: %d %s, want 401 %s with WWW-Authenticate", c.name, a.status, a.body, c.code)
		}
	}
	if a := get(t, s, graphTok, signIns); a.status != 200 {
		t.Fatalf("fresh token: %d %s", a.status, a.body)
	}
	wall.c.Advance(10 * time.Minute)
	if a := get(t, s, graphTok, signIns); a.status != 401 || !strings.Contains(string(a.body), "expired") {
		t.Errorf("expired Graph token: %d %s", a.status, a.body)
	}
	if a := get(t, s, armTok, subs); a.status != 401 || a.errorCode(t) != "ExpiredAuthenticationToken" {
		t.Errorf("expired ARM token: %d %s", a.status, a.body)
	}
}

func TestOpenIDConfigurationIssuerIsTheAuthority(t *testing.T) {
	s := start(t, nil)
	a := get(t, s, "", s.URL()+"/"+testTenant+"/v2.0/.well-known/openid-configuration")
	m := a.json(t)
	if a.status != 200 || m["issuer"] != s.URL()+"/"+testTenant+"/v2.0" || m["token_endpoint"] != s.URL()+"/"+testTenant+"/oauth2/v2.0/token" {
		t.Fatalf("openid-configuration: %d %v", a.status, m)
	}
	d := get(t, s, "", s.URL()+"/common/discovery/instance?api-version=1.1&authorization_endpoint="+url.QueryEscape(s.URL()+"/"+testTenant+"/oauth2/v2.0/authorize")).json(t)
	if d["tenant_discovery_endpoint"] != s.URL()+"/"+testTenant+"/v2.0/.well-known/openid-configuration" {
		t.Fatalf("instance discovery: %v", d)
	}
	if a := get(t, s, "", s.URL()+"/other/v2.0/.well-known/openid-configuration"); a.status != 400 || a.json(t)["error"] != "invalid_tenant" {
		t.Fatalf("unknown tenant: %d %s", a.status, a.body)
	}
}
