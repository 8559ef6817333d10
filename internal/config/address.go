package config

import (
	"fmt"
	"net"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Address is a syslog receiver written as SCHEME://HOST:PORT with SCHEME udp, tcp or tls
// (a CEF output's `address`), so every output reads it, and fails on it, the same way.
type Address struct {
	Network string // "udp", "tcp" or "tls"
	Host    string // HOST:PORT
}

func (a Address) String() string {
	if a.Network == "" {
		return ""
	}
	return a.Network + "://" + a.Host
}

// ParseAddress reads udp://HOST:PORT, tcp://HOST:PORT or tls://HOST:PORT.
func ParseAddress(s string) (Address, error) {
	scheme, hostport, ok := strings.Cut(strings.TrimSpace(s), "://")
	if !ok {
		return Address{}, fmt.Errorf("%q has no scheme: write udp://HOST:PORT, tcp://HOST:PORT or tls://HOST:PORT", s)
	}
	switch scheme = strings.ToLower(scheme); scheme {
	case "udp", "tcp", "tls":
	default:
		return Address{}, fmt.Errorf("scheme %q: want udp, tcp or tls", scheme)
	}
	host, port, err := net.SplitHostPort(hostport)
	if err != nil || host == "" {
		return Address{}, fmt.Errorf("%q is not HOST:PORT (siem.example.com:6514)", hostport)
	}
	if p, err := strconv.Atoi(port); err != nil || p < 1 || p > 65535 {
		return Address{}, fmt.Errorf("port %q is not a number from 1 to 65535", port)
	}
	return Address{Network: scheme, Host: hostport}, nil
}

// UnmarshalYAML reads an address.
func (a *Address) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return fmt.Errorf("an address must be a string such as tcp://siem:514")
	}
	v, err := ParseAddress(n.Value)
	if err != nil {
		return err
	}
	*a = v
	return nil
}

// MarshalYAML writes the address back as SCHEME://HOST:PORT.
func (a Address) MarshalYAML() (any, error) { return a.String(), nil }
