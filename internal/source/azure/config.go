package azure

import (
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/vigil-sec/vigil/internal/config"
)

// Auth methods (`auth:`).
const (
	AuthClientSecret     = "client_secret"
	AuthCertificate      = "certificate"
	AuthManagedIdentity  = "managed_identity"
	AuthWorkloadIdentity = "workload_identity"
)

// Credentials are the sign-in settings every Microsoft source shares; providers inline
// them in their Config (`yaml:",inline"`). The client secret is a config.Secret, so no
// print or log of a config shows it; the config loader fills it from `client_secret_file`
// and expands ${ENV}.
type Credentials struct {
	TenantID string `yaml:"tenant_id"`
	// ClientID is the app registration's id; with managed_identity it picks a
	// user-assigned identity (empty: the system-assigned one).
	ClientID     string        `yaml:"client_id"`
	ClientSecret config.Secret `yaml:"client_secret"`
	// CertificateFile is a PEM (certificate and unencrypted or encrypted key) or PKCS#12
	// file; Certificate is the same content inline, for loaders that read *_file keys.
	CertificateFile     string `yaml:"certificate_file"`
	Certificate         string `yaml:"certificate"`
	CertificatePassword string `yaml:"certificate_password"`
	// FederatedTokenFile is the workload identity's token (a Kubernetes service account
	// token); empty reads AZURE_FEDERATED_TOKEN_FILE as the AKS webhook sets it.
	FederatedTokenFile string `yaml:"federated_token_file"`
	Auth               string `yaml:"auth"`
	Cloud              string `yaml:"cloud"`
	LoginEndpoint      string `yaml:"login_endpoint"`
	// CAFile adds a private CA's PEM certificates to the system roots, for a TLS-
	// inspecting proxy or a private endpoint.
	CAFile string `yaml:"ca_file"`
}

// DefaultCredentials are the defaults: a client secret on the public cloud.
func DefaultCredentials() Credentials {
	return Credentials{Auth: AuthClientSecret, Cloud: "public"}
}

// Validate checks the settings without reading files or the network; each error names
// its key.
func (c Credentials) Validate() error {
	var errs []error
	req := func(key, v string) {
		if strings.TrimSpace(v) == "" {
			errs = append(errs, fmt.Errorf("%s: required", key))
		}
	}
	if _, err := LookupCloud(c.Cloud); err != nil {
		errs = append(errs, fmt.Errorf("cloud: %w", err))
	}
	switch c.Auth {
	case "", AuthClientSecret:
		req("tenant_id", c.TenantID)
		req("client_id", c.ClientID)
		if c.ClientSecret == "" {
			errs = append(errs, errors.New("client_secret: required with auth client_secret (or client_secret_file)"))
		}
	case AuthCertificate:
		req("tenant_id", c.TenantID)
		req("client_id", c.ClientID)
		if c.CertificateFile == "" && c.Certificate == "" {
			errs = append(errs, errors.New("certificate_file: required with auth certificate"))
		}
	case AuthManagedIdentity:
		req("tenant_id", c.TenantID)
	case AuthWorkloadIdentity:
		req("tenant_id", c.TenantID)
		req("client_id", c.ClientID)
	default:
		errs = append(errs, fmt.Errorf("auth: unknown method %q (want client_secret, certificate, managed_identity or workload_identity)", c.Auth))
	}
	if c.TenantID != "" && strings.ContainsAny(c.TenantID, "/?#@ ") {
		errs = append(errs, fmt.Errorf("tenant_id: %q is not a tenant id or domain", c.TenantID))
	}
	if err := CheckEndpoint(c.LoginEndpoint); err != nil {
		errs = append(errs, fmt.Errorf("login_endpoint: %w", err))
	}
	return errors.Join(errs...)
}

// CheckEndpoint accepts "" or an absolute https URL (MSAL and Vigil send tokens only over
// TLS).
func CheckEndpoint(s string) error {
	if s == "" {
		return nil
	}
	u, err := url.Parse(s)
	if err != nil {
		return fmt.Errorf("%q is not a URL", s)
	}
	if u.Scheme != "https" || u.Host == "" {
		return fmt.Errorf("%q must be an https:// URL", s)
	}
	return nil
}

// LoginURL is the authority host to use: the override, else the cloud's, ending in "/".
func (c Credentials) LoginURL() string {
	login := c.LoginEndpoint
	if login == "" {
		cl, _ := LookupCloud(c.Cloud)
		login = cl.Login
	}
	if !strings.HasSuffix(login, "/") {
		login += "/"
	}
	return login
}

// AppKey identifies the app and tenant a request budget belongs to.
func (c Credentials) AppKey() string {
	app := c.ClientID
	if app == "" {
		app = c.Auth
	}
	return app + "@" + strings.ToLower(c.TenantID)
}
