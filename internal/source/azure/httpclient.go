package azure

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"net/http"
	"os"
	"time"
)

// Timeouts of the client NewHTTPClient makes. A Graph page of 1,000 sign-ins is a few
// megabytes; the whole exchange gets two minutes, the first byte thirty seconds.
const (
	dialTimeout     = 10 * time.Second
	headerTimeout   = 30 * time.Second
	exchangeTimeout = 2 * time.Minute
)

// NewHTTPClient returns a client with connection, header and overall timeouts, trusting
// the system roots plus the PEM certificates in caFile when one is given.
func NewHTTPClient(caFile string) (*http.Client, error) {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.DialContext = (&net.Dialer{Timeout: dialTimeout, KeepAlive: 30 * time.Second}).DialContext
	tr.TLSHandshakeTimeout = dialTimeout
	tr.ResponseHeaderTimeout = headerTimeout
	tr.TLSClientConfig = &tls.Config{MinVersion: tls.VersionTLS12}
	if caFile != "" {
		pem, err := os.ReadFile(caFile)
		if err != nil {
			return nil, fmt.Errorf("azure: ca_file: %w", err)
		}
		pool, err := x509.SystemCertPool()
		if err != nil || pool == nil {
			pool = x509.NewCertPool()
		}
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("azure: ca_file: %s holds no PEM certificate", caFile)
		}
		tr.TLSClientConfig.RootCAs = pool
	}
	return &http.Client{Transport: tr, Timeout: exchangeTimeout}, nil
}
