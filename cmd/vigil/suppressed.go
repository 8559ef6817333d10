package main

import (
	"fmt"
	"io"
	"sort"
	"text/tabwriter"
	"time"

	"github.com/vigil-sec/vigil/internal/alert"
	"github.com/vigil-sec/vigil/internal/detect"
)

// suppressionLog counts what the detections removed or lowered, by detection and reason,
// next to what they raised, and prints each one when asked (--show-suppressed).
type suppressionLog struct {
	show    bool
	w       io.Writer
	counts  detect.SuppressionCounts
	raised  map[string]int // detection → alerts raised, before folding
	removed map[string]int // detection → candidates removed
	lowered map[string]int // detection → alerts lowered
}

func newSuppressionLog(show bool, w io.Writer) *suppressionLog {
	return &suppressionLog{show: show, w: w, counts: detect.SuppressionCounts{}, raised: map[string]int{}, removed: map[string]int{}, lowered: map[string]int{}}
}

func (l *suppressionLog) suppressed(s detect.Suppression) {
	l.counts.Add(s)
	if s.Lowered {
		l.lowered[s.Detection]++
	} else {
		l.removed[s.Detection]++
	}
	if l.show {
		what := "suppressed"
		if s.Lowered {
			what = "lowered"
		}
		fmt.Fprintf(l.w, "%s %s %s %s %s %s: %s\n", what, s.Detection, s.Reason, s.Entity.Key(), s.Time.UTC().Format(time.RFC3339), s.EventUID, s.Detail)
	}
}

// count wraps emit so raised alerts are counted per detection.
func (l *suppressionLog) count(emit func(alert.Alert) error) func(alert.Alert) error {
	return func(a alert.Alert) error {
		l.raised[a.Rule.ID]++
		return emit(a)
	}
}

// print writes the counts by reason, then per detection with suppressions: candidates =
// raised + removed (lowered alerts are among the raised).
func (l *suppressionLog) print(w io.Writer) {
	if len(l.counts) == 0 {
		fmt.Fprintln(w, "suppressed: none")
		return
	}
	l.counts.Print(w)
	var dets []string
	for d := range l.removed {
		dets = append(dets, d)
	}
	for d := range l.lowered {
		if _, ok := l.removed[d]; !ok {
			dets = append(dets, d)
		}
	}
	sort.Strings(dets)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "DETECTION\tCANDIDATES\tRAISED\tREMOVED\tLOWERED (OF RAISED)")
	for _, d := range dets {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\n", d, l.raised[d]+l.removed[d], l.raised[d], l.removed[d], l.lowered[d])
	}
	tw.Flush()
}
