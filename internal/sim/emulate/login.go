package emulate

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// Audiences a token can be issued for. The emulator's own URL serves both APIs, so a
// token for "<URL>/.default" is accepted by both.
const (
	audGraph = "graph"
	audARM   = "arm"
	audBoth  = "emulator"
)

type tokenInfo struct {
	aud     string
	client  string
	expires time.Time // wall time
}

// openIDConfig is the tenant's OpenID Connect metadata; MSAL reads token_endpoint,
// authorization_endpoint and issuer (whose host must be the authority's).
func (s *Server) openIDConfig(r *http.Request, tenant string) response {
	if r.Method != http.MethodGet {
		return aadError(http.StatusMethodNotAllowed, "invalid_request", 900561, "The endpoint only accepts GET requests.", s.wall())
	}
	if !strings.EqualFold(tenant, s.opts.TenantID) {
		return aadError(http.StatusBadRequest, "invalid_tenant", 90002, fmt.Sprintf("Tenant '%s' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.", tenant), s.wall())
	}
	base := s.url + "/" + s.opts.TenantID
	return jsonResponse(http.StatusOK, map[string]any{
		"token_endpoint":                        base + "/oauth2/v2.0/token",
		"token_endpoint_auth_methods_supported": []string{"client_secret_post", "private_key_jwt", "client_secret_basic"},
		"jwks_uri":                              base + "/discovery/v2.0/keys",
		"response_modes_supported":              []string{"query", "fragment", "form_post"},
		"subject_types_supported":               []string{"pairwise"},
		"id_token_signing_alg_values_supported": []string{"RS256"},
		"response_types_supported":              []string{"code", "id_token", "code id_token", "id_token token"},
		"scopes_supported":                      []string{"openid", "profile", "email", "offline_access"},
		"issuer":                                base + "/v2.0",
		"request_uri_parameter_supported":       false,
		"authorization_endpoint":                base + "/oauth2/v2.0/authorize",
		"device_authorization_endpoint":         base + "/oauth2/v2.0/devicecode",
		"end_session_endpoint":                  base + "/oauth2/v2.0/logout",
		"tenant_region_scope":                   "EU",
		"cloud_instance_name":                   "microsoftonline.com",
		"cloud_graph_host_name":                 "graph.windows.net",
		"msgraph_host":                          strings.TrimPrefix(s.url, "https://"),
	})
}

// instanceDiscovery answers /common/discovery/instance. MSAL Go sends it only for a
// trusted Microsoft host (for any other host it asks login.microsoftonline.com), so a
// client of the emulator must disable instance discovery; other clients may call it.
func (s *Server) instanceDiscovery(r *http.Request) response {
	if r.Method != http.MethodGet {
		return aadError(http.StatusMethodNotAllowed, "invalid_request", 900561, "The endpoint only accepts GET requests.", s.wall())
	}
	host := strings.TrimPrefix(s.url, "https://")
	tenant := s.opts.TenantID
	if ae := r.URL.Query().Get("authorization_endpoint"); ae != "" {
		parts := strings.Split(strings.TrimPrefix(strings.TrimPrefix(ae, "https://"), host), "/")
		if len(parts) > 1 && parts[1] != "" {
			tenant = parts[1]
		}
	}
	return jsonResponse(http.StatusOK, map[string]any{
		"tenant_discovery_endpoint": s.url + "/" + tenant + "/v2.0/.well-known/openid-configuration",
		"api-version":               "1.1",
		"metadata":                  []map[string]any{{"preferred_network": host, "preferred_cache": host, "aliases": []string{host}}},
	})
}

