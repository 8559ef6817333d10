package normalize

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/vigil-sec/vigil/internal/rawjson"
)

// peekSize is how much of an input is examined to choose between JSON lines (streamed line
// by line, for exports of any size) and a whole document (read at once).
const peekSize = 64 << 10

// maxLine bounds one JSON line; a longer one is kept as an unparsed record.
const maxLine = 64 << 20

// ErrNotLog is returned for an input that is not text or gzip: nothing of it is a record.
var ErrNotLog = errors.New("not a log file")

var wrapperKeys = []string{"Records", "value", "records", "Events"}

func (n *Normalizer) stream(ctx context.Context, r io.Reader, name string, emit EmitFunc) (Stats, error) {
	in := &failReader{r: r}
	br := bufio.NewReaderSize(in, peekSize)
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return Stats{}, fmt.Errorf("%s: not a readable gzip file: %w", name, err)
		}
		defer zr.Close()
		in = &failReader{r: zr} // a cut gzip file fails here, mid-stream
		br = bufio.NewReaderSize(in, peekSize)
	}
	if bom, _ := br.Peek(3); bytes.Equal(bom, []byte("\xef\xbb\xbf")) {
		br.Discard(3)
	}
	rs := &recordSink{n: n, ctx: ctx, emit: emit, name: name}
	head, _ := br.Peek(peekSize)
	if nul := bytes.Count(head, []byte{0}); nul*100 > len(head) && !bytes.HasPrefix(head, []byte{0xff, 0xfe}) && !bytes.HasPrefix(head, []byte{0xfe, 0xff}) {
		// Logs are text: more than 1% NUL bytes in the first 64 KiB (UTF-16 aside) is an
		// executable, an image or a database, not hundreds of unparsed records. A stray
		// NUL in a text export is repaired like any control character.
		return Stats{}, fmt.Errorf("%s: %w (binary data: %d NUL bytes in the first %d)", name, ErrNotLog, nul, len(head))
	}
	start := rawjson.SkipSpace(head, 0)
	var err error
	switch {
	case start >= len(head):
		// empty input
	case isJSONLines(head[start:]):
		err = rs.lines(br)
	case head[start] == '{' || head[start] == '[':
		err = rs.whole(br)
	default:
		err = rs.csv(br)
	}
	// Every mode keeps what it read before the input failed; the failure is reported once.
	if in.err != nil {
		if errors.Is(in.err, io.ErrUnexpectedEOF) {
			// A cut file (a partial download, a truncated object): say so, and that what
			// was read before the cut is kept.
			return rs.stats, fmt.Errorf("%s is cut short (%w) after %d complete records, which are kept; the rest is missing",
				name, in.err, rs.stats.Records-rs.stats.Unparsed)
		}
		return rs.stats, fmt.Errorf("%s: reading stopped: %w", name, in.err)
	}
	if errors.Is(err, io.EOF) {
		err = nil
	}
	return rs.stats, err
}

// failReader remembers the first error of r other than io.EOF: the modes stop at it as at
// the end of input, and stream reports it after keeping what was read.
type failReader struct {
	r   io.Reader
	err error
}

func (f *failReader) Read(p []byte) (int, error) {
	n, err := f.r.Read(p)
	if err != nil && err != io.EOF && f.err == nil {
		f.err = err
	}
	return n, err
}

// isJSONLines reports whether b starts with a one-line JSON value followed by another
// value on a following line.
func isJSONLines(b []byte) bool {
	if b[0] != '{' && b[0] != '[' {
		return false
	}
	nl := bytes.IndexByte(b, '\n')
	if nl < 0 {
		return false
	}
	end := rawjson.EndOfValue(b, 0)
	if end < 0 || end > nl {
		return false
	}
	next := rawjson.SkipSpace(b, nl)
	return next < len(b) && (b[next] == '{' || b[next] == '[')
}

