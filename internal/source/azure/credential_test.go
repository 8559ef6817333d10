package azure

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vigil-sec/vigil/internal/sim/emulate"
	"github.com/vigil-sec/vigil/internal/source"
)

const (
	testTenant = "5d3e1f2a-7b6c-4d8e-9f0a-1b2c3d4e5f60"
	testClient = "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d"
	testSecret = "Zq8~not-a-real-secret-4f1e"
)

func startEmulator(t *testing.T) *emulate.Server {
	t.Helper()
	emu, err := emulate.New(emulate.Options{TenantID: testTenant, ClientID: testClient, ClientSecret: testSecret})
	if err != nil {
		t.Fatal(err)
	}
	if err := emu.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = emu.Close() })
	return emu
}

// token asks the emulator's authority for a Graph token with creds.
func token(t *testing.T, emu *emulate.Server, c Credentials) error {
	t.Helper()
	c.LoginEndpoint = emu.URL()
	tokens, err := NewTokens(c, emu.Client(), "https://graph.microsoft.com")
	if err != nil {
		return err
	}
	_, err = tokens.Token(t.Context())
	return err
}

func TestClientSecretTokensAndRefusals(t *testing.T) {
	emu := startEmulator(t)
	ok := Credentials{Auth: AuthClientSecret, TenantID: testTenant, ClientID: testClient, ClientSecret: testSecret}
	if err := token(t, emu, ok); err != nil {
		t.Fatalf("token: %v", err)
	}
	cases := map[string]struct {
		mod  func(*Credentials)
		code string
	}{
		"wrong secret":   {func(c *Credentials) { c.ClientSecret = "x" + testSecret }, "AADSTS7000215"},
		"unknown app":    {func(c *Credentials) { c.ClientID = "00000000-0000-4000-8000-000000000001" }, "AADSTS700016"},
		"unknown tenant": {func(c *Credentials) { c.TenantID = "00000000-0000-4000-8000-000000000002" }, "AADSTS90002"},
	}
	for name, tc := range cases {
		c := ok
		tc.mod(&c)
		err := token(t, emu, c)
		if !errors.Is(err, source.ErrPermanent) || !strings.Contains(err.Error(), tc.code) {
			t.Errorf("%s: got %v, want a permanent error naming %s", name, err, tc.code)
		}
		if err != nil && (strings.Contains(err.Error(), testSecret) || strings.Contains(err.Error(), "\n")) {
			t.Errorf("%s: the error shows the secret or spans lines: %q", name, err)
		}
	}
}

func TestCertificateAndWorkloadIdentitySendAnAssertion(t *testing.T) {
	emu := startEmulator(t)
	dir := t.TempDir()
	certFile := filepath.Join(dir, "app.pem")
	if err := os.WriteFile(certFile, selfSignedPEM(t), 0o600); err != nil {
		t.Fatal(err)
	}
	tokenFile := filepath.Join(dir, "sa-token")
	if err := os.WriteFile(tokenFile, []byte("eyJhbGciOiJSUzI1NiJ9.e30.c2lnbmF0dXJl"), 0o600); err != nil {
		t.Fatal(err)
	}
	// The emulator knows the app by its secret only, so a signed assertion reaching it is
	// refused with AADSTS700027: proof the credential built and sent one.
	for name, c := range map[string]Credentials{
		"certificate":       {Auth: AuthCertificate, TenantID: testTenant, ClientID: testClient, CertificateFile: certFile},
		"workload identity": {Auth: AuthWorkloadIdentity, TenantID: testTenant, ClientID: testClient, FederatedTokenFile: tokenFile},
	} {
		if err := token(t, emu, c); !errors.Is(err, source.ErrPermanent) || !strings.Contains(err.Error(), "AADSTS700027") {
			t.Errorf("%s: got %v, want the assertion refused with AADSTS700027", name, err)
		}
	}
	bad := Credentials{Auth: AuthCertificate, TenantID: testTenant, ClientID: testClient, CertificateFile: tokenFile}
	if _, err := NewCredential(bad, emu.Client()); !errors.Is(err, source.ErrPermanent) || !strings.Contains(err.Error(), "certificate_file") {
		t.Errorf("a file without a certificate: %v", err)
	}
	if _, err := NewCredential(Credentials{Auth: AuthManagedIdentity, TenantID: testTenant}, emu.Client()); err != nil {
		t.Errorf("managed identity credential: %v", err)
	}
}

func TestSovereignCloudDefaults(t *testing.T) {
	for name, want := range map[string][3]string{
		"":      {"https://login.microsoftonline.com/", "https://graph.microsoft.com", "https://management.azure.com"},
		"usgov": {"https://login.microsoftonline.us/", "https://graph.microsoft.us", "https://management.usgovcloudapi.net"},
		"china": {"https://login.chinacloudapi.cn/", "https://microsoftgraph.chinacloudapi.cn", "https://management.chinacloudapi.cn"},
	} {
		c, err := LookupCloud(name)
		if err != nil || [3]string{c.Login, c.Graph, c.ARM} != want {
			t.Errorf("cloud %q = %+v, %v; want %v", name, c, err, want)
		}
		if !knownLogin(c.Login) {
			t.Errorf("cloud %q: its own authority must keep instance discovery", name)
		}
	}
	if knownLogin("https://127.0.0.1:4443/") {
		t.Error("a custom authority must skip instance discovery")
	}
	cred := Credentials{Cloud: "china", LoginEndpoint: "https://login.example.test"}
	if cred.LoginURL() != "https://login.example.test/" {
		t.Errorf("login override: %s", cred.LoginURL())
	}
}

func selfSignedPEM(t *testing.T) []byte {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048) // Entra ID takes RSA keys only
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "vigil-test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kb, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return append(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kb})...)
}
