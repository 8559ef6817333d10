package normalize

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/goccy/go-json"

	"github.com/vigil-sec/vigil/internal/event"
	"github.com/vigil-sec/vigil/internal/rawjson"
)

// idParser claims objects with an "id" key; "digest" objects are not events; an "explode"
// key makes it panic, to prove a parser bug costs one record.
type idParser struct{}

func (idParser) Format() string { return "test" }
func (idParser) Detect(p *rawjson.Probe) bool {
	return p.HasAny("id", "digest", "explode")
}
func (idParser) Parse(rec []byte, _ *rawjson.Probe, ev *event.Event) error {
	var v struct {
		ID      string `json:"id"`
		Digest  bool   `json:"digest"`
		Explode bool   `json:"explode"`
		Bad     bool   `json:"bad"`
		NoTime  bool   `json:"notime"`
		Epoch   bool   `json:"epoch"`
	}
	if err := json.Unmarshal(rec, &v); err != nil {
		return err
	}
	if v.Digest {
		return ErrNotEvent
	}
	if v.Explode {
		var m map[string]int
		m["boom"]++
	}
	if v.Bad {
		return errors.New("bad record")
	}
	ev.Metadata.UID = v.ID
	ev.Vigil.Category = event.CategoryLogin
	switch {
	case v.Epoch:
		ev.SetTime(time.Unix(0, 0))
	case !v.NoTime:
		ev.SetTime(time.Unix(1600000000, 0))
	}
	return nil
}

func collect(t *testing.T, input []byte) ([]*event.Event, Stats) {
	t.Helper()
	var evs []*event.Event
	n := New(idParser{}).WithClock(func() time.Time { return time.Unix(1700000000, 0) })
	st, err := n.Stream(context.Background(), bytes.NewReader(input), "test", func(ev *event.Event) error {
		evs = append(evs, ev)
		return nil
	})
	if err != nil {
		t.Fatalf("Stream: %v", err)
	}
	return evs, st
}

func gz(s string) []byte {
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	w.Write([]byte(s))
	w.Close()
	return b.Bytes()
}

func TestStreamContainers(t *testing.T) {
	tests := []struct {
		name  string
		input []byte
		want  string // uids in order; "!" for an unparsed event
		skip  int
	}{
		{"one object", []byte(`{"id":"a"}`), "a", 0},
		{"array", []byte(`[{"id":"a"},{"id":"b"}]`), "a b", 0},
		{"empty array", []byte(`[]`), "", 0},
		{"cloudtrail wrapper", []byte(`{"Records":[{"id":"a"},{"id":"b"}]}`), "a b", 0},
		{"graph page", []byte(`{"@odata.context":"x","value":[{"id":"a"}],"@odata.nextLink":"y"}`), "a", 0},
		{"event hubs body", []byte(`{"records":[{"id":"a"},{"id":"b"}]}`), "a b", 0},
		{"lookup events", []byte(`{"NextToken":"t","Events":[{"id":"a"}]}`), "a", 0},
		{"json lines", []byte("{\"id\":\"a\"}\n\n{\"id\":\"b\"}\n{\"id\":\"c\"}"), "a b c", 0},
		{"json lines of wrappers", []byte("{\"records\":[{\"id\":\"a\"}]}\n{\"records\":[{\"id\":\"b\"},{\"id\":\"c\"}]}\n"), "a b c", 0},
		{"pretty concatenated", []byte("{\n \"id\": \"a\"\n}\n{\n \"id\": \"b\"\n}\n"), "a b", 0},
		{"gzip", gz(`{"Records":[{"id":"a"},{"id":"b"}]}`), "a b", 0},
		{"bom", []byte("\xef\xbb\xbf[{\"id\":\"a\"}]"), "a", 0},
		{"digest skipped", []byte(`[{"digest":true},{"id":"a"}]`), "a", 1},
		{"bad line kept", []byte("{\"id\":\"a\"}\nnot json at all\n{\"id\":\"b\"}\n"), "a ! b", 0},
		{"truncated array keeps leading records", []byte(`[{"id":"a"},{"id":"b"`), "a !", 0},
		{"elided array", []byte("[{\"id\":\"a\"},\n  ... more ...\n]"), "a !", 0},
		{"unknown record", []byte(`[{"other":1},{"id":"a"}]`), "! a", 0},
		{"parser error", []byte(`[{"id":"x","bad":true},{"id":"a"}]`), "! a", 0},
		{"parser panic", []byte(`[{"explode":true},{"id":"a"}]`), "! a", 0},
		{"csv", []byte("id,name\na,\"x, y\"\nb,z\n"), "a b", 0},
		{"log analytics query result", []byte(`{"tables":[{"name":"PrimaryResult","columns":[{"name":"id","type":"string"},{"name":"n","type":"int"}],"rows":[["a",1],["b",2]]}]}`), "a b", 0},
		{"whitespace only", []byte(" \n\t "), "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			evs, st := collect(t, tt.input)
			var got []string
			for _, ev := range evs {
				if ev.IsUnparsed() {
					got = append(got, "!")
					if ev.Vigil.ParseError == "" {
						t.Errorf("unparsed event without a reason")
					}
				} else {
					got = append(got, ev.Metadata.UID)
				}
			}
			if strings.Join(got, " ") != tt.want {
				t.Errorf("events %q, want %q", strings.Join(got, " "), tt.want)
			}
			if st.Skipped != tt.skip {
				t.Errorf("skipped %d, want %d", st.Skipped, tt.skip)
			}
			if st.Events != len(evs) || st.Records != st.Events+st.Skipped {
				t.Errorf("stats %+v for %d events", st, len(evs))
			}
		})
	}
}

