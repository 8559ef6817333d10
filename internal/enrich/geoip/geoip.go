// Package geoip adds where an address is and which network it belongs to to events, from
// MaxMind-format City and ASN databases. It fills only what the provider left out, and
// swaps in updated database files without a restart.
package geoip

import (
	"cmp"
	"log/slog"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/oschwald/maxminddb-golang/v2"
	"github.com/oschwald/maxminddb-golang/v2/mmdbdata"
	"github.com/vigil-sec/vigil/internal/event"
)

// Enricher looks addresses up in the configured databases. It is safe for concurrent
// use, also while Run or Reload swaps in new files.
type Enricher struct {
	cfg     Config
	logger  *slog.Logger
	sources [2]source
	dbs     atomic.Pointer[databases]

	reloadMu sync.Mutex    // one reload at a time; guards failed
	failed   [2]*fileStamp // the file last refused per source, so it is reported once
}

// databases is one consistent set of opened files, indexed like Enricher.sources; an
// entry is nil when its path is not configured.
type databases [2]*database

const (
	cityDB = iota
	asnDB
)

// source is one configured database file.
type source struct {
	key, path string
	wrongType string // a database type that is a mistake under this key
}

// maxAccuracyKm is the largest accuracy radius whose coordinates are added. Records known
// only to the country carry its centroid with a radius of about 1,000 km; a travel
// detector would read that point as a place and see journeys nobody made.
const maxAccuracyKm = 500

// Result is what the databases say about one address. Country is ISO 3166-1 alpha-2,
// City and Region (the largest subdivision) are English names, AccuracyKm is the radius
// around Lat/Long the address is likely within (0 when unknown). The trait flags exist
// only in GeoIP2 databases that carry them.
type Result struct {
	Country, City, Region string
	Lat, Long             float64
	AccuracyKm            int
	ASN                   int
	ASOrg                 string
	IsAnonymousProxy      bool
	IsSatelliteProvider   bool
}

// Open opens the configured databases. With none configured it returns an Enricher that
// does nothing. A configured file that is missing or not a MaxMind database is an error
// naming the config key and path.
func Open(cfg Config, logger *slog.Logger) (*Enricher, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	e := &Enricher{cfg: cfg.withDefaults(), logger: logger}
	e.sources[cityDB] = source{key: e.cfg.CityKey, path: cfg.CityPath, wrongType: "ASN"}
	e.sources[asnDB] = source{key: e.cfg.ASNKey, path: cfg.ASNPath, wrongType: "City"}
	var dbs databases
	for i, src := range e.sources {
		if src.path == "" {
			continue
		}
		d, err := openDatabase(src.key, src.path, src.wrongType)
		if err != nil {
			return nil, err
		}
		dbs[i] = d
		logger.Info("geoip: database opened", d.describe()...)
	}
	if dbs[cityDB] == nil && dbs[asnDB] == nil {
		logger.Info("geoip: no geo database configured (" + e.cfg.CityKey + ", " + e.cfg.ASNKey + "); detections that need locations use only what providers give")
	}
	e.dbs.Store(&dbs)
	return e, nil
}

// Enrich fills ev.SrcEndpoint.Location and AutonomousSystem from the databases where the
// provider left them out. The provider's own location wins: coordinates are added to a
// provider's country or city only when the database agrees on it. Addresses that are
// empty, unparsable, private or reserved are left alone.
func (e *Enricher) Enrich(ev *event.Event) {
	dbs := e.dbs.Load()
	src := &ev.SrcEndpoint
	loc, as := src.Location, src.AutonomousSystem
	needPlace := dbs[cityDB] != nil && (loc == nil || loc.Lat == nil || loc.Long == nil)
	needNetwork := dbs[asnDB] != nil && (as == nil || as.Name == "")
	if !needPlace && !needNetwork {
		return
	}
	addr, ok := publicAddr(src.IP)
	if !ok {
		return
	}
	if needPlace {
		if rec, ok := dbs[cityDB].city(addr); ok {
			fillLocation(src, rec)
		}
	}
	if needNetwork {
		if rec, ok := dbs[asnDB].asn(addr); ok {
			fillNetwork(src, rec)
		}
	}
}

