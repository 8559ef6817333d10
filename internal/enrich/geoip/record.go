package geoip

import (
	"github.com/oschwald/maxminddb-golang/v2/mmdbdata"
)

// The decoders below read only the fields Vigil uses, straight from the database's data
// section: decoding whole GeoIP2 records by reflection (every language's name, every
// subdivision) costs several microseconds and dozens of allocations per lookup. Strings
// come from the reader's string cache, so a lookup allocates nothing here.

// cityRecord is what Vigil reads from a City (or Enterprise) record.
type cityRecord struct {
	City, Country, Region string
	Lat, Long             float64
	HasCoords             bool
	AccuracyKm            int
	AnonymousProxy        bool
	SatelliteProvider     bool
}

// asnRecord is what Vigil reads from an ASN (or ISP) record.
type asnRecord struct {
	Number int
	Org    string
}

// UnmarshalMaxMindDBCursor reads a GeoIP2 City record. The country is the one the address
// is used in; registered_country (where the block is registered) stands in when that is
// missing, as it is for some anycast and satellite ranges.
func (r *cityRecord) UnmarshalMaxMindDBCursor(c mmdbdata.Cursor) (mmdbdata.Cursor, error) {
	var registered string
	next, err := eachEntry(c, func(key []byte, v mmdbdata.Cursor) (mmdbdata.Cursor, error) {
		switch string(key) {
		case "city":
			return readEnglishName(v, &r.City)
		case "country":
			return readISOCode(v, &r.Country)
		case "registered_country":
			return readISOCode(v, &registered)
		case "subdivisions":
			return r.readSubdivisions(v)
		case "location":
			return r.readLocation(v)
		case "traits":
			return r.readTraits(v)
		}
		return v.Skip()
	})
	if r.Country == "" {
		r.Country = registered
	}
	return next, err
}

// readSubdivisions keeps the first, largest subdivision (a US state, a UK nation).
func (r *cityRecord) readSubdivisions(c mmdbdata.Cursor) (mmdbdata.Cursor, error) {
	s, err := c.Slice()
	if err != nil {
		return mmdbdata.Cursor{}, err
	}
	var next mmdbdata.Cursor
	for i, v, ok := s.Next(next); ok; i, v, ok = s.Next(next) {
		if i == 0 {
			next, err = readEnglishName(v, &r.Region)
		} else {
			next, err = v.Skip()
		}
		if err != nil {
			return mmdbdata.Cursor{}, err
		}
	}
	return s.End()
}

func (r *cityRecord) readLocation(c mmdbdata.Cursor) (mmdbdata.Cursor, error) {
	var hasLat, hasLong bool
	next, err := eachEntry(c, func(key []byte, v mmdbdata.Cursor) (mmdbdata.Cursor, error) {
		switch string(key) {
		case "latitude":
			hasLat = true
			return readFloat(v, &r.Lat)
		case "longitude":
			hasLong = true
			return readFloat(v, &r.Long)
		case "accuracy_radius":
			n, next, err := v.ReadUint()
			r.AccuracyKm = int(min(n, 1<<31-1))
			return next, err
		}
		return v.Skip()
	})
	r.HasCoords = hasLat && hasLong && validCoords(r.Lat, r.Long)
	return next, err
}

func (r *cityRecord) readTraits(c mmdbdata.Cursor) (mmdbdata.Cursor, error) {
	return eachEntry(c, func(key []byte, v mmdbdata.Cursor) (mmdbdata.Cursor, error) {
		switch string(key) {
		case "is_anonymous_proxy":
			return readBool(v, &r.AnonymousProxy)
		case "is_satellite_provider":
			return readBool(v, &r.SatelliteProvider)
		}
		return v.Skip()
	})
}

// UnmarshalMaxMindDBCursor reads a GeoLite2 ASN record.
func (r *asnRecord) UnmarshalMaxMindDBCursor(c mmdbdata.Cursor) (mmdbdata.Cursor, error) {
	return eachEntry(c, func(key []byte, v mmdbdata.Cursor) (mmdbdata.Cursor, error) {
		switch string(key) {
		case "autonomous_system_number":
			n, next, err := v.ReadUint()
			if n <= 1<<32-1 {
				r.Number = int(n)
			}
			return next, err
		case "autonomous_system_organization":
			return readString(v, &r.Org)
		}
		return v.Skip()
	})
}

// eachEntry calls fn with every key of the map at c and a cursor on its value; fn returns
// the cursor after the value (the value's successor).
func eachEntry(c mmdbdata.Cursor, fn func(key []byte, v mmdbdata.Cursor) (mmdbdata.Cursor, error)) (mmdbdata.Cursor, error) {
	m, err := c.Map()
	if err != nil {
		return mmdbdata.Cursor{}, err
	}
	var next mmdbdata.Cursor
	for key, v, ok := m.Next(next); ok; key, v, ok = m.Next(next) {
		if next, err = fn(key, v); err != nil {
			return mmdbdata.Cursor{}, err
		}
	}
	return m.End()
}

// readEnglishName reads names.en of a GeoIP2 place (city, subdivision).
func readEnglishName(c mmdbdata.Cursor, dst *string) (mmdbdata.Cursor, error) {
	return eachEntry(c, func(key []byte, v mmdbdata.Cursor) (mmdbdata.Cursor, error) {
		if string(key) != "names" {
			return v.Skip()
		}
		return eachEntry(v, func(lang []byte, name mmdbdata.Cursor) (mmdbdata.Cursor, error) {
			if string(lang) != "en" {
				return name.Skip()
			}
			return readString(name, dst)
		})
	})
}

func readISOCode(c mmdbdata.Cursor, dst *string) (mmdbdata.Cursor, error) {
	return eachEntry(c, func(key []byte, v mmdbdata.Cursor) (mmdbdata.Cursor, error) {
		if string(key) != "iso_code" {
			return v.Skip()
		}
		return readString(v, dst)
	})
}

func readString(c mmdbdata.Cursor, dst *string) (mmdbdata.Cursor, error) {
	s, next, err := c.ReadString()
	*dst = s
	return next, err
}

func readFloat(c mmdbdata.Cursor, dst *float64) (mmdbdata.Cursor, error) {
	f, next, err := c.ReadFloat()
	*dst = f
	return next, err
}

func readBool(c mmdbdata.Cursor, dst *bool) (mmdbdata.Cursor, error) {
	b, next, err := c.ReadBool()
	*dst = b
	return next, err
}

// validCoords rejects what no place has: NaN, infinities, out-of-range degrees.
func validCoords(lat, long float64) bool {
	return lat >= -90 && lat <= 90 && long >= -180 && long <= 180
}
