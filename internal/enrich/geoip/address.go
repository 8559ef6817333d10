package geoip

import "net/netip"

// reserved are ranges outside the private ones that no geo database places: shared
// carrier-grade NAT, IETF protocol assignments, documentation, benchmarking, class E.
var reserved = [...]netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),
	netip.MustParsePrefix("100.64.0.0/10"),
	netip.MustParsePrefix("192.0.0.0/24"),
	netip.MustParsePrefix("192.0.2.0/24"),
	netip.MustParsePrefix("198.18.0.0/15"),
	netip.MustParsePrefix("198.51.100.0/24"),
	netip.MustParsePrefix("203.0.113.0/24"),
	netip.MustParsePrefix("240.0.0.0/4"),
	netip.MustParsePrefix("2001:db8::/32"),
}

// maxAddrLen bounds what is parsed: the longest IPv6 text with a port is under 64 bytes,
// and source fields sometimes hold service names or whole sentences.
const maxAddrLen = 64

// publicAddr parses s, an address with or without a port, and reports whether it is a
// public unicast address worth looking up. IPv4-mapped IPv6 addresses count as IPv4.
func publicAddr(s string) (netip.Addr, bool) {
	if s == "" || len(s) > maxAddrLen {
		return netip.Addr{}, false
	}
	addr, err := netip.ParseAddr(s)
	if err != nil {
		ap, err := netip.ParseAddrPort(s)
		if err != nil {
			return netip.Addr{}, false
		}
		addr = ap.Addr()
	}
	addr = addr.Unmap().WithZone("")
	if !addr.IsGlobalUnicast() || addr.IsPrivate() {
		return netip.Addr{}, false
	}
	for _, p := range reserved {
		if p.Contains(addr) {
			return netip.Addr{}, false
		}
	}
	return addr, true
}