// Lookup says what the databases know about ip; false when it is not a public address or
// neither database has it. Detectors use it for what events do not carry, such as the
// accuracy radius.
func (e *Enricher) Lookup(ip string) (Result, bool) {
	addr, ok := publicAddr(ip)
	if !ok {
		return Result{}, false
	}
	dbs := e.dbs.Load()
	var r Result
	c, foundPlace := dbs[cityDB].city(addr)
	if foundPlace {
		r.Country, r.City, r.Region = c.Country, c.City, c.Region
		if c.HasCoords {
			r.Lat, r.Long = c.Lat, c.Long
		}
		r.AccuracyKm, r.IsAnonymousProxy, r.IsSatelliteProvider = c.AccuracyKm, c.AnonymousProxy, c.SatelliteProvider
	}
	n, foundNetwork := dbs[asnDB].asn(addr)
	if foundNetwork {
		r.ASN, r.ASOrg = n.Number, n.Org
	}
	return r, foundPlace || foundNetwork
}

// placed is a location and its coordinates in one allocation.
type placed struct {
	loc       event.Location
	lat, long float64
}

func fillLocation(src *event.Endpoint, rec *cityRecord) {
	coords := rec.HasCoords && rec.AccuracyKm <= maxAccuracyKm
	loc := src.Location
	if loc == nil {
		if rec.Country == "" && rec.City == "" && !coords {
			return
		}
		p := &placed{loc: event.Location{City: rec.City, Country: rec.Country, Region: rec.Region}}
		if coords {
			p.lat, p.long = rec.Lat, rec.Long
			p.loc.Lat, p.loc.Long = &p.lat, &p.long
		}
		src.Location = &p.loc
		return
	}
	if !agrees(loc, rec) {
		return
	}
	loc.City = cmp.Or(loc.City, rec.City)
	loc.Country = cmp.Or(loc.Country, rec.Country)
	loc.Region = cmp.Or(loc.Region, rec.Region)
	if coords {
		p := &placed{lat: rec.Lat, long: rec.Long}
		loc.Lat, loc.Long = &p.lat, &p.long
	}
}

// agrees reports whether the database record describes the place the provider named, so
// its coordinates may be added: the same country, and the same city where both name one.
// A provider city without a country must match the database's city.
func agrees(loc *event.Location, rec *cityRecord) bool {
	sameCity := loc.City == "" || rec.City == "" || strings.EqualFold(loc.City, rec.City)
	switch {
	case loc.Country != "":
		return strings.EqualFold(loc.Country, rec.Country) && sameCity
	case loc.City != "":
		return rec.City != "" && sameCity
	}
	return true
}

func fillNetwork(src *event.Endpoint, rec *asnRecord) {
	if rec.Number == 0 {
		return
	}
	as := src.AutonomousSystem
	switch {
	case as == nil:
		src.AutonomousSystem = &event.AutonomousSystem{Number: rec.Number, Name: rec.Org}
	case as.Number == 0:
		as.Number, as.Name = rec.Number, rec.Org
	case as.Number == rec.Number:
		as.Name = rec.Org
	}
}

// city looks addr up in a City database; d may be nil. The record is shared: read only.
func (d *database) city(addr netip.Addr) (*cityRecord, bool) {
	if d == nil {
		return nil, false
	}
	return lookup(d.reader, d.cities, addr)
}

// asn looks addr up in an ASN database; d may be nil. The record is shared: read only.
func (d *database) asn(addr netip.Addr) (*asnRecord, bool) {
	if d == nil {
		return nil, false
	}
	return lookup(d.reader, d.networks, addr)
}

// lookup finds addr's record, decoding it only when the cache does not have it. A record
// that does not decode (a database of an unexpected shape) counts as not found.
func lookup[T any, P interface {
	*T
	mmdbdata.CursorUnmarshaler
}](r *maxminddb.Reader, cache *recordCache[T], addr netip.Addr) (*T, bool) {
	res := r.Lookup(addr)
	if !res.Found() {
		return nil, false
	}
	if rec, ok := cache.get(res.Offset()); ok {
		return rec, true
	}
	e := &cachedRecord[T]{offset: res.Offset()}
	if err := res.Decode(P(&e.rec)); err != nil {
		return nil, false
	}
	cache.put(e)
	return &e.rec, true
}