// lines reads JSON lines. A value spanning several lines (pretty-printed objects one after
// another) is gathered until it closes; a line starting a new object at column 0 ends a
// value that never closed, so one broken line cannot swallow the records after it.
func (rs *recordSink) lines(br *bufio.Reader) error {
	var pending []byte
	var open depthScanner
	flush := func() error {
		if len(pending) == 0 {
			return nil
		}
		err := rs.document(pending)
		pending, open = pending[:0], depthScanner{}
		return err
	}
	for {
		line, err := br.ReadSlice('\n')
		if err != nil && err != bufio.ErrBufferFull && err != io.EOF {
			// The input failed: keep the lines read, the one cut short as unparsed.
			pending = append(pending, line...)
			if e := flush(); e != nil {
				return e
			}
			return err
		}
		if len(pending) > 0 && len(line) > 0 && (line[0] == '{' || line[0] == '[') {
			if e := flush(); e != nil { // the open value never closed
				return e
			}
		}
		if len(pending) == 0 {
			if i := rawjson.SkipSpace(line, 0); i == len(line) && err != bufio.ErrBufferFull {
				if err == io.EOF {
					return nil
				}
				continue
			}
		}
		pending = append(pending, line...)
		open.feed(line)
		switch {
		case err == io.EOF:
			return flush()
		case len(pending) > maxLine:
			// One record however long: kept as one unparsed event, the rest of its line
			// skipped without holding it.
			if e := rs.oversized(pending, br, err == nil); e != nil {
				return e
			}
			pending, open = pending[:0], depthScanner{}
		case err == bufio.ErrBufferFull || open.inside():
			continue
		default:
			if e := flush(); e != nil {
				return e
			}
		}
	}
}

// depthScanner tracks bracket depth and string state across chunks of input.
type depthScanner struct {
	depth    int
	inString bool
	escaped  bool
	started  bool
}

func (d *depthScanner) feed(b []byte) {
	for _, c := range b {
		switch {
		case d.inString:
			switch {
			case d.escaped:
				d.escaped = false
			case c == '\\':
				d.escaped = true
			case c == '"':
				d.inString = false
			}
		case c == '"':
			d.inString = true
		case c == '{' || c == '[':
			d.depth++
			d.started = true
		case c == '}' || c == ']':
			d.depth--
		}
	}
}

// inside reports whether a value has started and not closed.
func (d *depthScanner) inside() bool { return d.started && d.depth > 0 }

// document handles a sequence of top-level JSON values: arrays and provider wrappers are
// unwrapped, objects are records, anything else is kept as unparsed text.
func (rs *recordSink) document(data []byte) error {
	i := rawjson.SkipSpace(data, 0)
	for i < len(data) {
		if err := rs.ctx.Err(); err != nil {
			return err
		}
		c := data[i]
		if c == ',' { // between concatenated values
			i = rawjson.SkipSpace(data, i+1)
			continue
		}
		if c != '{' && c != '[' {
			end := nextValueStart(data, i)
			if err := rs.unparsed(bytes.TrimSpace(data[i:end]), "not JSON: text outside any record"); err != nil {
				return err
			}
			i = rawjson.SkipSpace(data, end)
			continue
		}
		var end int
		if c == '{' {
			end = rs.probe.Scan(data[i:]) // finds the extent and the keys in one pass
			if end >= 0 {
				end += i
			}
		} else {
			end = rawjson.EndOfValue(data, i)
		}
		if end < 0 {
			return rs.truncated(data[i:])
		}
		var err error
		if c == '[' {
			err = rs.array(data[i:end])
		} else if inner, ok := rs.wrapped(); ok {
			err = rs.array(inner)
		} else if tables, ok := rs.probe.Value("tables"); ok && len(tables) > 0 && tables[0] == '[' && rs.probe.Len() <= 2 {
			err = rs.queryResult(tables)
		} else {
			err = rs.recordProbed(data[i:end], true)
		}
		if err != nil {
			return err
		}
		i = rawjson.SkipSpace(data, end)
	}
	return nil
}

