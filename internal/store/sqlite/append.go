package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/goccy/go-json"

	"github.com/vigil-sec/vigil/internal/event"
	"github.com/vigil-sec/vigil/internal/rawjson"
	"github.com/vigil-sec/vigil/internal/store"
)

// insertEvents is the multi-row insert of n index rows: one statement per block instead
// of one per event, which is most of the insert cost through cgo.
func insertEvents(n int) string {
	row := "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
	return `INSERT OR IGNORE INTO events
	(source, uid, time, class_uid, category, entity_type, entity_name, block, off, len,
	 operation, service, ip, country, asn, account, region, user_agent, app, mfa, status,
	 rgroup, auth, resource, target)
	VALUES ` + row + strings.Repeat(", "+row, n-1)
}

// Append stores the events and the checkpoint in one transaction.
func (s *Store) Append(ctx context.Context, source string, events []*event.Event, cp store.Checkpoint) (int, error) {
	fresh, err := s.AppendNew(ctx, source, events, cp)
	return len(fresh), err
}

// AppendNew stores the events and the checkpoint in one transaction and returns the events
// that were not stored before. The events go in blocks of blockSize: while one block's
// index rows are inserted, the next block is encoded and compressed on another goroutine,
// so a large batch uses two cores.
func (s *Store) AppendNew(ctx context.Context, source string, events []*event.Event, cp store.Checkpoint) ([]*event.Event, error) {
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("sqlite: append %s: begin: %w", source, err)
	}
	defer tx.Rollback() // a no-op after Commit

	var fresh []*event.Event
	// The blocks being encoded, oldest first: at most two, one per write buffer.
	var pending []chan encodedBlock
	defer func() {
		for _, ch := range pending { // an error left encodes running: wait for them
			<-ch
		}
	}()
	insertOldest := func() error {
		r := <-pending[0]
		pending = pending[1:]
		if r.err != nil {
			return fmt.Errorf("sqlite: append %s: %w", source, r.err)
		}
		if err := s.insertBlock(ctx, tx, source, r); err != nil {
			return err
		}
		fresh = append(fresh, r.chunk...)
		return nil
	}
	seen := make(map[string]bool, len(events)) // the batch's keys: a uid twice is stored once
	started := 0
	for start := 0; start < len(events); start += blockSize {
		chunk, err := s.onlyNew(ctx, tx, source, events[start:min(start+blockSize, len(events))], seen)
		if err != nil {
			return nil, err
		}
		if len(chunk) == 0 {
			continue
		}
		if len(pending) == len(s.wbufs) {
			if err := insertOldest(); err != nil {
				return nil, err
			}
		}
		// The buffer of the block before the previous one, inserted by now.
		buf := &s.wbufs[started%len(s.wbufs)]
		started++
		ch := make(chan encodedBlock, 1)
		pending = append(pending, ch)
		go func() { ch <- s.encodeBlock(buf, chunk) }()
	}
	for len(pending) > 0 {
		if err := insertOldest(); err != nil {
			return nil, err
		}
	}
	if cp != nil {
		if _, err := tx.ExecContext(ctx, `INSERT INTO checkpoints (source, data, updated) VALUES (?, ?, ?)
			ON CONFLICT (source) DO UPDATE SET data = excluded.data, updated = excluded.updated`,
			source, []byte(cp), time.Now().UnixMilli()); err != nil {
			return nil, fmt.Errorf("sqlite: append %s: checkpoint: %w", source, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("sqlite: append %s: commit: %w", source, err)
	}
	return fresh, nil
}

// encodedBlock is a block's events as JSON lines, compressed, with where each line starts
// (and the end of the last), in a write buffer.
type encodedBlock struct {
	chunk []*event.Event
	buf   *writeBuffers
	err   error
}

// encodeBlock encodes and compresses chunk into buf. It reads the events and writes only
// buf, so it may run beside the inserts of another block.
func (s *Store) encodeBlock(buf *writeBuffers, chunk []*event.Event) encodedBlock {
	w := &buf.block
	w.b, buf.offsets = w.b[:0], buf.offsets[:0]
	for _, ev := range chunk {
		buf.offsets = append(buf.offsets, len(w.b))
		if err := appendEvent(w, buf.enc, ev); err != nil {
			return encodedBlock{err: fmt.Errorf("encode event %s: %w", ev.Metadata.UID, err)}
		}
	}
	buf.offsets = append(buf.offsets, len(w.b))
	buf.compressed = s.enc.EncodeAll(w.b, buf.compressed[:0])
	return encodedBlock{chunk: chunk, buf: buf}
}

// insertBlock stores an encoded block and its events' index rows.
func (s *Store) insertBlock(ctx context.Context, tx *sql.Tx, source string, r encodedBlock) error {
	insBlock, err := s.txStmt(ctx, tx, `INSERT INTO blocks (data) VALUES (?)`)
	if err != nil {
		return fmt.Errorf("sqlite: append %s: %w", source, err)
	}
	res, err := insBlock.ExecContext(ctx, r.buf.compressed) // the driver copies it
	if err != nil {
		return fmt.Errorf("sqlite: append %s: store block: %w", source, err)
	}
	blockID, err := res.LastInsertId()
	if err != nil {
		return fmt.Errorf("sqlite: append %s: %w", source, err)
	}
	offsets := r.buf.offsets
	args := make([]any, 0, len(r.chunk)*25)
	for i, ev := range r.chunk {
		args = rowArgs(args, source, ev, blockID, offsets[i], offsets[i+1]-offsets[i])
	}
	ins, err := s.txStmt(ctx, tx, insertEvents(len(r.chunk)))
	if err != nil {
		return fmt.Errorf("sqlite: append %s: %w", source, err)
	}
	res2, err := ins.ExecContext(ctx, args...)
	if err != nil {
		return fmt.Errorf("sqlite: append %s: index events: %w", source, err)
	}
	affected, err := res2.RowsAffected()
	if err != nil {
		return fmt.Errorf("sqlite: append %s: %w", source, err)
	}
	if int(affected) != len(r.chunk) {
		return fmt.Errorf("sqlite: append %s: %d of %d new events indexed", source, affected, len(r.chunk))
	}
	return nil
}

// txStmt is the statement of text, prepared once for the store and bound to tx: the
// insert of a block's index rows has over a thousand parameters, and preparing it costs
// more than running it. Callers hold writeMu, which guards the cache.
func (s *Store) txStmt(ctx context.Context, tx *sql.Tx, text string) (*sql.Stmt, error) {
	st, ok := s.stmts[text]
	if !ok {
		var err error
		if st, err = s.db.PrepareContext(ctx, text); err != nil {
			return nil, err
		}
		s.stmts[text] = st
	}
	return tx.StmtContext(ctx, st), nil
}

// lineWriter collects a block's JSON lines; the encoder writes into it without the copy
// json.Marshal makes of each event.
type lineWriter struct{ b []byte }

func (w *lineWriter) Write(p []byte) (int, error) {
	w.b = append(w.b, p...)
	return len(p), nil
}

// appendEvent encodes ev onto w's buffer with enc (which writes into w), as json.Marshal
// would (HTML-escaped, UTF-8 normalized). The raw record, most of the bytes, was
// validated when it was normalized; it is checked again cheaply and copied rather than
// re-encoded.
func appendEvent(w *lineWriter, enc *json.Encoder, ev *event.Event) error {
	raw := ev.Raw
	if len(raw) > 0 && !json.Valid(raw) {
		return errors.New("raw record is not valid JSON")
	}
	start := len(w.b)
	// The record goes in raw, after the event's JSON; no other goroutine holds ev while its
	// block is encoded (the inserts work on the block before), so it is set aside in place
	// rather than copying the 1 KB event.
	ev.Raw = nil
	err := enc.Encode(ev) // {...}\n
	ev.Raw = raw
	if err != nil {
		w.b = w.b[:start]
		return err
	}
	if len(raw) == 0 {
		w.b = w.b[:len(w.b)-1]
		return nil
	}
	w.b = append(w.b[:len(w.b)-2], `,"raw":`...)
	w.b = append(w.b, raw...)
	w.b = append(w.b, '}')
	return nil
}

// onlyNew drops the events of a chunk already stored or in seen (the batch's keys so far,
// to which it adds the chunk's), so a re-delivered window costs one index lookup per event
// instead of encoding and compressing it again.
func (s *Store) onlyNew(ctx context.Context, tx *sql.Tx, source string, chunk []*event.Event, seen map[string]bool) ([]*event.Event, error) {
	args := make([]any, 0, len(chunk)+1)
	args = append(args, source)
	for _, ev := range chunk {
		args = append(args, eventKey(ev))
	}
	look, err := s.txStmt(ctx, tx, `SELECT uid FROM events WHERE source = ? AND uid IN (?`+strings.Repeat(",?", len(chunk)-1)+`)`)
	if err != nil {
		return nil, fmt.Errorf("sqlite: append %s: look up stored events: %w", source, err)
	}
	rows, err := look.QueryContext(ctx, args...)
	if err != nil {
		return nil, fmt.Errorf("sqlite: append %s: look up stored events: %w", source, err)
	}
	defer rows.Close()
	stored := map[string]bool{}
	for rows.Next() {
		var uid string
		if err := rows.Scan(&uid); err != nil {
			return nil, fmt.Errorf("sqlite: append %s: %w", source, err)
		}
		stored[uid] = true
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: append %s: %w", source, err)
	}
	fresh := make([]*event.Event, 0, len(chunk)-len(stored))
	for _, ev := range chunk {
		if k := eventKey(ev); !stored[k] && !seen[k] {
			seen[k] = true // a uid twice in one batch is stored once
			fresh = append(fresh, ev)
		}
	}
	return fresh, nil
}

// eventKey is the event's idempotency key within its source.
func eventKey(ev *event.Event) string {
	if ev.Metadata.UID != "" {
		return ev.Metadata.UID
	}
	return rawjson.ContentUID(ev.Raw)
}

// rowArgs appends the index row of one event to args.
func rowArgs(args []any, source string, ev *event.Event, block int64, off, n int) []any {
	var country, asn, mfa string
	if loc := ev.SrcEndpoint.Location; loc != nil {
		country = loc.Country
	}
	if as := ev.SrcEndpoint.AutonomousSystem; as != nil && as.Number > 0 {
		asn = strconv.Itoa(as.Number)
	}
	if ev.IsMFA != nil {
		mfa = strconv.FormatBool(*ev.IsMFA)
	}
	rgroup, resource := store.ResourceOf(ev)
	return append(args, source, eventKey(ev), ev.Time, ev.ClassUID, string(ev.Vigil.Category),
		string(ev.Vigil.Entity.Type), ev.Vigil.Entity.Name, block, off, n,
		ev.API.Operation, ev.API.Service.Name, ev.SrcEndpoint.IP, country, asn, ev.Cloud.Account.UID,
		ev.Cloud.Region, ev.HTTPRequest.UserAgent, ev.Actor.AppName, mfa, ev.Status,
		rgroup, ev.AuthProto, resource, triageTarget(ev))
}
