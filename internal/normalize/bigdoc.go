package normalize

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"io"

	"github.com/vigil-sec/vigil/internal/rawjson"
)

// Memory stays bounded whatever the input's size. A JSON document up to wholeDocument bytes
// is read whole (every container shape, including concatenated and damaged ones); a larger
// one is streamed: its top-level arrays and provider wrappers ({"Records":[…]} and the
// like) element by element, any other top-level object whole up to maxLine. One record
// longer than maxLine, in a document or on a JSON line, becomes one unparsed event holding
// its first oversizeKept bytes, with an id hashed from all of it.
const (
	wholeDocument = 16 << 20
	oversizeKept  = 64 << 10
)

// whole reads a document that starts with { or [.
func (rs *recordSink) whole(br *bufio.Reader) error {
	data, err := io.ReadAll(io.LimitReader(br, wholeDocument+1))
	if err != nil || len(data) <= wholeDocument {
		if e := rs.document(data); e != nil { // what was read before a failure is kept
			return e
		}
		return err
	}
	return rs.streamDocument(&window{r: io.MultiReader(bytes.NewReader(data), br)})
}

// window is the part of a streamed input being looked at, addressed by absolute offsets.
type window struct {
	r   io.Reader
	buf []byte // input from offset off
	off int64
	eof bool
}

// has makes sure the byte at offset i is read, reporting false at the end of input.
func (w *window) has(i int64) bool {
	for i >= w.off+int64(len(w.buf)) {
		if !w.more() {
			return false
		}
	}
	return true
}

// more reads at least as much again as the window holds (so rescanning a growing value
// costs O(n) in all), reporting false at the end of input.
func (w *window) more() bool {
	if w.eof {
		return false
	}
	want := max(len(w.buf), 1<<20)
	if cap(w.buf)-len(w.buf) < want {
		nb := make([]byte, len(w.buf), len(w.buf)+want)
		copy(nb, w.buf)
		w.buf = nb
	}
	n, err := io.ReadFull(w.r, w.buf[len(w.buf):len(w.buf)+want])
	w.buf = w.buf[:len(w.buf)+n]
	if err != nil {
		w.eof = true
	}
	return n > 0
}

func (w *window) at(i int64) byte { return w.buf[i-w.off] }

// rest is the input read from offset i on.
func (w *window) rest(i int64) []byte { return w.buf[i-w.off:] }

// discard lets the window forget the input before offset upto. It does so only once that
// is at least half of what it holds, so each byte is copied down O(1) times.
func (w *window) discard(upto int64) {
	n := int(upto - w.off)
	if n <= 0 || n < len(w.buf)/2 {
		return
	}
	w.buf = append(w.buf[:0], w.buf[n:]...)
	w.off = upto
}

func (w *window) skipSpace(i int64) int64 {
	for w.has(i) && rawjson.IsSpace(w.at(i)) {
		i++
	}
	return i
}

// valueEnd finds the end of the value starting at offset i: -1 when the input ends first,
// -2 when the value is longer than maxLine.
func (w *window) valueEnd(i int64) int64 {
	for {
		b := w.rest(i)
		if e := rawjson.EndOfValue(b, 0); e >= 0 {
			return i + int64(e)
		}
		if len(b) > maxLine {
			return -2
		}
		if !w.more() {
			return -1
		}
	}
}

// streamDocument reads a sequence of top-level values.
func (rs *recordSink) streamDocument(w *window) error {
	var i int64
	for {
		if err := rs.ctx.Err(); err != nil {
			return err
		}
		i = w.skipSpace(i)
		if !w.has(i) {
			return nil
		}
		w.discard(i)
		var err error
		switch w.at(i) {
		case ',':
			i++
		case '[':
			i, err = rs.streamElements(w, i+1)
		case '{':
			i, err = rs.streamObject(w, i)
		default:
			i, err = rs.streamText(w, i)
		}
		if err != nil {
			return err
		}
	}
}

// streamElements reads the elements of an array from offset i (after its [) to its ], or to
// the end of input when it never closes.
func (rs *recordSink) streamElements(w *window, i int64) (int64, error) {
	for {
		if err := rs.ctx.Err(); err != nil {
			return i, err
		}
		i = w.skipSpace(i)
		for w.has(i) && w.at(i) == ',' {
			i = w.skipSpace(i + 1)
		}
		if !w.has(i) {
			return i, nil
		}
		w.discard(i)
		switch c := w.at(i); {
		case c == ']':
			return i + 1, nil
		case c != '{' && c != '[':
			j := i
			for w.has(j) && j-i < maxLine && w.at(j) != '{' && w.at(j) != '[' && w.at(j) != ']' {
				j++
			}
			if err := rs.unparsed(bytes.TrimSpace(w.rest(i)[:j-i]), "not a record: unexpected text in an array"); err != nil {
				return j, err
			}
			i = j
			continue
		}
		end := w.valueEnd(i)
		switch end {
		case -2:
			next, err := rs.oversizedValue(w, i)
			if err != nil {
				return next, err
			}
			i = next
		case -1:
			b := w.rest(i)
			if cut, next, ok := resyncPoint(b, 0, -1); ok {
				if err := rs.record(b[:cut]); err != nil {
					return i, err
				}
				i += int64(next)
				continue
			}
			return i + int64(len(b)), rs.unparsed(b, "truncated: the record does not end")
		default:
			next, err := rs.element(w.rest(i), 0, int(end-i), false)
			if err != nil {
				return i, err
			}
			i += int64(next)
		}
	}
}

