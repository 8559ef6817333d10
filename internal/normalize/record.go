package normalize

import (
	"bytes"
	"context"
	"encoding/base64"
	stdjson "encoding/json"
	"errors"
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/goccy/go-json"

	"github.com/vigil-sec/vigil/internal/event"
	"github.com/vigil-sec/vigil/internal/rawjson"
)

// recordSink turns records into events for one Stream call.
type recordSink struct {
	n     *Normalizer
	ctx   context.Context
	emit  EmitFunc
	probe rawjson.Probe
	stats Stats

	rowRepair string // a repair the CSV reader adds to the record it hands over
	name      string // the input's name (a file's path), for unparsed records' reasons
}

// record normalizes one JSON object. Invalid JSON is repaired when it can be; anything
// that still fails becomes an unparsed event.
func (rs *recordSink) record(rec []byte) error { return rs.recordProbed(rec, false) }

// recordProbed is record for a caller that may already have probed rec into rs.probe.
func (rs *recordSink) recordProbed(rec []byte, probed bool) error {
	ok, err := rs.tryRecord(rec, probed)
	if !ok {
		rs.stats.Records++
		return rs.emitUnparsed(rec, "invalid JSON: "+syntaxError(rec))
	}
	return err
}

// tryRecord is recordProbed that leaves JSON it cannot repair to the caller (ok false,
// nothing emitted or counted), so a container reader can look for where the next record
// starts before giving up on the rest.
func (rs *recordSink) tryRecord(rec []byte, probed bool) (ok bool, err error) {
	raw := rec
	var repairs []string
	if !json.Valid(rec) {
		fixed, fixes := Repair(rec)
		if len(fixes) == 0 || !json.Valid(fixed) {
			return false, nil
		}
		raw, repairs, probed = fixed, fixes, false
	}
	if rs.rowRepair != "" {
		repairs = append(repairs, rs.rowRepair)
	}
	rs.stats.Records++
	if !utf8.Valid(raw) {
		// Output must be UTF-8 JSON text: the raw record and every field read from it.
		raw, probed = bytes.ToValidUTF8(raw, []byte("\uFFFD")), false
		repairs = append(repairs, RepairInvalidUTF8)
	}
	if !probed {
		rs.probe.Reset(raw)
	}
	if rs.probe.HasDuplicateKey() {
		// The probe and the decoders both take the last value; say the record was ambiguous.
		repairs = append(repairs, RepairDuplicateKeys)
	}
	p := rs.n.parserFor(&rs.probe)
	if p == nil {
		return true, rs.emitUnparsed(raw, "no parser recognises a record with keys "+rs.probe.KeyList(8))
	}
	ev := &event.Event{}
	err = safeParse(p, raw, &rs.probe, ev)
	if errors.Is(err, ErrNotEvent) {
		rs.stats.Skipped++
		return true, nil
	}
	if err != nil {
		return true, rs.emitUnparsed(raw, p.Format()+": "+err.Error())
	}
	ev.Raw = append(stdjson.RawMessage(nil), raw...)
	if len(repairs) > 0 {
		ev.Vigil.Repairs = append(repairs, ev.Vigil.Repairs...)
		rs.stats.Repaired++
	}
	if ev.Vigil.Source == "" {
		ev.Vigil.Source = p.Format()
	}
	if ev.Metadata.UID == "" {
		ev.Metadata.UID = rawjson.ContentUID(raw)
	}
	if ev.Metadata.Version == "" {
		ev.Metadata.Version = event.SchemaVersion
	}
	if ev.Vigil.Category == "" {
		ev.Vigil.Category = event.CategoryOther
	}
	now := rs.n.now()
	if ev.TimeDt == "" { // SetTime was never called (a time of exactly 0 is the epoch)
		// No readable event time: stamp the processing time so time-ordered stages and
		// retention still work, and say so.
		ev.SetTime(now)
		ev.Vigil.Repairs = append(ev.Vigil.Repairs, RepairTimeFromProcessing)
	}
	ev.Metadata.ProcessedTime = now.UnixMilli()
	rs.stats.Events++
	return true, rs.emit(ev)
}

// unparsed counts and emits text that is not a record at all.
func (rs *recordSink) unparsed(b []byte, reason string) error {
	if len(b) == 0 {
		return nil
	}
	rs.stats.Records++
	return rs.emitUnparsed(b, reason)
}

func (rs *recordSink) emitUnparsed(b []byte, reason string) error {
	rs.stats.Unparsed++
	rs.stats.Events++
	if rs.name != "" {
		// Say where it was, so "1 unparsed" can be found.
		reason = fmt.Sprintf("%s (%s, record %d)", reason, rs.name, rs.stats.Records)
	}
	return rs.emit(Unparsed(b, reason, rs.n.now()))
}

// safeParse runs a parser and turns a panic into an error: a parser bug must cost one
// record, never the stream.
func safeParse(p Parser, rec []byte, probe *rawjson.Probe, ev *event.Event) (err error) {
	defer func() {
		if r := recover(); r != nil {
			*ev = event.Event{}
			err = fmt.Errorf("parser panic: %v", r)
		}
	}()
	return p.Parse(rec, probe, ev)
}

// Unparsed is the event for bytes no parser could take: category `unparsed`, the reason in
// vigil.parse_error, and the bytes themselves in raw (a JSON string) or, when they are not
// UTF-8, in vigil.raw_base64. Its time is when it was read.
func Unparsed(b []byte, reason string, now time.Time) *event.Event {
	ev := &event.Event{ClassName: "Base Event", CategoryName: "Uncategorized"}
	ev.SetTime(now)
	ev.SetStatus(event.StatusUnknown)
	ev.SetSeverity(event.SeverityUnknown)
	ev.Metadata.UID = rawjson.ContentUID(b)
	ev.Metadata.Version = event.SchemaVersion
	ev.Metadata.Product = event.Product{Name: "Vigil", VendorName: "Vigil"}
	ev.Metadata.ProcessedTime = now.UnixMilli()
	ev.Vigil.Category = event.CategoryUnparsed
	ev.Vigil.Source = "unparsed"
	ev.Vigil.ParseError = reason
	if utf8.Valid(b) {
		ev.Raw, _ = stdjson.Marshal(string(b))
	} else {
		ev.Vigil.RawBase64 = base64.StdEncoding.EncodeToString(b)
	}
	return ev
}

// syntaxError describes why b is not JSON, with the byte offset.
func syntaxError(b []byte) string {
	var v stdjson.RawMessage
	err := stdjson.Unmarshal(b, &v)
	var se *stdjson.SyntaxError
	if errors.As(err, &se) {
		return fmt.Sprintf("%v at byte %d", se, se.Offset)
	}
	if err != nil {
		return err.Error()
	}
	return "not valid JSON"
}