func TestStreamRepairs(t *testing.T) {
	tests := []struct {
		name, input string
		repairs     []string
	}{
		{"trailing comma", `{"id":"a","list":[1,2,],}`, []string{RepairTrailingComma}},
		{"control chars", "{\"id\":\"a\",\"policy\":\"line one\nline\ttwo\"}", []string{RepairControlChars}},
		{"single quotes", `{'id': 'a', 'msg': 'say "hi"', 'ok': True, 'none': None}`, []string{RepairPythonLiterals, RepairSingleQuotes}},
		{"blob placeholder", `{"id":"a","requestBody":[1234 B blob data]}`, []string{RepairBlobPlaceholder}},
		{"unquoted keys", `{id: "a", nested: {key: 1}}`, []string{RepairUnquotedKeys}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			evs, st := collect(t, []byte(tt.input))
			if len(evs) != 1 || evs[0].IsUnparsed() {
				t.Fatalf("got %d events, first %+v", len(evs), evs)
			}
			ev := evs[0]
			if ev.Metadata.UID != "a" {
				t.Errorf("uid %q", ev.Metadata.UID)
			}
			if strings.Join(ev.Vigil.Repairs, ",") != strings.Join(tt.repairs, ",") {
				t.Errorf("repairs %v, want %v", ev.Vigil.Repairs, tt.repairs)
			}
			if !json.Valid(ev.Raw) {
				t.Errorf("raw is not valid JSON: %s", ev.Raw)
			}
			if st.Repaired != 1 {
				t.Errorf("repaired count %d", st.Repaired)
			}
		})
	}
}

func TestRepairKeepsStringContent(t *testing.T) {
	in := "{\"a\":\"x\ny\",'b':'it\\'s \"q\"'}"
	out, _ := Repair([]byte(in))
	var v map[string]string
	if err := json.Unmarshal(out, &v); err != nil {
		t.Fatalf("%s: %v", out, err)
	}
	if v["a"] != "x\ny" || v["b"] != `it's "q"` {
		t.Errorf("a = %q, b = %q", v["a"], v["b"])
	}
}

