package progress

import (
	"bytes"
	"os"
	"strings"
	"testing"
	"time"
)

// fakeClock is a clock the test moves.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time      { return c.t }
func (c *fakeClock) add(d time.Duration) { c.t = c.t.Add(d) }
func newClock() *fakeClock               { return &fakeClock{t: time.Date(2026, 12, 3, 0, 0, 0, 0, time.UTC)} }
func draws(out string) int               { return strings.Count(out, "\r") }
func lastLine(out string) string         { l := strings.Split(out, "\r"); return l[len(l)-1] }

func TestTerminalLineHasFilesRecordsRateAndTimeLeft(t *testing.T) {
	c := newClock()
	var out bytes.Buffer
	m := New(&out, Options{Label: "vigil hunt", Terminal: true, Now: c.now})
	c.add(2 * time.Second)
	m.Update(State{Files: 120, FilesTotal: 3400, Records: 45210, Done: 13e6, Total: 52e6})
	want := "vigil hunt: 120/3,400 files, 45,210 records, 22,605 records/s, 13.0 of 52.0 MB, 0:06 left\x1b[K"
	if got := lastLine(out.String()); got != want {
		t.Errorf("line\n got %q\nwant %q", got, want)
	}
	m.Finish()
	if !strings.HasSuffix(out.String(), "\r\x1b[K") {
		t.Errorf("Finish does not clear the line: %q", out.String())
	}
}

func TestDaysUnit(t *testing.T) {
	c := newClock()
	var out bytes.Buffer
	m := New(&out, Options{Label: "vigil simulate", Terminal: true, Unit: Days, Now: c.now})
	c.add(10 * time.Second)
	m.Update(State{Records: 1000, Done: 3.5, Total: 14})
	if got, want := lastLine(out.String()), "vigil simulate: 1,000 records, 100 records/s, day 4 of 14, 0:30 left\x1b[K"; got != want {
		t.Errorf("got %q\nwant %q", got, want)
	}
}

func TestRedrawsAtMostFourTimesASecond(t *testing.T) {
	c := newClock()
	var out bytes.Buffer
	m := New(&out, Options{Label: "x", Terminal: true, Now: c.now})
	for i := range 1000 { // 10 s of updates every 10 ms
		c.add(10 * time.Millisecond)
		m.Update(State{Records: int64(i)})
	}
	if n := draws(out.String()); n < 39 || n > 40 {
		t.Errorf("%d redraws in 10 s, want 40 (every 250 ms)", n)
	}
}

func TestQuickWorkShowsNothing(t *testing.T) {
	c := newClock()
	var out bytes.Buffer
	m := New(&out, Options{Label: "x", Terminal: true, Now: c.now})
	c.add(100 * time.Millisecond)
	m.Update(State{Records: 5})
	m.Finish()
	if out.Len() != 0 {
		t.Errorf("work done within one interval wrote %q", out.String())
	}
}

func TestQuietAndNotATerminalWriteNothing(t *testing.T) {
	for _, o := range []Options{{Terminal: false}, {Terminal: true, Quiet: true}} {
		c := newClock()
		var out bytes.Buffer
		o.Now = c.now
		m := New(&out, o)
		for range 10 {
			c.add(time.Second)
			m.Update(State{Records: 1, Done: 1, Total: 2})
		}
		m.Finish()
		if out.Len() != 0 {
			t.Errorf("%+v wrote %q", o, out.String())
		}
	}
	if New(nil, Options{Terminal: true, Quiet: true}).On() || New(nil, Options{}).On() || !New(nil, Options{Terminal: true}).On() {
		t.Error("On does not say whether the Meter draws")
	}
	var m *Meter
	m.Update(State{}) // a nil Meter is allowed
	m.Finish()
}

func TestIsTerminalOfAPipeAndAFile(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	f, err := os.Create(t.TempDir() + "/f")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, x := range []*os.File{w, f} {
		if IsTerminal(x) {
			t.Errorf("%s is taken for a terminal", x.Name())
		}
	}
	if IsTerminal(&bytes.Buffer{}) {
		t.Error("a buffer is taken for a terminal")
	}
}

func TestClockAndThousands(t *testing.T) {
	for d, want := range map[time.Duration]string{0: "0:00", 61 * time.Second: "1:01", 3723 * time.Second: "1:02:03"} {
		if got := clock(d); got != want {
			t.Errorf("clock(%s) = %s, want %s", d, got, want)
		}
	}
	for n, want := range map[int64]string{0: "0", 999: "999", 1000: "1,000", 1234567: "1,234,567", -1234: "-1,234"} {
		if got := thousands(n); got != want {
			t.Errorf("thousands(%d) = %s, want %s", n, got, want)
		}
	}
}

func TestMessagesAboveTheLine(t *testing.T) {
	c := newClock()
	var out bytes.Buffer
	m := New(&out, Options{Label: "x", Terminal: true, Now: c.now})
	log := m.Above(&out)
	c.add(time.Second)
	m.Update(State{Records: 1})
	log.Write([]byte("a warning\n"))
	m.Update(State{Records: 2}) // at once: the line went away for the message
	want := "\rx: 1 records, 1 records/s\x1b[K\r\x1b[Ka warning\n\rx: 2 records, 2 records/s\x1b[K"
	if out.String() != want {
		t.Errorf("got  %q\nwant %q", out.String(), want)
	}
	var plain bytes.Buffer
	if w := New(&plain, Options{}).Above(&plain); w != &plain {
		t.Error("with no line drawn, Above should return its writer as it is")
	}
}

func TestNoTimeLeftInTheFirstSecond(t *testing.T) {
	c := newClock()
	var out bytes.Buffer
	m := New(&out, Options{Label: "x", Terminal: true, Now: c.now})
	c.add(500 * time.Millisecond)
	m.Update(State{Records: 1, Done: 1, Total: 100e6})
	if strings.Contains(out.String(), "left") {
		t.Errorf("time left after half a second: %q", out.String())
	}
}
