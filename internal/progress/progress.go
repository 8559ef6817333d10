// Package progress shows how far a long command has got — files, records, rate and the
// time left — on one line of a terminal, redrawn at most four times a second. It writes
// nothing when its writer is not a terminal or the command was asked to be quiet, so
// pipes, files and scripts see only what the command prints itself.
package progress

import (
	"fmt"
	"io"
	"math"
	"sync"
	"time"
)

// DefaultInterval is the shortest time between two redraws (four a second): often enough
// to look alive, rarely enough to cost nothing next to the work it reports.
const DefaultInterval = 250 * time.Millisecond

// Unit says what State.Done and State.Total count, for the line and the time left.
type Unit int

const (
	Bytes Unit = iota // bytes of files read (shown in MB)
	Days              // days simulated
)

// Options configure a Meter.
type Options struct {
	// Label starts the line: "vigil hunt".
	Label string
	// Terminal says whether the writer is a terminal (IsTerminal decides it for a file);
	// without it the Meter writes nothing.
	Terminal bool
	// Quiet silences the Meter, terminal or not (--quiet).
	Quiet bool
	// Unit is what Done and Total count.
	Unit Unit
	// Interval is the shortest time between redraws; 0 means DefaultInterval.
	Interval time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// State is how far the work has got. Counts are totals so far, not increments.
type State struct {
	Files, FilesTotal int     // files finished and files in all (0: not counted)
	Records           int64   // records read or written
	Done, Total       float64 // progress in Unit, of Total (0: unknown, no time left shown)
}

// A Meter draws State on one terminal line. Its methods are safe for concurrent use.
type Meter struct {
	w        io.Writer
	opts     Options
	on       bool
	mu       sync.Mutex
	start    time.Time
	lastDraw time.Time
	drawn    bool // a line is on the screen, to be cleared by Finish
}

// New returns a Meter writing to w; it starts timing now.
func New(w io.Writer, opts Options) *Meter {
	if opts.Interval <= 0 {
		opts.Interval = DefaultInterval
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	t := opts.Now()
	return &Meter{w: w, opts: opts, on: opts.Terminal && !opts.Quiet, start: t, lastDraw: t}
}

// On reports whether the Meter draws at all (a terminal, not quiet), so a caller can
// skip measuring what would not be shown.
func (m *Meter) On() bool { return m != nil && m.on }

// Update redraws the line with s if the last redraw (or the start) was at least an
// interval ago, so a command that ends within the first interval never shows a line.
// A nil Meter does nothing.
func (m *Meter) Update(s State) {
	if m == nil || !m.on {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.opts.Now()
	if now.Sub(m.lastDraw) < m.opts.Interval {
		return
	}
	m.lastDraw = now
	m.drawn = true
	// \r returns to the line's start, ESC[K clears what a longer line left behind.
	fmt.Fprintf(m.w, "\r%s\x1b[K", m.line(s, now.Sub(m.start)))
}

// Finish clears the line, so what the command prints next (its summary) starts clean.
// It prints no summary of its own.
func (m *Meter) Finish() {
	if m == nil || !m.on {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.drawn {
		io.WriteString(m.w, "\r\x1b[K")
		m.drawn = false
	}
}

// Above returns a writer for messages to the same terminal (a logger's, say): each write
// first clears the progress line, which the next Update draws again below the message.
func (m *Meter) Above(w io.Writer) io.Writer {
	if m == nil || !m.on {
		return w
	}
	return above{m: m, w: w}
}

type above struct {
	m *Meter
	w io.Writer
}

func (a above) Write(p []byte) (int, error) {
	a.m.mu.Lock()
	defer a.m.mu.Unlock()
	if a.m.drawn {
		io.WriteString(a.m.w, "\r\x1b[K")
		a.m.drawn = false
		a.m.lastDraw = time.Time{} // redraw at the next Update
	}
	return a.w.Write(p)
}

// line renders s after elapsed: "vigil hunt: 120/3,400 files, 45,210 records, 12,300
// records/s, 3.5 of 52.1 MB, 0:12 left".
func (m *Meter) line(s State, elapsed time.Duration) string {
	out := m.opts.Label + ": "
	if s.FilesTotal > 0 {
		out += fmt.Sprintf("%s/%s files, ", thousands(int64(s.Files)), thousands(int64(s.FilesTotal)))
	} else if s.Files > 0 {
		out += thousands(int64(s.Files)) + " files, "
	}
	out += thousands(s.Records) + " records"
	if sec := elapsed.Seconds(); sec > 0 {
		out += ", " + thousands(int64(float64(s.Records)/sec)) + " records/s"
	}
	if s.Total > 0 {
		switch m.opts.Unit {
		case Days:
			out += fmt.Sprintf(", day %.0f of %.0f", min(math.Floor(s.Done)+1, s.Total), s.Total)
		default:
			out += fmt.Sprintf(", %.1f of %.1f MB", s.Done/1e6, s.Total/1e6)
		}
		// The first second's rate says little about the rest.
		if s.Done > 0 && s.Done <= s.Total && elapsed >= time.Second {
			left := time.Duration(float64(elapsed) * (s.Total - s.Done) / s.Done)
			out += ", " + clock(left) + " left"
		}
	}
	return out
}

// clock is a duration as m:ss, or h:mm:ss from an hour on.
func clock(d time.Duration) string {
	sec := int64(d.Round(time.Second) / time.Second)
	if sec >= 3600 {
		return fmt.Sprintf("%d:%02d:%02d", sec/3600, sec/60%60, sec%60)
	}
	return fmt.Sprintf("%d:%02d", sec/60, sec%60)
}

// thousands writes n with a comma between groups of three digits.
func thousands(n int64) string {
	s := fmt.Sprint(n)
	neg := ""
	if n < 0 {
		neg, s = "-", s[1:]
	}
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return neg + s
}