func TestUnparsedKeepsBytes(t *testing.T) {
	evs, _ := collect(t, []byte("garbage \xff\xfe line\n"))
	if len(evs) != 1 || !evs[0].IsUnparsed() {
		t.Fatalf("want one unparsed event, got %+v", evs)
	}
	if evs[0].Vigil.RawBase64 == "" || len(evs[0].Raw) != 0 {
		t.Errorf("non-UTF-8 bytes must be kept in raw_base64: %+v", evs[0].Vigil)
	}
	evs, _ = collect(t, []byte("[{\"id\":\"a\"},{\"id\":"))
	last := evs[len(evs)-1]
	var s string
	if err := json.Unmarshal(last.Raw, &s); err != nil || s != `{"id":` {
		t.Errorf("truncated record raw %s (%v)", last.Raw, err)
	}
	if last.Metadata.UID == "" || !strings.HasPrefix(last.Metadata.UID, "sha256:") {
		t.Errorf("unparsed uid %q", last.Metadata.UID)
	}
}

func TestContentUIDForRecordsWithoutID(t *testing.T) {
	evs, _ := collect(t, []byte(`[{"id":""},{"id":""},{"id":"", "x":1}]`))
	if evs[0].Metadata.UID == "" || evs[0].Metadata.UID != evs[1].Metadata.UID || evs[0].Metadata.UID == evs[2].Metadata.UID {
		t.Errorf("content uids: %q %q %q", evs[0].Metadata.UID, evs[1].Metadata.UID, evs[2].Metadata.UID)
	}
}

func TestRecordWithoutTimeIsStamped(t *testing.T) {
	evs, _ := collect(t, []byte(`{"id":"a","notime":true}`))
	if evs[0].Time != 1700000000000 || strings.Join(evs[0].Vigil.Repairs, ",") != RepairTimeFromProcessing {
		t.Errorf("time %d repairs %v", evs[0].Time, evs[0].Vigil.Repairs)
	}
}

func TestWithFormat(t *testing.T) {
	if _, err := New(idParser{}).WithFormat("nope"); err == nil || !strings.Contains(err.Error(), "test") {
		t.Errorf("unknown format error %v should list known formats", err)
	}
}

func FuzzStream(f *testing.F) {
	for _, s := range []string{`{"id":"a"}`, `[{"id":"a"},`, "{'id': 'a'}", "id,x\na,b", `{"Records":[{"id":1},[]]}`, "\x1f\x8b", "{\"a\":[1 B blob data]}", "{\"id\":\"\xff\"}", "[{\"id\":\"a\",\"id\":\"b\"}]", `{"Records":[{"id":"a"},{"id":"b","x":"oops},{"id":"c"}]}`, "id,n\na,\"b\nc,d\n"} {
		f.Add([]byte(s))
	}
	n := New(idParser{})
	f.Fuzz(func(t *testing.T, data []byte) {
		var events int
		st, err := n.Stream(context.Background(), bytes.NewReader(data), "fuzz", func(ev *event.Event) error {
			events++
			if len(ev.Raw) > 0 && !json.Valid(ev.Raw) {
				t.Fatalf("invalid raw %q", ev.Raw)
			}
			// Every line written must be UTF-8 JSON text (issue 17 item 7).
			line, err := json.Marshal(ev)
			if err != nil || !utf8.Valid(line) || !json.Valid(line) {
				t.Fatalf("output line not UTF-8 JSON (%v): %q", err, line)
			}
			return nil
		})
		if err != nil && !strings.Contains(err.Error(), "gunzip") && !strings.Contains(err.Error(), "read") && !errors.Is(err, ErrNotLog) {
			t.Fatalf("Stream: %v", err)
		}
		if st.Events != events || st.Records != st.Events+st.Skipped {
			t.Fatalf("stats %+v, emitted %d: every record read must come out as an event or a skip", st, events)
		}
	})
}

func TestParseAddr(t *testing.T) {
	for in, want := range map[string]string{
		"198.51.100.7": "198.51.100.7", "5.5.5.5:3832": "5.5.5.5", "[2001:db8::1]:443": "2001:db8::1",
		"127.0.0.0/8": "127.0.0.0", "::2a02:cf40:add:4002:91f2:a9b2:e09a:6b65": "2a02:cf40:add:4002:91f2:a9b2:e09a:6b65",
		"2001:DB8::1": "2001:db8::1", "ec2.amazonaws.com": "", "123.456.7.89": "", "": "",
	} {
		got, _, ok := ParseAddr(in)
		if got != want || ok != (want != "") {
			t.Errorf("ParseAddr(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
}
