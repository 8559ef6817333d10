package geoip

import (
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vigil-sec/vigil/internal/event"
)

func openTest(tb testing.TB, cfg Config) *Enricher {
	tb.Helper()
	e, err := Open(cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		tb.Fatal(err)
	}
	return e
}

func f(v float64) *float64 { return &v }

// ep is a source endpoint at ip with a location and a network (either may be nil).
func ep(ip string, loc *event.Location, as *event.AutonomousSystem) event.Endpoint {
	return event.Endpoint{IP: ip, Location: loc, AutonomousSystem: as}
}

func TestEnrich(t *testing.T) {
	e := openTest(t, testDBs(t))
	londonLoc := &event.Location{City: "London", Country: "GB", Region: "England", Lat: f(51.5142), Long: f(-0.0931)}
	londonAS := &event.AutonomousSystem{Number: 64500, Name: "Example Transit Ltd"}
	paris := &event.Location{City: "Paris", Country: "FR", Region: "Île-de-France", Lat: f(48.8566), Long: f(2.3522)}
	const lon = "81.2.69.160"
	tests := []struct {
		name     string
		in, want event.Endpoint
	}{
		{"ipv4 without location", ep(lon, nil, nil), ep(lon, londonLoc, londonAS)},
		{"ipv6", ep("2a01:4f8:1:2::3", nil, nil), ep("2a01:4f8:1:2::3",
			&event.Location{City: "Berlin", Country: "DE", Region: "Land Berlin", Lat: f(52.5244), Long: f(13.4105)},
			&event.AutonomousSystem{Number: 64501, Name: "Example Hosting GmbH"})},
		{"ipv4-mapped ipv6", ep("::ffff:"+lon, nil, nil), ep("::ffff:"+lon, londonLoc, londonAS)},
		{"address with port", ep(lon+":443", nil, nil), ep(lon+":443", londonLoc, londonAS)},
		{"first subdivision is the region, English names", ep("89.160.20.112", nil, nil), ep("89.160.20.112",
			&event.Location{City: "Linköping", Country: "SE", Region: "Östergötland County", Lat: f(58.4167), Long: f(15.6167)},
			&event.AutonomousSystem{Number: 64502, Name: "Example Fibre AB"})},
		{"provider location with coordinates wins", ep(lon, paris, nil), ep(lon, paris, londonAS)},
		{"provider country and city without coordinates get the database's",
			ep(lon, &event.Location{City: "london", Country: "GB"}, nil),
			ep(lon, &event.Location{City: "london", Country: "GB", Region: "England", Lat: f(51.5142), Long: f(-0.0931)}, londonAS)},
		{"provider country that differs gets no coordinates",
			ep(lon, &event.Location{City: "Paris", Country: "FR"}, nil),
			ep(lon, &event.Location{City: "Paris", Country: "FR"}, londonAS)},
		{"provider city that differs gets no coordinates",
			ep(lon, &event.Location{City: "Manchester", Country: "GB"}, nil),
			ep(lon, &event.Location{City: "Manchester", Country: "GB"}, londonAS)},
		{"provider city alone must match",
			ep(lon, &event.Location{City: "Leeds"}, nil), ep(lon, &event.Location{City: "Leeds"}, londonAS)},
		{"provider network wins",
			ep(lon, nil, &event.AutonomousSystem{Number: 64999, Name: "Provider Net"}),
			ep(lon, londonLoc, &event.AutonomousSystem{Number: 64999, Name: "Provider Net"})},
		{"provider network number gets its name",
			ep(lon, nil, &event.AutonomousSystem{Number: 64500}), ep(lon, londonLoc, londonAS)},
		{"provider network number that differs gets no name",
			ep(lon, nil, &event.AutonomousSystem{Number: 64999}), ep(lon, londonLoc, &event.AutonomousSystem{Number: 64999})},
		{"country-level record gives no coordinates",
			ep("175.16.199.7", nil, nil), ep("175.16.199.7", &event.Location{Country: "CN"}, nil)},
		{"registered country stands in", ep("67.43.156.1", nil, nil), ep("67.43.156.1", &event.Location{Country: "BT"}, nil)},
		{"private address in the database is left alone", ep("10.1.2.3", nil, nil), ep("10.1.2.3", nil, nil)},
		{"documentation address", ep("203.0.113.9", nil, nil), ep("203.0.113.9", nil, nil)},
		{"loopback", ep("::1", nil, nil), ep("::1", nil, nil)},
		{"not in the database", ep("8.8.8.8", nil, nil), ep("8.8.8.8", nil, nil)},
		{"service name", ep("AWS Internal", nil, nil), ep("AWS Internal", nil, nil)},
		{"no address", ep("", nil, nil), ep("", nil, nil)},
		{"bad octet", ep("81.2.69.256", nil, nil), ep("81.2.69.256", nil, nil)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev := &event.Event{SrcEndpoint: tt.in}
			e.Enrich(ev)
			if got, want := endpointJSON(t, ev.SrcEndpoint), endpointJSON(t, tt.want); got != want {
				t.Errorf("got  %s\nwant %s", got, want)
			}
		})
	}
}

