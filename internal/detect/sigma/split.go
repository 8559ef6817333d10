package sigma

import "github.com/vigil-sec/vigil/internal/detect"

// The live pipeline splits a rule set in two (see detect's package doc): single-event
// rules fire as events arrive, in whatever order they come; correlations run over each
// entity's events in event-time order, once a watermark says the events up to a time are
// in. Together the two raise exactly the alerts Detector raises.

// part selects the rules of a detector.
type part int

const (
	everyRule       part = iota // Detector
	singleEvent                 // ArrivalDetector
	correlationRule             // OrderedDetector
)

// keeps reports whether the detector of part p matches detection rule r. Correlations are
// wired beforehand, so d knows which rules feed them.
func (p part) keeps(d *Detector, r *Rule) bool {
	switch p {
	case singleEvent:
		return !d.quietBase[r] // a rule that only feeds correlations raises nothing by itself
	case correlationRule:
		return len(d.refs[r]) > 0
	}
	return true
}

// finish drops what part p does not do.
func (p part) finish(d *Detector) {
	switch p {
	case singleEvent:
		d.corrs, d.refs = nil, map[*Rule][]feedRef{}
	case correlationRule:
		d.corrOnly = true
	}
}

// ArrivalDetector returns a detector of the set's single-event rules only: it keeps no state
// between events, so events may reach it in arrival order, from any number of goroutines
// each with its own detector. Rules that only feed correlations (generate: false) are left
// to OrderedDetector.
func (rs *RuleSet) ArrivalDetector() detect.Detector { return rs.build(singleEvent) }

// OrderedDetector returns a detector of the set's correlation rules only: it matches the
// detection rules they reference, to feed them, and raises correlation alerts alone. It
// needs each entity's events in event-time order, and Advance as the watermark moves.
func (rs *RuleSet) OrderedDetector() detect.Detector { return rs.build(correlationRule) }
