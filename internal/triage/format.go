package triage

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/vigil-sec/vigil/internal/store"
)

// maxCompact bounds the one-line form: it rides in a CEF custom string.
const maxCompact = 1000

// compactTop is how many values per facet the one-line form names.
const compactTop = 3

// Compact is the summary on one line for a CEF custom string or a chat message:
// "7d 1234 events; services s3(900) iam(12); … | new: countries=RU | sign-in: unusual (new country RU) | before: DeleteBucket on b 0x | holds: role Global Administrator".
func (s Summary) Compact() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %d events", shortDuration(s), s.Events)
	for _, f := range facets {
		vcs := s.History[f]
		if len(vcs) == 0 {
			continue
		}
		b.WriteString("; " + f)
		for _, vc := range vcs[:min(len(vcs), compactTop)] {
			fmt.Fprintf(&b, " %s(%d)", vc.Value, vc.Count)
		}
	}
	if len(s.New) > 0 {
		b.WriteString(" | new:")
		for _, f := range facets {
			if vs := s.New[f]; len(vs) > 0 {
				fmt.Fprintf(&b, " %s=%s", f, strings.Join(vs[:min(len(vs), compactTop)], ","))
			}
		}
	}
	b.WriteString(" | sign-in: ")
	b.WriteString(s.signInLine())
	if len(s.DoneBefore) > 0 {
		b.WriteString(" | before:")
		for _, p := range s.DoneBefore[:min(len(s.DoneBefore), compactTop)] {
			fmt.Fprintf(&b, " %s", p.Operation)
			if p.Resource != "" {
				fmt.Fprintf(&b, " on %s", p.Resource)
			}
			fmt.Fprintf(&b, " %dx;", p.Count)
		}
	}
	if len(s.Memberships) > 0 {
		b.WriteString(" | holds:")
		for _, m := range s.Memberships {
			fmt.Fprintf(&b, " %s %s;", m.Kind, m.Name)
		}
	}
	line := b.String()
	if len(line) > maxCompact {
		line = cut(line, maxCompact-3) + "..."
	}
	return line
}

func (s Summary) signInLine() string {
	if len(s.SignIns) == 0 {
		return "none in the hours before"
	}
	for _, si := range s.SignIns {
		if si.Unusual {
			return fmt.Sprintf("unusual at %s from %s (%s)", si.Time.Format("2006-01-02T15:04Z"), orDash(si.IP), strings.Join(si.Why, ", "))
		}
	}
	return fmt.Sprintf("usual (%d in the hours before)", len(s.SignIns))
}

// Text is the summary for people, one fact a line.
func (s Summary) Text() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s from %s to %s: %d events\n", s.Entity.Key(), s.From.UTC().Format("2006-01-02 15:04"), s.To.UTC().Format("2006-01-02 15:04 UTC"), s.Events)
	for _, f := range facets {
		fmt.Fprintf(&b, "  %-16s %s\n", f+":", joinCounts(s.History[f]))
	}
	if len(s.New) > 0 {
		b.WriteString("new in the evidence:\n")
		for _, f := range facets {
			if vs := s.New[f]; len(vs) > 0 {
				fmt.Fprintf(&b, "  %-16s %s\n", f+":", strings.Join(vs, ", "))
			}
		}
	}
	fmt.Fprintf(&b, "session start: %s\n", s.signInLine())
	for _, p := range s.DoneBefore {
		what := p.Operation
		if p.Resource != "" {
			what += " on " + p.Resource
		}
		if p.Count == 0 {
			fmt.Fprintf(&b, "done before? %s: never in the window\n", what)
		} else {
			fmt.Fprintf(&b, "done before? %s: %d times, last %s\n", what, p.Count, p.Last.Format("2006-01-02 15:04 UTC"))
		}
	}
	if len(s.Memberships) == 0 {
		b.WriteString("groups and roles: none recorded in the store\n")
	}
	for _, m := range s.Memberships {
		fmt.Fprintf(&b, "holds %s %q since %s (by %s)\n", m.Kind, m.Name, m.Since.Format("2006-01-02 15:04 UTC"), orDash(m.By))
	}
	return b.String()
}

func joinCounts(vcs []store.ValueCount) string {
	if len(vcs) == 0 {
		return "-"
	}
	parts := make([]string, len(vcs))
	for i, vc := range vcs {
		parts[i] = fmt.Sprintf("%s (%d)", vc.Value, vc.Count)
	}
	return strings.Join(parts, ", ")
}

func shortDuration(s Summary) string {
	d := s.To.Sub(s.From)
	if d%(24*60*60*1e9) == 0 {
		return fmt.Sprintf("%dd", int(d.Hours()/24))
	}
	return d.String()
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// cut shortens s to at most n bytes without splitting a UTF-8 sequence.
func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n]
}

// FromDetails reads the summary an alert carries in Details["triage"]: the Summary itself
// (in the daemon) or its decoded JSON (after the store or a delivery queue).
func FromDetails(details map[string]any) (Summary, bool) {
	switch v := details["triage"].(type) {
	case Summary:
		return v, true
	case *Summary:
		return *v, v != nil
	case map[string]any:
		b, err := json.Marshal(v)
		if err != nil {
			return Summary{}, false
		}
		var s Summary
		if json.Unmarshal(b, &s) != nil {
			return Summary{}, false
		}
		return s, true
	}
	return Summary{}, false
}

// Line is the one-line form of the summary in details, "" when there is none.
func Line(details map[string]any) string {
	if s, ok := FromDetails(details); ok {
		return s.Compact()
	}
	return ""
}
