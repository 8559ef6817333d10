package azure

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"

	"github.com/vigil-sec/vigil/internal/source"
)

// NewCredential builds the azidentity credential the settings name. Token requests go
// through hc (so a private CA and the timeouts apply) and are not retried inside the SDK:
// the supervisor owns retries. Every error here is the settings' (an unreadable or
// non-RSA certificate, no token file), so it is source.Permanent.
func NewCredential(c Credentials, hc *http.Client) (azcore.TokenCredential, error) {
	login := c.LoginURL()
	opts := azcore.ClientOptions{
		Cloud:     cloud.Configuration{ActiveDirectoryAuthorityHost: login},
		Transport: hc,
		Retry:     policy.RetryOptions{MaxRetries: -1},
	}
	// MSAL asks login.microsoft.com whether an authority is genuine; an authority it
	// does not know (a proxy, the emulator) must skip that.
	noDiscovery := !knownLogin(login)
	switch c.Auth {
	case "", AuthClientSecret:
		cred, err := azidentity.NewClientSecretCredential(c.TenantID, c.ClientID, c.ClientSecret.Reveal(),
			&azidentity.ClientSecretCredentialOptions{ClientOptions: opts, DisableInstanceDiscovery: noDiscovery})
		if err != nil {
			return nil, source.Permanent(fmt.Errorf("azure: client secret credential: %w", err))
		}
		return cred, nil
	case AuthCertificate:
		data := []byte(c.Certificate)
		if c.CertificateFile != "" {
			b, err := os.ReadFile(c.CertificateFile)
			if err != nil {
				return nil, source.Permanent(fmt.Errorf("azure: certificate_file: %w", err))
			}
			data = b
		}
		var pw []byte
		if c.CertificatePassword != "" {
			pw = []byte(c.CertificatePassword)
		}
		certs, key, err := azidentity.ParseCertificates(data, pw)
		if err != nil {
			return nil, source.Permanent(fmt.Errorf("azure: certificate_file: %w", err))
		}
		cred, err := azidentity.NewClientCertificateCredential(c.TenantID, c.ClientID, certs, key,
			&azidentity.ClientCertificateCredentialOptions{ClientOptions: opts, DisableInstanceDiscovery: noDiscovery, SendCertificateChain: true})
		if err != nil {
			return nil, source.Permanent(fmt.Errorf("azure: certificate credential: %w", err))
		}
		return cred, nil
	case AuthManagedIdentity:
		mo := &azidentity.ManagedIdentityCredentialOptions{ClientOptions: opts}
		// IMDS is plain HTTP on a link-local address: a transport with a private CA is
		// not what it needs, and the SDK pins its own client where it must.
		mo.Transport = nil
		if c.ClientID != "" {
			mo.ID = azidentity.ClientID(c.ClientID)
		}
		cred, err := azidentity.NewManagedIdentityCredential(mo)
		if err != nil {
			return nil, source.Permanent(fmt.Errorf("azure: managed identity credential: %w", err))
		}
		return cred, nil
	case AuthWorkloadIdentity:
		cred, err := azidentity.NewWorkloadIdentityCredential(&azidentity.WorkloadIdentityCredentialOptions{
			ClientOptions: opts, TenantID: c.TenantID, ClientID: c.ClientID,
			TokenFilePath: c.FederatedTokenFile, DisableInstanceDiscovery: noDiscovery})
		if err != nil {
			return nil, source.Permanent(fmt.Errorf("azure: workload identity credential: %w", err))
		}
		return cred, nil
	}
	return nil, source.Permanent(fmt.Errorf("azure: auth: unknown method %q", c.Auth))
}

// Tokens hands out bearer tokens for one scope; the credential caches them until they
// are close to expiry. Renew drops the cache, for a token the service refused before
// its time (clock skew, a revoked session).
type Tokens struct {
	newCred func() (azcore.TokenCredential, error)
	scope   string
	tenant  string

	mu   sync.Mutex
	cred azcore.TokenCredential
}

// NewTokens returns tokens of the credentials c for resource (e.g.
// "https://graph.microsoft.com"), requested through hc.
func NewTokens(c Credentials, hc *http.Client, resource string) (*Tokens, error) {
	t := &Tokens{
		newCred: func() (azcore.TokenCredential, error) { return NewCredential(c, hc) },
		scope:   strings.TrimSuffix(resource, "/") + "/.default", tenant: c.TenantID,
	}
	cred, err := t.newCred()
	if err != nil {
		return nil, err
	}
	t.cred = cred
	return t, nil
}

// Renew makes the next Token ask the authority afresh.
func (t *Tokens) Renew() error {
	cred, err := t.newCred()
	if err != nil {
		return err
	}
	t.mu.Lock()
	t.cred = cred
	t.mu.Unlock()
	return nil
}

// Token returns a bearer token or a classified error: a rejected secret, certificate,
// tenant or app is source.Permanent with the AADSTS reason; throttling is a
// *source.RetryAfter; anything else (the network) is transient.
func (t *Tokens) Token(ctx context.Context) (string, error) {
	t.mu.Lock()
	cred := t.cred
	t.mu.Unlock()
	tok, err := cred.GetToken(ctx, policy.TokenRequestOptions{Scopes: []string{t.scope}})
	if err != nil {
		if ctx.Err() != nil {
			return "", fmt.Errorf("azure: token for tenant %s: %w", t.tenant, context.Cause(ctx))
		}
		return "", classifyTokenError(t.tenant, err)
	}
	return tok.Token, nil
}

// tokenErrorBody is the OAuth error reply of the token endpoint.
type tokenErrorBody struct {
	Error       string `json:"error"`
	Description string `json:"error_description"`
	Codes       []int  `json:"error_codes"`
}

func classifyTokenError(tenant string, err error) error {
	var afe *azidentity.AuthenticationFailedError
	if !errors.As(err, &afe) || afe.RawResponse == nil {
		// No HTTP reply: unreachable authority, TLS failure, no managed identity here.
		// The SDK's message is long and multi-line; its first line is the reason.
		return fmt.Errorf("azure: token for tenant %s: %s", tenant, firstLine(err.Error()))
	}
	resp := afe.RawResponse
	var body tokenErrorBody
	if b, err := runtime.Payload(resp); err == nil {
		_ = json.Unmarshal(b, &body)
	}
	reason := firstLine(body.Description)
	if reason == "" {
		reason = body.Error
	}
	if reason == "" {
		reason = resp.Status
	}
	base := fmt.Errorf("azure: token for tenant %s: HTTP %d %s: %s", tenant, resp.StatusCode, body.Error, reason)
	switch {
	case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable || resp.StatusCode == http.StatusGatewayTimeout:
		wait, _ := ParseRetryAfter(resp.Header.Get("Retry-After"), time.Now())
		if wait <= 0 {
			wait = DefaultThrottleWait
		}
		return &source.RetryAfter{Wait: wait, Err: base}
	case resp.StatusCode >= 400 && resp.StatusCode < 500:
		// invalid_client (AADSTS7000215 wrong secret, AADSTS700016 unknown app),
		// unauthorized_client, invalid_request (AADSTS90002 unknown tenant): no retry mends it.
		return source.Permanent(base)
	}
	return base
}

// firstLine is s up to its first line break, trimmed; AADSTS descriptions carry a trace
// and correlation id on later lines.
func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexAny(s, "\r\n"); i >= 0 {
		s = s[:i]
	}
	return strings.TrimSpace(s)
}
