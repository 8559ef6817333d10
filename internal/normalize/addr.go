package normalize

import (
	"net/netip"
	"strings"
)

// ParseAddr reads a client address as providers write it: a bare IPv4 or IPv6 address,
// an address with a port ("5.5.5.5:3832", "[2001:db8::1]:443"), a CIDR ("127.0.0.0/8",
// the prefix's address is kept), or IPv6 with a stray "::" before all eight groups (seen in
// Azure audit logs). ok is false for anything else — a service name, "123.456.7.89".
func ParseAddr(s string) (ip string, port int, ok bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", 0, false
	}
	if a, err := netip.ParseAddr(s); err == nil {
		return a.String(), 0, true
	}
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().String(), int(ap.Port()), true
	}
	if pf, err := netip.ParsePrefix(s); err == nil {
		return pf.Addr().String(), 0, true
	}
	if strings.HasPrefix(s, "::") {
		if a, err := netip.ParseAddr(s[2:]); err == nil {
			return a.String(), 0, true
		}
	}
	return "", 0, false
}

// FirstNonEmpty returns the first of ss that is not blank, trimmed.
func FirstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s = strings.TrimSpace(s); s != "" {
			return s
		}
	}
	return ""
}
