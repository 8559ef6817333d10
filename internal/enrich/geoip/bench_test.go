package geoip

import (
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"testing"

	"github.com/vigil-sec/vigil/internal/event"
)

// benchDBs writes City and ASN databases of n generated /24 networks and /40 IPv6 networks
// (so the search tree is deep, as in a real database) and returns addresses inside them.
func benchDBs(b *testing.B, n int) (Config, []string) {
	b.Helper()
	rng := rand.New(rand.NewPCG(1, 2))
	dir := b.TempDir()
	cfg := Config{CityPath: filepath.Join(dir, "city.mmdb"), ASNPath: filepath.Join(dir, "asn.mmdb")}
	cities := make([]cityEntry, 0, n)
	asns := make([]asnEntry, 0, n)
	var ips []string
	for i := range n {
		var network, ip string
		if i%4 == 3 {
			hi, mid, lo := 0x2a00+rng.IntN(0x100), rng.IntN(0x10000), rng.IntN(0x100)<<8
			network = fmt.Sprintf("%x:%x:%x::/40", hi, mid, lo)
			ip = fmt.Sprintf("%x:%x:%x:1:2:3:4:5", hi, mid, lo|0x42)
		} else {
			a, b, c := 80+rng.IntN(10), rng.IntN(256), rng.IntN(256)
			network = fmt.Sprintf("%d.%d.%d.0/24", a, b, c)
			ip = fmt.Sprintf("%d.%d.%d.%d", a, b, c, 1+rng.IntN(250))
		}
		city := fmt.Sprintf("City %d", i%5000)
		cities = append(cities, cityEntry{network: network, city: city, country: "GB", regions: []string{"Region " + city},
			lat: rng.Float64()*180 - 90, long: rng.Float64()*360 - 180, accuracy: 20})
		asns = append(asns, asnEntry{network: network, number: uint32(64512 + i%1000), org: fmt.Sprintf("Network %d", i%1000)})
		ips = append(ips, ip)
	}
	writeCityDB(b, cfg.CityPath, cities)
	writeASNDB(b, cfg.ASNPath, asns)
	e := openTest(b, cfg)
	for _, ip := range ips {
		if r, _ := e.Lookup(ip); r.City == "" || r.ASN == 0 {
			b.Fatalf("benchmark address %s not in the databases: %+v", ip, r)
		}
	}
	return cfg, ips
}

// BenchmarkEnrich enriches events with neither location nor network from 20,000 addresses
// in turn, so nearly every lookup misses the record cache: the costliest case.
func BenchmarkEnrich(b *testing.B) {
	cfg, ips := benchDBs(b, 20_000)
	e := openTest(b, cfg)
	ev := &event.Event{}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		ev.SrcEndpoint = event.Endpoint{IP: ips[i%len(ips)]}
		e.Enrich(ev)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
	if ev.SrcEndpoint.Location == nil || ev.SrcEndpoint.AutonomousSystem == nil {
		b.Fatalf("not enriched: %+v", ev.SrcEndpoint)
	}
}

// BenchmarkEnrichHotAddresses enriches from 1,000 recurring addresses, as a stream of
// sign-ins and API calls from the same offices and VPN exits does.
func BenchmarkEnrichHotAddresses(b *testing.B) {
	cfg, ips := benchDBs(b, 20_000)
	ips = ips[:1000]
	e := openTest(b, cfg)
	ev := &event.Event{}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		ev.SrcEndpoint = event.Endpoint{IP: ips[i*7919%len(ips)]}
		e.Enrich(ev)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkEnrichParallel is BenchmarkEnrich from every core at once.
func BenchmarkEnrichParallel(b *testing.B) {
	cfg, ips := benchDBs(b, 20_000)
	e := openTest(b, cfg)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		ev := &event.Event{}
		for i := 0; pb.Next(); i++ {
			ev.SrcEndpoint = event.Endpoint{IP: ips[i%len(ips)]}
			e.Enrich(ev)
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkEnrichProviderLocation is an Entra sign-in: the provider's location stands,
// so only the network is looked up.
func BenchmarkEnrichProviderLocation(b *testing.B) {
	cfg, ips := benchDBs(b, 20_000)
	e := openTest(b, cfg)
	loc := &event.Location{City: "Paris", Country: "FR", Lat: f(48.8566), Long: f(2.3522)}
	ev := &event.Event{}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		ev.SrcEndpoint = event.Endpoint{IP: ips[i%len(ips)], Location: loc}
		e.Enrich(ev)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}
