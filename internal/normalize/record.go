package normalize

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/csv"
	stdjson "encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
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
}

// record normalizes one JSON object. Invalid JSON is repaired when it can be; anything
// that still fails becomes an unparsed event.
func (rs *recordSink) record(rec []byte) error { return rs.recordProbed(rec, false) }

// recordProbed is record for a caller that may already have probed rec into rs.probe.
func (rs *recordSink) recordProbed(rec []byte, probed bool) error {
	raw := rec
	var repairs []string
	if !json.Valid(rec) {
		fixed, fixes := Repair(rec)
		if len(fixes) == 0 || !json.Valid(fixed) {
			rs.stats.Records++
			return rs.emitUnparsed(rec, "invalid JSON: "+syntaxError(rec))
		}
		raw, repairs, probed = fixed, fixes, false
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
		return rs.emitUnparsed(raw, "no parser recognises a record with keys "+rs.probe.KeyList(8))
	}
	ev := &event.Event{}
	err := safeParse(p, raw, &rs.probe, ev)
	if errors.Is(err, ErrNotEvent) {
		rs.stats.Skipped++
		return nil
	}
	if err != nil {
		return rs.emitUnparsed(raw, p.Format()+": "+err.Error())
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
	return rs.emit(ev)
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

// csv reads a CSV export with a header row (Log Analytics / Sentinel): each row becomes a
// JSON object of column name to string value, then a record.
func (rs *recordSink) csv(data []byte) error {
	r := csv.NewReader(bytes.NewReader(data))
	r.LazyQuotes = true
	r.FieldsPerRecord = -1
	header, err := r.Read()
	if err != nil || len(header) < 2 {
		return rs.textLines(data)
	}
	for i := range header {
		header[i] = strings.TrimSpace(header[i])
	}
	for {
		if err := rs.ctx.Err(); err != nil {
			return err
		}
		startOff := r.InputOffset()
		row, err := r.Read()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			line := bytes.TrimSpace(data[startOff:r.InputOffset()])
			if e := rs.unparsed(line, "csv: "+err.Error()); e != nil {
				return e
			}
			continue
		}
		if e := rs.record(rowObject(header, row)); e != nil {
			return e
		}
	}
}

// rowObject encodes one CSV row as a JSON object; cells beyond the header are kept under
// "_column_N".
func rowObject(header, row []string) []byte {
	out := make([]byte, 0, 512)
	out = append(out, '{')
	for i, cell := range row {
		if i > 0 {
			out = append(out, ',')
		}
		name := fmt.Sprintf("_column_%d", i+1)
		if i < len(header) && header[i] != "" {
			name = header[i]
		}
		out = appendJSONString(out, name)
		out = append(out, ':')
		out = appendJSONString(out, cell)
	}
	return append(out, '}')
}

func appendJSONString(out []byte, s string) []byte {
	b, _ := stdjson.Marshal(s)
	return append(out, b...)
}

// textLines keeps every non-empty line of input that is neither JSON nor CSV.
func (rs *recordSink) textLines(data []byte) error {
	for _, line := range bytes.Split(data, []byte("\n")) {
		if line = bytes.TrimSpace(line); len(line) > 0 {
			if err := rs.unparsed(line, "not JSON or CSV"); err != nil {
				return err
			}
		}
	}
	return nil
}