// streamObject reads a top-level object from offset i: a provider wrapper is streamed
// element by element; any other object is read whole and handled as a document.
func (rs *recordSink) streamObject(w *window, i int64) (int64, error) {
	j := i + 1
	for {
		j = w.skipSpace(j)
		if !w.has(j) {
			b := w.rest(i)
			return i + int64(len(b)), rs.truncated(b)
		}
		if j-i > maxLine {
			return rs.oversizedValue(w, i)
		}
		switch c := w.at(j); {
		case c == '}':
			return j + 1, rs.document(w.rest(i)[:j+1-i])
		case c == ',':
			j++
			continue
		case c != '"':
			return rs.streamValue(w, i)
		}
		kend := w.valueEnd(j)
		if kend < 0 {
			return rs.streamValue(w, i)
		}
		key := w.rest(j)[1 : kend-j-1]
		j = w.skipSpace(kend)
		if !w.has(j) || w.at(j) != ':' {
			return rs.streamValue(w, i)
		}
		j = w.skipSpace(j + 1)
		if w.has(j) && w.at(j) == '[' && isWrapperKey(key) {
			next, err := rs.streamElements(w, j+1)
			if err != nil {
				return next, err
			}
			return skipToClose(w, next, 1), nil // the wrapper's other keys say nothing
		}
		vend := w.valueEnd(j)
		if vend < 0 {
			return rs.streamValue(w, i)
		}
		j = vend
	}
}

func isWrapperKey(key []byte) bool {
	for _, k := range wrapperKeys {
		if bytes.EqualFold(key, []byte(k)) {
			return true
		}
	}
	return false
}

// streamValue reads the value at offset i whole when it fits, as one record otherwise.
func (rs *recordSink) streamValue(w *window, i int64) (int64, error) {
	switch end := w.valueEnd(i); end {
	case -2:
		return rs.oversizedValue(w, i)
	case -1:
		b := w.rest(i)
		return i + int64(len(b)), rs.truncated(b)
	default:
		return end, rs.document(w.rest(i)[:end-i])
	}
}

// streamText keeps a line of text outside any record as unparsed.
func (rs *recordSink) streamText(w *window, i int64) (int64, error) {
	j := i
	for w.has(j) && j-i < maxLine && w.at(j) != '\n' {
		j++
	}
	return j, rs.unparsed(bytes.TrimSpace(w.rest(i)[:j-i]), "not JSON: text outside any record")
}

// skipToClose reads from offset i until depth brackets close, honouring strings, keeping
// nothing; it returns the offset past the last one, or the end of input.
func skipToClose(w *window, i int64, depth int) int64 {
	d := depthScanner{depth: depth, started: true}
	for w.has(i) {
		b := w.rest(i)
		if k := d.feedUntilClosed(b); k >= 0 {
			return i + int64(k)
		}
		i += int64(len(b))
		w.discard(i)
	}
	return i
}

// oversizedValue keeps a value longer than maxLine as one unparsed event (its first
// oversizeKept bytes) and skips the rest of it without holding it.
func (rs *recordSink) oversizedValue(w *window, i int64) (int64, error) {
	kept := append([]byte(nil), w.rest(i)[:oversizeKept]...)
	h := sha256.New()
	d := depthScanner{}
	for w.has(i) {
		b := w.rest(i)
		if k := d.feedUntilClosed(b); k >= 0 {
			h.Write(b[:k])
			return i + int64(k), rs.emitOversized(kept, h)
		}
		h.Write(b)
		i += int64(len(b))
		w.discard(i)
	}
	return i, rs.emitOversized(kept, h)
}

// oversized is oversizedValue for a JSON line: pending holds more than maxLine bytes of it,
// and the rest of the line is still in br.
func (rs *recordSink) oversized(pending []byte, br *bufio.Reader, complete bool) error {
	h := sha256.New()
	h.Write(pending)
	for !complete {
		chunk, err := br.ReadSlice('\n')
		h.Write(chunk)
		complete = err != bufio.ErrBufferFull
	}
	return rs.emitOversized(pending[:oversizeKept], h)
}

func (rs *recordSink) emitOversized(kept []byte, h hash.Hash) error {
	ev := Unparsed(kept, fmt.Sprintf("record longer than %d MiB: its first %d KiB kept", maxLine>>20, oversizeKept>>10), rs.n.now())
	ev.Metadata.UID = "sha256:" + hex.EncodeToString(h.Sum(nil)[:16])
	rs.stats.Records++
	rs.stats.Unparsed++
	rs.stats.Events++
	return rs.emit(ev)
}

// feedUntilClosed is feed that stops where the value closes (depth back to 0 after it
// started), returning the index just past that byte, or -1.
func (d *depthScanner) feedUntilClosed(b []byte) int {
	for k, c := range b {
		d.feed(b[k : k+1])
		if c == '}' || c == ']' {
			if d.started && d.depth == 0 && !d.inString {
				return k + 1
			}
		}
	}
	return -1
}
