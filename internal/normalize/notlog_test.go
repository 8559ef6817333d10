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
