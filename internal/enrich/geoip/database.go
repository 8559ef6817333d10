package geoip

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"time"

	"github.com/oschwald/maxminddb-golang/v2"
)

// database is one opened .mmdb file with what its file looked like when it was read.
// The reader works on a copy in memory (not a memory map), so a database that was swapped
// out needs no Close: the garbage collector frees it once the last lookup using it ends,
// and no lookup can ever touch unmapped memory.
type database struct {
	key    string // the config key, for errors and logs: "city_db"
	path   string
	reader *maxminddb.Reader
	file   fileStamp

	cities   *recordCache[cityRecord]
	networks *recordCache[asnRecord]
}

// fileStamp is what Run compares to notice a new file: size and modification time.
type fileStamp struct {
	size    int64
	modTime time.Time
}

func stampOf(fi os.FileInfo) fileStamp { return fileStamp{size: fi.Size(), modTime: fi.ModTime()} }

// pathless drops the operation and path of a file error the caller names already
// ("stat /x.mmdb: no such file or directory" after "city_db /x.mmdb:").
func pathless(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// openDatabase reads and checks the file at path. wrongType is a database type that
// cannot be meant for this key (an ASN file given as city_db, say); "" checks nothing.
func openDatabase(key, path, wrongType string) (*database, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("geoip: %s %s: %w", key, path, pathless(err))
	}
	buf, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("geoip: %s %s: %w", key, path, pathless(err))
	}
	reader, err := maxminddb.OpenBytes(buf)
	if err != nil {
		return nil, fmt.Errorf("geoip: %s %s: not a MaxMind database: %w", key, path, err)
	}
	// Verify walks the whole file once. The record decoders trust the data section's
	// structure, and a file cut short by a copy still in progress must be refused here,
	// not found out one lookup at a time.
	if err := reader.Verify(); err != nil {
		return nil, fmt.Errorf("geoip: %s %s: corrupt database: %w", key, path, err)
	}
	if t := reader.Metadata.DatabaseType; wrongType != "" && strings.Contains(t, wrongType) {
		return nil, fmt.Errorf("geoip: %s %s: database type %q is not meant for %s", key, path, t, key)
	}
	return &database{key: key, path: path, reader: reader, file: stampOf(fi),
		cities: new(recordCache[cityRecord]), networks: new(recordCache[asnRecord])}, nil
}

// describe gives the attributes logged when a database is opened.
func (d *database) describe() []any {
	m := d.reader.Metadata
	return []any{"key", d.key, "path", d.path, "type", m.DatabaseType, "built", m.BuildTime().UTC().Format(time.DateOnly)}
}