func endpointJSON(t *testing.T, ep event.Endpoint) string {
	t.Helper()
	b, err := json.Marshal(ep)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestLookup(t *testing.T) {
	e := openTest(t, testDBs(t))
	tests := []struct {
		ip    string
		want  Result
		found bool
	}{
		{"81.2.69.160", Result{Country: "GB", City: "London", Region: "England", Lat: 51.5142, Long: -0.0931, AccuracyKm: 10,
			ASN: 64500, ASOrg: "Example Transit Ltd"}, true},
		{"89.160.20.1", Result{Country: "SE", City: "Linköping", Region: "Östergötland County", Lat: 58.4167, Long: 15.6167,
			AccuracyKm: 50, ASN: 64502, ASOrg: "Example Fibre AB", IsAnonymousProxy: true}, true},
		{"175.16.199.7", Result{Country: "CN", Lat: 34.7732, Long: 113.722, AccuracyKm: 1000}, true},
		{"67.43.156.1", Result{Country: "BT", IsSatelliteProvider: true}, true},
		{"8.8.8.8", Result{}, false},
		{"10.1.2.3", Result{}, false},
		{"garbage", Result{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.ip, func(t *testing.T) {
			got, found := e.Lookup(tt.ip)
			if got != tt.want || found != tt.found {
				t.Errorf("Lookup(%q) = %+v, %v; want %+v, %v", tt.ip, got, found, tt.want, tt.found)
			}
		})
	}
}

func TestOnlyOneDatabase(t *testing.T) {
	cfg := testDBs(t)
	tests := []struct {
		name string
		cfg  Config
		want event.Endpoint
	}{
		{"city only", Config{CityPath: cfg.CityPath},
			event.Endpoint{IP: "81.2.69.160", Location: &event.Location{City: "London", Country: "GB", Region: "England", Lat: f(51.5142), Long: f(-0.0931)}}},
		{"asn only", Config{ASNPath: cfg.ASNPath},
			event.Endpoint{IP: "81.2.69.160", AutonomousSystem: &event.AutonomousSystem{Number: 64500, Name: "Example Transit Ltd"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev := &event.Event{SrcEndpoint: event.Endpoint{IP: "81.2.69.160"}}
			openTest(t, tt.cfg).Enrich(ev)
			if got, want := endpointJSON(t, ev.SrcEndpoint), endpointJSON(t, tt.want); got != want {
				t.Errorf("got  %s\nwant %s", got, want)
			}
		})
	}
}

func TestNoDatabaseDoesNothing(t *testing.T) {
	var logs logBuffer
	e, err := Open(Config{}, slog.New(slog.NewTextHandler(&logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		ev := &event.Event{SrcEndpoint: event.Endpoint{IP: "81.2.69.160"}}
		e.Enrich(ev)
		if ev.SrcEndpoint.Location != nil || ev.SrcEndpoint.AutonomousSystem != nil {
			t.Fatalf("enriched without a database: %+v", ev.SrcEndpoint)
		}
		if _, found := e.Lookup("81.2.69.160"); found {
			t.Fatal("Lookup found an address without a database")
		}
	}
	if got := strings.Count(logs.String(), "no geo database"); got != 1 {
		t.Errorf("logged %d times that there is no database, want once:\n%s", got, logs.String())
	}
	if !strings.Contains(logs.String(), "level=INFO") {
		t.Errorf("want an Info line:\n%s", logs.String())
	}
}

func TestOpenErrors(t *testing.T) {
	good := testDBs(t)
	dir := t.TempDir()
	missing := filepath.Join(dir, "nope.mmdb")
	garbage := filepath.Join(dir, "garbage.mmdb")
	if err := os.WriteFile(garbage, []byte("this is not a database\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	corrupt := filepath.Join(dir, "corrupt.mmdb")
	writeCorrupt(t, good.CityPath, corrupt)
	empty := filepath.Join(dir, "empty.mmdb")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		cfg  Config
		want string
	}{
		{"missing city", Config{CityPath: missing}, "geoip: city_db " + missing + ": "},
		{"missing asn", Config{CityPath: good.CityPath, ASNPath: missing}, "geoip: asn_db " + missing + ": "},
		{"not a database", Config{CityPath: garbage}, "geoip: city_db " + garbage + ": not a MaxMind database"},
		{"empty file", Config{ASNPath: empty}, "geoip: asn_db " + empty + ": not a MaxMind database"},
		{"corrupt database", Config{CityPath: corrupt}, "geoip: city_db " + corrupt + ": corrupt database"},
		{"asn file as city_db", Config{CityPath: good.ASNPath}, `geoip: city_db ` + good.ASNPath + `: database type "GeoLite2-ASN" is not meant for city_db`},
		{"city file as asn_db", Config{ASNPath: good.CityPath}, `geoip: asn_db ` + good.CityPath + `: database type "GeoLite2-City" is not meant for asn_db`},
		{"negative reload", Config{ReloadEvery: -1}, "geoip: reload_every -1ns: must not be negative"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := Open(tt.cfg, slog.New(slog.DiscardHandler))
			if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
				t.Fatalf("Open = %v, %v; want an error starting %q", e, err, tt.want)
			}
		})
	}
}

// writeCorrupt copies the database at from to to with its search tree overwritten, so
// the file still has valid metadata and only a full check finds the damage.
func writeCorrupt(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < len(b)/2; i++ {
		b[i] = 0xff
	}
	if err := os.WriteFile(to, b, 0o600); err != nil {
		t.Fatal(err)
	}
}
