package normalize

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/vigil-sec/vigil/internal/event"
)

func records(n int) string {
	var b strings.Builder
	b.WriteString(`{"Records":[`)
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"id":"r%d","pad":"%s"}`, i, strings.Repeat("x", 100))
	}
	b.WriteString("]}")
	return b.String()
}

// Item 2: half of a gzip file keeps the records that were readable and reports the
// truncation once.
func TestTruncatedGzipKeepsReadableRecords(t *testing.T) {
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	w.Write([]byte(records(2000)))
	w.Close()
	half := buf.Bytes()[:buf.Len()/2]
	evs, st, err := streamAll(t, bytes.NewReader(half))
	if err == nil || !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("Stream error %v, want one error reporting the truncation", err)
	}
	parsed, unparsed := countParsed(evs)
	if want := fmt.Sprintf("is cut short (unexpected EOF) after %d complete records, which are kept", parsed); err != nil && !strings.Contains(err.Error(), want) {
		t.Errorf("error %q does not say %q", err, want)
	}
	if parsed < 500 {
		t.Errorf("%d records kept from half a gzip file of 2000 (unparsed %d)", parsed, unparsed)
	}
	if unparsed > 1 {
		t.Errorf("%d unparsed events, want at most the one cut record", unparsed)
	}
	if st.Records != st.Events+st.Skipped || st.Events != len(evs) {
		t.Errorf("stats %+v for %d events", st, len(evs))
	}
}

// Item 2, JSON lines: a gzip of lines cut in the middle keeps every whole line.
func TestTruncatedGzipLines(t *testing.T) {
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	for i := 0; i < 2000; i++ {
		fmt.Fprintf(w, "{\"id\":\"l%d\",\"pad\":\"%s\"}\n", i, strings.Repeat("y", 100))
	}
	w.Close()
	evs, _, err := streamAll(t, bytes.NewReader(buf.Bytes()[:buf.Len()/2]))
	if err == nil {
		t.Error("no error for a truncated gzip file")
	}
	if parsed, _ := countParsed(evs); parsed < 500 {
		t.Errorf("%d lines kept from half a gzip file of 2000", parsed)
	}
}

// Item 4: one broken element of a wrapper array costs that element, not the rest.
func TestBrokenArrayElementResyncs(t *testing.T) {
	for name, input := range map[string]string{
		"missing brace":        `{"Records":[{"id":"a"},{"id":"b","x":1,{"id":"c"},{"id":"d"}]}`,
		"unterminated string":  `{"Records":[{"id":"a"},{"id":"b","x":"oops},{"id":"c"},{"id":"d"}]}`,
		"bare array":           `[{"id":"a"},{"id":"b","x":1,{"id":"c"},{"id":"d"}]`,
		"missing brace, lines": "[\n{\"id\":\"a\"},\n{\"id\":\"b\",\"x\":1,\n{\"id\":\"c\"},\n{\"id\":\"d\"}\n]",
	} {
		t.Run(name, func(t *testing.T) {
			evs, _ := collect(t, []byte(input))
			var got []string
			for _, ev := range evs {
				if ev.IsUnparsed() {
					got = append(got, "!")
				} else {
					got = append(got, ev.Metadata.UID)
				}
			}
			if strings.Join(got, " ") != "a ! c d" {
				t.Errorf("events %q, want \"a ! c d\"", strings.Join(got, " "))
			}
		})
	}
}

// Item 4: records nested inside a record are not mistaken for the next element.
func TestResyncIgnoresNestedObjects(t *testing.T) {
	evs, _ := collect(t, []byte(`[{"id":"a","list":[{"id":"n1"},{"id":"n2"}],"x":1,{"id":"c"}]`))
	if got := len(evs); got != 2 || !evs[0].IsUnparsed() || evs[1].Metadata.UID != "c" {
		t.Errorf("got %d events: %v", got, evs)
	}
}

// Item 4, CSV: a row with an unclosed quote is flagged, the next row still read.
func TestCSVUnclosedQuoteFlagged(t *testing.T) {
	input := "id,name,n\na,x,1\nb,\"unclosed,2\nc,z,3\nd,w,4\ne,v,5\nf,u,6\n"
	evs, st := collect(t, []byte(input))
	parsed, unparsed := countParsed(evs)
	if parsed != 5 || unparsed != 1 || st.Records != 6 {
		t.Errorf("6 rows gave %d events and %d unparsed (stats %+v)", parsed, unparsed, st)
	}
}

// Item 4, CSV: a row with more or fewer cells than the header is flagged as repaired, its
// cells kept.
func TestCSVFieldCountFlagged(t *testing.T) {
	evs, st := collect(t, []byte("id,name\na,x\nb\nc,z,extra\nd,w\n"))
	var flagged []string
	for _, ev := range evs {
		if strings.Contains(strings.Join(ev.Vigil.Repairs, ","), RepairCSVFieldCount) {
			flagged = append(flagged, ev.Metadata.UID)
		}
	}
	if len(evs) != 4 || strings.Join(flagged, " ") != "b c" || st.Repaired != 2 {
		t.Errorf("%d events, flagged %v, stats %+v; want 4 events, b and c flagged", len(evs), flagged, st)
	}
}

// generated is input made on demand (head, n records from rec, tail), counting what has
// been read of it, so a test can see whether Stream reads ahead of what it emits.
type generated struct {
	head, tail string
	rec        func(i int) string
	n, i       int
	pending    []byte
	read       int64
}

func (g *generated) Read(p []byte) (int, error) {
	for len(g.pending) < len(p) {
		switch {
		case g.head != "":
			g.pending, g.head = append(g.pending, g.head...), ""
		case g.i < g.n:
			g.pending = append(g.pending, g.rec(g.i)...)
			g.i++
		case g.tail != "":
			g.pending, g.tail = append(g.pending, g.tail...), ""
		default:
			if len(g.pending) == 0 {
				return 0, io.EOF
			}
			n := copy(p, g.pending)
			g.pending = g.pending[n:]
			g.read += int64(n)
			return n, nil
		}
	}
	n := copy(p, g.pending)
	g.pending = g.pending[n:]
	g.read += int64(n)
	return n, nil
}

// streamGenerated streams g and reports how much of it had been read when the first event
// came out.
func streamGenerated(t *testing.T, g *generated) (evs int, st Stats, readAtFirst int64) {
	t.Helper()
	n := New(idParser{})
	st, err := n.Stream(context.Background(), g, "big", func(ev *event.Event) error {
		if evs == 0 {
			readAtFirst = g.read
		}
		evs++
		return nil
	})
	if err != nil {
		t.Fatalf("Stream: %v", err)
	}
	return evs, st, readAtFirst
}

// Item 10: a big JSON document is streamed record by record, not read whole first.
func TestBigDocumentIsStreamed(t *testing.T) {
	pad := strings.Repeat("p", 200)
	g := &generated{head: `{"Records":[`, tail: "]}", n: 200_000,
		rec: func(i int) string {
			sep := ","
			if i == 0 {
				sep = ""
			}
			return fmt.Sprintf(`%s{"id":"r%d","pad":"%s"}`, sep, i, pad)
		}}
	evs, st, readAtFirst := streamGenerated(t, g)
	if evs != 200_000 || st.Unparsed != 0 {
		t.Errorf("%d events (%d unparsed) from 200000 records", evs, st.Unparsed)
	}
	if total := g.read; readAtFirst > wholeDocument+(4<<20) {
		t.Errorf("first event after %d MiB of a %d MiB document: read whole, not streamed", readAtFirst>>20, total>>20)
	}
}

// Item 10: a big CSV export is streamed row by row.
func TestBigCSVIsStreamed(t *testing.T) {
	pad := strings.Repeat("q", 200)
	g := &generated{head: "id,pad\n", n: 150_000, rec: func(i int) string { return fmt.Sprintf("c%d,%s\n", i, pad) }}
	evs, st, readAtFirst := streamGenerated(t, g)
	if evs != 150_000 || st.Unparsed != 0 {
		t.Errorf("%d events (%d unparsed) from 150000 rows", evs, st.Unparsed)
	}
	if readAtFirst > 1<<20 {
		t.Errorf("first event after %d KiB of CSV: read whole, not streamed", readAtFirst>>10)
	}
}

// Item 10: one JSON line longer than the line limit is one unparsed record, not several
// pieces, and the lines after it are read.
func TestOverlongJSONLineIsOneRecord(t *testing.T) {
	long := `{"id":"long","pad":"` + strings.Repeat("z", maxLine+(6<<20)) + `"}` + "\n"
	g := &generated{head: "{\"id\":\"a\"}\n{\"id\":\"b\"}\n", tail: "{\"id\":\"c\"}\n", n: 1, rec: func(int) string { return long }}
	evs, st, _ := streamGenerated(t, g)
	if evs != 4 || st.Records != 4 || st.Unparsed != 1 {
		t.Errorf("%d events, stats %+v; want a, b, one unparsed, c", evs, st)
	}
}

// streamedUIDs runs the streaming document reader (used above wholeDocument) on data.
func streamedUIDs(t *testing.T, data []byte, whole bool) (string, Stats) {
	var got []string
	rs := &recordSink{n: New(idParser{}).WithClock(func() time.Time { return time.Unix(1700000000, 0) }), ctx: context.Background(),
		emit: func(ev *event.Event) error {
			if ev.IsUnparsed() {
				got = append(got, "!")
			} else {
				got = append(got, ev.Metadata.UID)
			}
			return nil
		}}
	var err error
	if whole {
		err = rs.document(data)
	} else {
		err = rs.streamDocument(&window{r: bytes.NewReader(data)})
	}
	if err != nil {
		t.Fatalf("%q: %v", data, err)
	}
	return strings.Join(got, " "), rs.stats
}

// Item 10: the streaming reader reads every container as the whole-document reader does.
func TestStreamedDocumentMatchesWhole(t *testing.T) {
	for _, in := range []string{
		`{"id":"a"}`, `[{"id":"a"},{"id":"b"}]`, `[]`, `{"Records":[{"id":"a"},{"id":"b"}]}`,
		`{"@odata.context":"x","value":[{"id":"a"}],"@odata.nextLink":"y"}`, `{"NextToken":"t","Events":[{"id":"a"}]}`,
		`[{"digest":true},{"id":"a"}]`, `[{"other":1},{"id":"a"}]`, `[{"id":"x","bad":true},{"id":"a"}]`,
		`[{"id":"a"},{"id":"b"`, `{"Records":[{"id":"a"},{"id":"b"`, "[{\"id\":\"a\"},\n  ... more ...\n]",
		`{"Records":[{"id":"a"},{"id":"b","x":1,{"id":"c"},{"id":"d"}]}`, `[{"id":"a"},{"id":"b","x":"oops},{"id":"c"},{"id":"d"}]`,
		`{"tables":[{"name":"PrimaryResult","columns":[{"name":"id","type":"string"}],"rows":[["a"],["b"]]}]}`,
		`{"id":"a"} {"id":"b"}`, `{"records":[{"id":"a"}]},{"records":[{"id":"b"}]}`,
	} {
		want, wst := streamedUIDs(t, []byte(in), true)
		got, gst := streamedUIDs(t, []byte(in), false)
		if got != want || gst != wst {
			t.Errorf("%s:\nstreamed %q %+v\nwhole    %q %+v", in, got, gst, want, wst)
		}
	}
}

func FuzzStreamDocument(f *testing.F) {
	for _, s := range []string{`{"Records":[{"id":"a"},{"id":"b"}]}`, `[{"id":"a"},{"id":"b","x":1,{"id":"c"}]`, `{"value":[{"id":"a"}],"x":{"y":"]"}}`, `{"a":"}`, "x\n[{}]"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var events int
		rs := &recordSink{n: New(idParser{}), ctx: context.Background(), emit: func(*event.Event) error { events++; return nil }}
		if err := rs.streamDocument(&window{r: bytes.NewReader(data)}); err != nil {
			t.Fatal(err)
		}
		if st := rs.stats; st.Events != events || st.Records != st.Events+st.Skipped {
			t.Fatalf("stats %+v, %d emitted", st, events)
		}
	})
}
