package geoip

import (
	"testing"

	"github.com/vigil-sec/vigil/internal/event"
)

// FuzzLookup feeds arbitrary source addresses to Lookup and Enrich: they must not panic,
// find only public addresses, and add only coordinates a place can have.
func FuzzLookup(f *testing.F) {
	for _, s := range []string{"81.2.69.160", "2a01:4f8::1", "::ffff:81.2.69.1", "81.2.69.1:443", "[2a01:4f8::1]:443",
		"fe80::1%eth0", "2a01:4f8::1%zone", "10.0.0.1", "", "AWS Internal", "1.2.3", "::", "0.0.0.0", "255.255.255.255",
		"67.43.156.1", "175.16.199.7", "\x00", "81.2.69.160\n"} {
		f.Add(s)
	}
	e := openTest(f, testDBs(f))
	f.Fuzz(func(t *testing.T, ip string) {
		r, found := e.Lookup(ip)
		if _, public := publicAddr(ip); found && !public {
			t.Fatalf("Lookup(%q) found a non-public address: %+v", ip, r)
		}
		ev := &event.Event{SrcEndpoint: event.Endpoint{IP: ip}}
		e.Enrich(ev)
		if loc := ev.SrcEndpoint.Location; loc != nil {
			if !found {
				t.Fatalf("Enrich(%q) placed an address Lookup does not know: %+v", ip, loc)
			}
			if (loc.Lat == nil) != (loc.Long == nil) || loc.Lat != nil && !validCoords(*loc.Lat, *loc.Long) {
				t.Fatalf("Enrich(%q) gave coordinates %v, %v", ip, loc.Lat, loc.Long)
			}
		}
	})
}
