package geoip

import (
	"bytes"
	"net"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/maxmind/mmdbwriter"
	"github.com/maxmind/mmdbwriter/mmdbtype"
)

// The databases here are made up for the tests: the networks are real address space so
// that they count as public, the places and the networks' owners are invented.

// cityEntry is one network of a test City database. An empty country with a registered
// one models blocks known only by where they are registered.
type cityEntry struct {
	network                   string
	city, country, registered string
	regions                   []string
	lat, long                 float64
	accuracy                  uint16
	noLocation                bool
	anonymousProxy, satellite bool
}

// asnEntry is one network of a test ASN database.
type asnEntry struct {
	network string
	number  uint32
	org     string
}

var (
	london = cityEntry{network: "81.2.69.0/24", city: "London", country: "GB", regions: []string{"England"},
		lat: 51.5142, long: -0.0931, accuracy: 10}
	berlin = cityEntry{network: "2a01:4f8::/32", city: "Berlin", country: "DE", regions: []string{"Land Berlin"},
		lat: 52.5244, long: 13.4105, accuracy: 20}
	linkoping = cityEntry{network: "89.160.20.0/24", city: "Linköping", country: "SE",
		regions: []string{"Östergötland County", "Linköping Municipality"}, lat: 58.4167, long: 15.6167, accuracy: 50,
		anonymousProxy: true}
	countryOnly = cityEntry{network: "175.16.199.0/24", country: "CN", lat: 34.7732, long: 113.722, accuracy: 1000}
	satellite   = cityEntry{network: "67.43.156.0/24", registered: "BT", noLocation: true, satellite: true}
	privateNet  = cityEntry{network: "10.0.0.0/8", city: "Nowhere", country: "ZZ", lat: 1, long: 1, accuracy: 1}

	testCities = []cityEntry{london, berlin, linkoping, countryOnly, satellite, privateNet}
	testASNs   = []asnEntry{
		{"81.2.69.0/24", 64500, "Example Transit Ltd"},
		{"2a01:4f8::/32", 64501, "Example Hosting GmbH"},
		{"89.160.20.0/24", 64502, "Example Fibre AB"},
		{"10.0.0.0/8", 64503, "Private Example"},
	}
)

// names is a GeoIP2 names map with a few languages, as real records have.
func names(en string) mmdbtype.Map {
	return mmdbtype.Map{"en": mmdbtype.String(en), "de": mmdbtype.String(en + " (de)"), "ja": mmdbtype.String(en + " (ja)")}
}

func (c cityEntry) record() mmdbtype.Map {
	rec := mmdbtype.Map{"continent": mmdbtype.Map{"code": mmdbtype.String("EU"), "names": names("Europe")}}
	if c.city != "" {
		rec["city"] = mmdbtype.Map{"geoname_id": mmdbtype.Uint32(1), "names": names(c.city)}
	}
	if c.country != "" {
		rec["country"] = mmdbtype.Map{"iso_code": mmdbtype.String(c.country), "names": names(c.country + " land")}
	}
	if c.registered != "" {
		rec["registered_country"] = mmdbtype.Map{"iso_code": mmdbtype.String(c.registered)}
	}
	if len(c.regions) > 0 {
		var subs mmdbtype.Slice
		for _, r := range c.regions {
			subs = append(subs, mmdbtype.Map{"iso_code": mmdbtype.String("X"), "names": names(r)})
		}
		rec["subdivisions"] = subs
	}
	if !c.noLocation {
		rec["location"] = mmdbtype.Map{"latitude": mmdbtype.Float64(c.lat), "longitude": mmdbtype.Float64(c.long),
			"accuracy_radius": mmdbtype.Uint16(c.accuracy), "time_zone": mmdbtype.String("Etc/UTC")}
	}
	if c.anonymousProxy || c.satellite {
		rec["traits"] = mmdbtype.Map{"is_anonymous_proxy": mmdbtype.Bool(c.anonymousProxy),
			"is_satellite_provider": mmdbtype.Bool(c.satellite)}
	}
	return rec
}

// writeCityDB writes a City database of entries to path, replacing it atomically as a
// database updater does.
func writeCityDB(tb testing.TB, path string, entries []cityEntry) {
	tb.Helper()
	tree := newTree(tb, "GeoLite2-City")
	for _, e := range entries {
		insert(tb, tree, e.network, e.record())
	}
	writeTree(tb, tree, path)
}

func writeASNDB(tb testing.TB, path string, entries []asnEntry) {
	tb.Helper()
	tree := newTree(tb, "GeoLite2-ASN")
	for _, e := range entries {
		insert(tb, tree, e.network, mmdbtype.Map{
			"autonomous_system_number":       mmdbtype.Uint32(e.number),
			"autonomous_system_organization": mmdbtype.String(e.org),
		})
	}
	writeTree(tb, tree, path)
}

func newTree(tb testing.TB, dbType string) *mmdbwriter.Tree {
	tb.Helper()
	// Reserved networks are allowed so that a private range can be in the database and
	// the tests can show it is still left alone.
	tree, err := mmdbwriter.New(mmdbwriter.Options{
		DatabaseType:            dbType,
		Description:             map[string]string{"en": "Vigil test database"},
		IncludeReservedNetworks: true,
	})
	if err != nil {
		tb.Fatal(err)
	}
	return tree
}

func insert(tb testing.TB, tree *mmdbwriter.Tree, network string, rec mmdbtype.Map) {
	tb.Helper()
	_, n, err := net.ParseCIDR(network)
	if err != nil {
		tb.Fatal(err)
	}
	if err := tree.Insert(n, rec); err != nil {
		tb.Fatal(err)
	}
}

func writeTree(tb testing.TB, tree *mmdbwriter.Tree, path string) {
	tb.Helper()
	var buf bytes.Buffer
	if _, err := tree.WriteTo(&buf); err != nil {
		tb.Fatal(err)
	}
	replaceFile(tb, path, buf.Bytes())
}

// replaceFile puts data at path by writing a new file and renaming it over the old one.
func replaceFile(tb testing.TB, path string, data []byte) {
	tb.Helper()
	tmp, err := os.CreateTemp(filepath.Dir(path), ".new-*")
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := tmp.Write(data); err != nil {
		tb.Fatal(err)
	}
	if err := tmp.Close(); err != nil {
		tb.Fatal(err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		tb.Fatal(err)
	}
}

// testDBs writes the standard City and ASN databases into a new directory.
func testDBs(tb testing.TB) Config {
	tb.Helper()
	dir := tb.TempDir()
	cfg := Config{CityPath: filepath.Join(dir, "city.mmdb"), ASNPath: filepath.Join(dir, "asn.mmdb")}
	writeCityDB(tb, cfg.CityPath, testCities)
	writeASNDB(tb, cfg.ASNPath, testASNs)
	return cfg
}

// logBuffer collects log output; safe for the concurrent writes of Run and a test.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}