// token is the client-credentials grant of POST /{tenant}/oauth2/v2.0/token.
func (s *Server) token(r *http.Request, tenant string) response {
	now := s.wall()
	if r.Method != http.MethodPost {
		return aadError(http.StatusMethodNotAllowed, "invalid_request", 900561, "The endpoint only accepts POST, OPTIONS requests. Received a GET request.", now)
	}
	if !strings.EqualFold(tenant, s.opts.TenantID) {
		return aadError(http.StatusBadRequest, "invalid_request", 90002, fmt.Sprintf("Tenant '%s' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant.", tenant), now)
	}
	if err := r.ParseForm(); err != nil {
		return aadError(http.StatusBadRequest, "invalid_request", 900144, "The request body must contain the following parameter: 'grant_type'.", now)
	}
	form := r.PostForm
	grant := form.Get("grant_type")
	switch grant {
	case "":
		return aadError(http.StatusBadRequest, "invalid_request", 900144, "The request body must contain the following parameter: 'grant_type'.", now)
	case "client_credentials":
	default:
		return aadError(http.StatusBadRequest, "unsupported_grant_type", 70003, fmt.Sprintf("The app requested an unsupported grant type '%s'.", grant), now)
	}
	client, secret := form.Get("client_id"), form.Get("client_secret")
	if u, p, ok := r.BasicAuth(); ok {
		client, secret = u, p
	}
	if client == "" {
		return aadError(http.StatusBadRequest, "invalid_request", 900144, "The request body must contain the following parameter: 'client_id'.", now)
	}
	if !strings.EqualFold(client, s.opts.ClientID) {
		return aadError(http.StatusBadRequest, "unauthorized_client", 700016, fmt.Sprintf("Application with identifier '%s' was not found in the directory '%s'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.", client, s.opts.TenantID), now)
	}
	if secret == "" {
		if form.Get("client_assertion") != "" {
			return aadError(http.StatusUnauthorized, "invalid_client", 700027, "Client assertion failed signature validation.", now)
		}
		return aadError(http.StatusUnauthorized, "invalid_client", 7000218, "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.", now)
	}
	if secret != s.opts.ClientSecret {
		return aadError(http.StatusUnauthorized, "invalid_client", 7000215, fmt.Sprintf("Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '%s'.", s.opts.ClientID), now)
	}
	scope := form.Get("scope")
	if scope == "" {
		return aadError(http.StatusBadRequest, "invalid_request", 900144, "The request body must contain the following parameter: 'scope'.", now)
	}
	aud, resp, ok := s.audience(scope, now)
	if !ok {
		return resp
	}
	tok := s.issue(aud, client, now)
	secs := int(s.opts.TokenLifetime / time.Second)
	s.stats.token()
	return jsonResponse(http.StatusOK, map[string]any{
		"token_type": "Bearer", "expires_in": secs, "ext_expires_in": secs, "access_token": tok,
	})
}

// audience maps a client-credentials scope to the API it is for.
func (s *Server) audience(scope string, now time.Time) (string, response, bool) {
	fields := strings.Fields(scope)
	aud := ""
	for _, f := range fields {
		if f == "openid" || f == "profile" || f == "offline_access" {
			continue
		}
		res, ok := strings.CutSuffix(f, "/.default")
		if !ok {
			return "", aadError(http.StatusBadRequest, "invalid_scope", 1002012, fmt.Sprintf("The provided value for scope %s is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).", f), now), false
		}
		var a string
		switch strings.TrimSuffix(strings.ToLower(res), "/") {
		case "https://graph.microsoft.com", "00000003-0000-0000-c000-000000000000":
			a = audGraph
		case "https://management.azure.com", "https://management.core.windows.net", "797f4846-ba00-4fd7-ba43-dac1f8f63013":
			a = audARM
		case strings.ToLower(s.url):
			a = audBoth
		default:
			return "", aadError(http.StatusBadRequest, "invalid_resource", 500011, fmt.Sprintf("The resource principal named %s was not found in the tenant named %s. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You might have sent your authentication request to the wrong tenant.", res, s.opts.TenantID), now), false
		}
		if aud != "" && aud != a {
			return "", aadError(http.StatusBadRequest, "invalid_scope", 28000, "Provided value for the input parameter scope is not valid because it contains more than one resource. Scope "+scope+" is not valid.", now), false
		}
		aud = a
	}
	if aud == "" {
		return "", aadError(http.StatusBadRequest, "invalid_scope", 1002012, fmt.Sprintf("The provided value for scope %s is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).", scope), now), false
	}
	return aud, response{}, true
}

