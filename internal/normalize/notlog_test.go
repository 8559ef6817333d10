package normalize

import (
	"bytes"
	"context"
	"errors"
	"os"
	"testing"

	"github.com/vigil-sec/vigil/internal/event"
)

func TestBinaryInputIsNotALogFile(t *testing.T) {
	bin, err := os.ReadFile(os.Args[0]) // this test binary
	if err != nil {
		t.Skip(err)
	}
	n := New()
	events := 0
	st, err := n.Stream(context.Background(), bytes.NewReader(bin), "test-binary", func(*event.Event) error { events++; return nil })
	if !errors.Is(err, ErrNotLog) || events != 0 || st.Unparsed != 0 {
		t.Fatalf("a binary: err %v, %d events, %+v", err, events, st)
	}
	// Text with no NUL is still read, whatever it is.
	if _, err := n.Stream(context.Background(), bytes.NewReader([]byte("a,b\n1,2\n")), "csv", func(*event.Event) error { return nil }); err != nil {
		t.Errorf("csv: %v", err)
	}
}

func TestUnparsedNamesFileAndRecord(t *testing.T) {
	var got []string
	in := "{\"a\":1}\nnot json at all\n"
	_, err := New().Stream(context.Background(), bytes.NewReader([]byte(in)), "exports/day1.jsonl", func(ev *event.Event) error {
		if ev.IsUnparsed() {
			got = append(got, ev.Vigil.ParseError)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) == 0 || !bytes.Contains([]byte(got[len(got)-1]), []byte("(exports/day1.jsonl, record 2)")) {
		t.Errorf("reasons %q: want the file and record number", got)
	}
}