// truncated handles a value that never closes: records that do close inside it are kept,
// the rest becomes one unparsed record.
func (rs *recordSink) truncated(b []byte) error {
	if b[0] == '[' {
		return rs.elements(b[1:], true)
	}
	if inner, ok := openWrapper(b); ok {
		return rs.elements(inner, true)
	}
	return rs.unparsed(b, "truncated: the record does not end")
}

// array emits the elements of a JSON array (b includes the brackets).
func (rs *recordSink) array(b []byte) error { return rs.elements(b[1:len(b)-1], false) }

func (rs *recordSink) elements(b []byte, open bool) error {
	i := 0
	for {
		i = rawjson.SkipSpace(b, i)
		for i < len(b) && b[i] == ',' {
			i = rawjson.SkipSpace(b, i+1)
		}
		if i >= len(b) {
			return nil
		}
		if b[i] == ']' && open {
			return nil
		}
		if b[i] != '{' && b[i] != '[' {
			end := nextValueStart(b, i)
			if err := rs.unparsed(bytes.TrimSpace(b[i:end]), "not a record: unexpected text in an array"); err != nil {
				return err
			}
			i = end
			continue
		}
		var end int
		if b[i] == '{' {
			end = rs.probe.Scan(b[i:])
		} else {
			end = rawjson.EndOfValue(b[i:], 0)
		}
		if end < 0 {
			if cut, next, ok := resyncPoint(b, i, -1); ok {
				if err := rs.record(b[i:cut]); err != nil {
					return err
				}
				i = next
				continue
			}
			return rs.unparsed(b[i:], "truncated: the record does not end")
		}
		next, err := rs.element(b, i, i+end, b[i] == '{')
		if err != nil {
			return err
		}
		i = next
	}
}

// element takes the array element b[i:end] and returns where the next one may start: past
// it, or, when it is broken JSON that seems to run over the records after it, at the next
// record (see resyncPoint).
func (rs *recordSink) element(b []byte, i, end int, probed bool) (int, error) {
	ok, err := rs.tryRecord(b[i:end], probed)
	if ok || err != nil {
		return end, err
	}
	if cut, next, found := resyncPoint(b, i, end); found {
		return next, rs.record(b[i:cut])
	}
	rs.stats.Records++
	return end, rs.emitUnparsed(b[i:end], "invalid JSON: "+syntaxError(b[i:end]))
}

// nextValueStart finds the next line that starts a JSON object, or the end.
func nextValueStart(b []byte, i int) int {
	for j := i + 1; j < len(b); j++ {
		if b[j] == '\n' {
			k := rawjson.SkipSpace(b, j)
			if k < len(b) && (b[k] == '{' || b[k] == '[') {
				return k
			}
		}
	}
	return len(b)
}

// wrapped returns the array inside a provider wrapper object ({"Records":[...]},
// {"value":[...]}, {"records":[...]}, {"Events":[...]}), including its brackets, reading
// the object's probe in rs.probe.
func (rs *recordSink) wrapped() ([]byte, bool) {
	for _, k := range wrapperKeys {
		if v, ok := rs.probe.Value(k); ok && len(v) > 1 && v[0] == '[' {
			return v, true
		}
	}
	return nil, false
}

// openWrapper finds the unterminated array of a truncated wrapper object.
func openWrapper(b []byte) ([]byte, bool) {
	for _, k := range wrapperKeys {
		key := []byte(`"` + k + `"`)
		if j := bytes.Index(b, key); j > 0 {
			rest := rawjson.SkipSpace(b, j+len(key))
			if rest < len(b) && b[rest] == ':' {
				rest = rawjson.SkipSpace(b, rest+1)
				if rest < len(b) && b[rest] == '[' {
					return b[rest+1:], true
				}
			}
		}
	}
	return nil, false
}