func (s *Server) issue(aud, client string, now time.Time) string {
	var b [32]byte
	_, _ = rand.Read(b[:])
	tok := "emu." + base64.RawURLEncoding.EncodeToString(b[:])
	s.authMu.Lock()
	defer s.authMu.Unlock()
	for k, t := range s.tokens { // forget long-expired tokens so the map stays small
		if now.Sub(t.expires) > 24*time.Hour {
			delete(s.tokens, k)
		}
	}
	s.tokens[tok] = tokenInfo{aud: aud, client: client, expires: now.Add(s.opts.TokenLifetime)}
	return tok
}

// authError says why a data request's bearer token is refused, per API family.
type authError struct{ code, msg string }

// authorize checks the bearer token for an API family (audGraph or audARM).
func (s *Server) authorize(r *http.Request, family string, now time.Time) (tokenInfo, *authError) {
	h := r.Header.Get("Authorization")
	tok, ok := strings.CutPrefix(h, "Bearer ")
	if !ok || strings.TrimSpace(tok) == "" {
		if family == audARM {
			return tokenInfo{}, &authError{"AuthenticationFailed", "Authentication failed. The 'Authorization' header is missing."}
		}
		return tokenInfo{}, &authError{"InvalidAuthenticationToken", "Access token is empty."}
	}
	s.authMu.Lock()
	info, known := s.tokens[strings.TrimSpace(tok)]
	s.authMu.Unlock()
	switch {
	case !known && family == audARM:
		return info, &authError{"InvalidAuthenticationToken", "The access token is invalid."}
	case !known:
		return info, &authError{"InvalidAuthenticationToken", "IDX14100: JWT is not well formed, there are no dots (.). The token needs to be in JWS or JWE Compact Serialization Format."}
	case !now.Before(info.expires) && family == audARM:
		return info, &authError{"ExpiredAuthenticationToken", fmt.Sprintf("The access token expiry UTC time '%s' is earlier than current UTC time '%s'.", info.expires.UTC().Format("1/2/2006 3:04:05 PM"), now.UTC().Format("1/2/2006 3:04:05 PM"))}
	case !now.Before(info.expires):
		return info, &authError{"InvalidAuthenticationToken", "Lifetime validation failed, the token is expired."}
	case info.aud != family && info.aud != audBoth && family == audARM:
		return info, &authError{"InvalidAuthenticationTokenAudience", "The access token has been obtained for wrong audience or resource 'https://graph.microsoft.com'. It should exactly match with one of the allowed audiences 'https://management.core.windows.net/','https://management.core.windows.net','https://management.azure.com/','https://management.azure.com'."}
	case info.aud != family && info.aud != audBoth:
		return info, &authError{"InvalidAuthenticationToken", "Access token validation failure. Invalid audience."}
	}
	return info, nil
}

// aadError is the identity platform's OAuth error body, AADSTS code and all.
func aadError(status int, code string, aadsts int, msg string, now time.Time) response {
	trace, corr := newRequestID(), newRequestID()
	ts := now.UTC().Format("2006-01-02 15:04:05Z")
	return jsonResponse(status, map[string]any{
		"error":             code,
		"error_description": fmt.Sprintf("AADSTS%d: %s Trace ID: %s Correlation ID: %s Timestamp: %s", aadsts, msg, trace, corr, ts),
		"error_codes":       []int{aadsts},
		"timestamp":         ts,
		"trace_id":          trace,
		"correlation_id":    corr,
		"error_uri":         fmt.Sprintf("https://login.microsoftonline.com/error?code=%d", aadsts),
	})
}
