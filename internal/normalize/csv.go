package normalize

import (
	"bufio"
	"bytes"
	"encoding/csv"
	stdjson "encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
)

// RepairCSVFieldCount marks a CSV row with more or fewer cells than the header: its cells
// are kept in order (extra ones as _column_N), and the mismatch is said.
const RepairCSVFieldCount = "csv_field_count"

// csv reads a CSV export with a header row (Log Analytics / Sentinel) row by row, so memory
// stays at one row whatever the file's size: each row becomes a JSON object of column name
// to string value, then a record. A row whose cells do not match the header is flagged;
// one that swallowed the lines after it (an unclosed quote) is cut back to its own line,
// kept as unparsed, and reading resumes on the next line.
func (rs *recordSink) csv(r io.Reader) error {
	kr := &keptReader{r: r}
	cr := newCSVReader(kr)
	header, err := cr.Read()
	if err != nil || len(header) < 2 {
		return rs.textLines(io.MultiReader(bytes.NewReader(kr.kept), kr.r))
	}
	for i := range header {
		header[i] = strings.TrimSpace(header[i])
	}
	kr.drop(cr.InputOffset())
	for {
		if err := rs.ctx.Err(); err != nil {
			return err
		}
		start := cr.InputOffset()
		row, err := cr.Read()
		if err == io.EOF {
			return nil
		}
		end := cr.InputOffset()
		text := kr.between(start, end)
		var pe *csv.ParseError
		switch {
		case err != nil && !errors.As(err, &pe):
			return err // the input failed; what was read is kept
		case err != nil:
			if e := rs.unparsed(bytes.TrimSpace(text), "csv: "+err.Error()); e != nil {
				return e
			}
		case len(row) != len(header) && bytes.IndexByte(bytes.TrimRight(text, "\r\n"), '\n') >= 0:
			nl := bytes.IndexByte(text, '\n')
			reason := fmt.Sprintf("csv: row of %d cells (the header has %d) runs over several lines: an unclosed quote", len(row), len(header))
			if e := rs.unparsed(bytes.TrimSpace(text[:nl]), reason); e != nil {
				return e
			}
			kr = kr.restartAt(start + int64(nl) + 1)
			cr = newCSVReader(kr)
			continue
		default:
			if len(row) != len(header) {
				rs.rowRepair = RepairCSVFieldCount
			}
			err := rs.record(rowObject(header, row))
			rs.rowRepair = ""
			if err != nil {
				return err
			}
		}
		kr.drop(end)
	}
}

func newCSVReader(r io.Reader) *csv.Reader {
	cr := csv.NewReader(r)
	cr.LazyQuotes = true
	cr.FieldsPerRecord = -1
	return cr
}

// keptReader remembers the bytes read from r since the last drop, so the text of a bad CSV
// row can be kept and reading restarted inside it. Offsets are those of the csv.Reader
// reading through it.
type keptReader struct {
	r    io.Reader
	kept []byte
	base int64 // offset of kept[0]
}

func (k *keptReader) Read(p []byte) (int, error) {
	n, err := k.r.Read(p)
	k.kept = append(k.kept, p[:n]...)
	return n, err
}

func (k *keptReader) between(from, to int64) []byte { return k.kept[from-k.base : to-k.base] }

// drop forgets the bytes before offset upto.
func (k *keptReader) drop(upto int64) {
	n := int(upto - k.base)
	if n > len(k.kept)/2 { // copy down only now and then: amortised O(1) per byte
		k.kept = append(k.kept[:0], k.kept[n:]...)
	} else {
		k.kept = k.kept[n:]
	}
	k.base = upto
}

// restartAt returns a reader that starts again at offset from: the bytes already read from
// there on, then the rest of the input.
func (k *keptReader) restartAt(from int64) *keptReader {
	rest := append([]byte(nil), k.kept[from-k.base:]...)
	return &keptReader{r: io.MultiReader(bytes.NewReader(rest), k.r)}
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

// textLines keeps every non-empty line of input that is neither JSON nor CSV; a line longer
// than maxLine is kept as one unparsed record (its first maxLine bytes).
func (rs *recordSink) textLines(r io.Reader) error {
	br := bufio.NewReader(r)
	for {
		line, err := readLine(br)
		if t := bytes.TrimSpace(line); len(t) > 0 {
			if e := rs.unparsed(t, "not JSON or CSV"); e != nil {
				return e
			}
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// readLine reads one line, keeping at most maxLine bytes of it (the rest is skipped).
func readLine(br *bufio.Reader) ([]byte, error) {
	var line []byte
	full := false
	for {
		chunk, err := br.ReadSlice('\n')
		if full = full || len(line)+len(chunk) > maxLine; !full {
			line = append(line, chunk...)
		}
		if err != bufio.ErrBufferFull {
			return line, err
		}
	}
}
