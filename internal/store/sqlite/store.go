// Package sqlite is Vigil's embedded store: one SQLite file under the data directory, no
// server to run. Events are indexed by time, entity and category in a table of small rows,
// while the full events (normalized fields and raw record) are zstd-compressed in blocks,
// which keeps inserts fast and the file small (docs/store.md has the measurements).
package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	"github.com/goccy/go-json"
	"github.com/klauspost/compress/zstd"
	_ "github.com/mattn/go-sqlite3" // the database/sql driver

	"github.com/vigil-sec/vigil/internal/store"
)

// FileName is the database file inside the data directory.
const FileName = "vigil.db"

// blockSize is how many events share one compressed block: large enough to compress well,
// small enough that reading one event decompresses little.
const blockSize = 64

// Store is the SQLite store.
type Store struct {
	db      *sql.DB
	enc     *zstd.Encoder
	dec     *zstd.Decoder
	writeMu sync.Mutex // one writer at a time; SQLite would serialise them anyway
	cache   *blockCache
	stmts   map[string]*sql.Stmt // prepared statements of the write path, by text; under writeMu
	wbufs   [2]writeBuffers      // under writeMu: one block is encoded while another is inserted
}

// writeBuffers are the write path's scratch buffers, kept between appends: a block's
// events as JSON lines (and the encoder writing into them), where each starts, and the
// block compressed.
type writeBuffers struct {
	block      lineWriter
	enc        *json.Encoder
	compressed []byte
	offsets    []int
}

// Open opens (creating if needed) the store in dir and migrates it to the newest schema.
func Open(ctx context.Context, dir string) (*Store, error) {
	return open(ctx, dir, 0)
}

func open(ctx context.Context, dir string, schemaVersion int) (*Store, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("sqlite: create %s: %w", dir, err)
	}
	path := filepath.Join(dir, FileName)
	dsn := "file:" + path + "?_journal_mode=WAL&_synchronous=NORMAL&_busy_timeout=10000&_foreign_keys=off&_txlock=immediate&_cache_size=-65536&_temp_store=memory"
	db, err := sql.Open("sqlite3", dsn)
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	if err := pingFirstOpen(ctx, db); err != nil {
		db.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	// Checkpoint the WAL less often: fewer fsyncs on the insert path, same durability.
	if _, err := db.ExecContext(ctx, `PRAGMA wal_autocheckpoint = 16384`); err != nil {
		db.Close()
		return nil, fmt.Errorf("sqlite: configure %s: %w", path, err)
	}
	if err := migrate(ctx, db, schemaVersion); err != nil {
		db.Close()
		return nil, err
	}
	enc, err := zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedFastest), zstd.WithEncoderConcurrency(1))
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("sqlite: zstd encoder: %w", err)
	}
	dec, err := zstd.NewReader(nil, zstd.WithDecoderConcurrency(1))
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("sqlite: zstd decoder: %w", err)
	}
	s := &Store{db: db, enc: enc, dec: dec, cache: newBlockCache(32), stmts: map[string]*sql.Stmt{}}
	for i := range s.wbufs {
		s.wbufs[i].enc = json.NewEncoder(&s.wbufs[i].block)
	}
	return s, nil
}

// Close closes the database.
func (s *Store) Close() error {
	s.enc.Close()
	s.dec.Close()
	s.writeMu.Lock()
	for _, st := range s.stmts {
		st.Close()
	}
	s.writeMu.Unlock()
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("sqlite: close: %w", err)
	}
	return nil
}

// blockCache keeps a few decompressed blocks, since a page of results usually reads many
// events of the same block.
type blockCache struct {
	mu    sync.Mutex
	max   int
	order []int64
	data  map[int64][]byte
}

func newBlockCache(max int) *blockCache {
	return &blockCache{max: max, data: map[int64][]byte{}}
}

func (c *blockCache) get(id int64) ([]byte, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	b, ok := c.data[id]
	return b, ok
}

func (c *blockCache) put(id int64, b []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.data[id]; ok {
		return
	}
	if len(c.order) >= c.max {
		delete(c.data, c.order[0])
		c.order = c.order[1:]
	}
	c.order = append(c.order, id)
	c.data[id] = b
}

// clear forgets every block (after retention, whose deleted block ids SQLite may reuse).
func (c *blockCache) clear() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.order, c.data = nil, map[int64][]byte{}
}

var _ store.Store = (*Store)(nil)
