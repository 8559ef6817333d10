package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/goccy/go-json"

	"github.com/vigil-sec/vigil/internal/alert"
	"github.com/vigil-sec/vigil/internal/event"
	"github.com/vigil-sec/vigil/internal/rawjson"
	"github.com/vigil-sec/vigil/internal/store"
	"github.com/vigil-sec/vigil/internal/store/sqlite"
)

// storeFilter is the filter flags `vigil events` and `vigil alerts` share.
type storeFilter struct {
	data, since, until, source, entity, category string
	severity, rule                               string // alerts only
	limit                                        int
}

// flags registers the shared flags; of names "events" or "alerts" what they select.
func (f *storeFilter) flags(fl *flag.FlagSet, of string) {
	evidence := ""
	if of == "alerts" {
		evidence = " (of the evidence)"
		fl.StringVar(&f.severity, "severity", "", "at least this severity: low, medium, high, critical")
		fl.StringVar(&f.rule, "rule", "", "only this rule id")
	}
	fl.StringVar(&f.data, "data", "data", "the store's directory (a daemon's data_dir)")
	fl.StringVar(&f.since, "since", "", "from this time on: RFC 3339 (2026-10-20T09:00:00Z), a date, or an age such as 24h or 7d")
	fl.StringVar(&f.until, "until", "", "before this time (same forms as --since)")
	fl.StringVar(&f.entity, "entity", "", "one entity: TYPE:NAME (user:ada@contoso.com) or a user's UPN / e-mail")
	fl.StringVar(&f.source, "source", "", "only "+of+" collected by this source"+evidence+" (its configured name; file for vigil ingest)")
	fl.StringVar(&f.category, "category", "", "only this Vigil category"+evidence+" (login.failed, admin.role_assignment, …)")
	fl.IntVar(&f.limit, "limit", 0, "at most this many (0: all)")
}

// parseWhen reads an absolute time or an age before now.
func parseWhen(s string, now time.Time) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := rawjson.ParseTime(s); err == nil {
		return t, nil
	}
	if n, ok := strings.CutSuffix(s, "d"); ok {
		var days float64
		if _, err := fmt.Sscanf(n, "%g", &days); err == nil {
			return now.Add(-time.Duration(days * 24 * float64(time.Hour))), nil
		}
	}
	if d, err := time.ParseDuration(s); err == nil {
		return now.Add(-d), nil
	}
	return time.Time{}, fmt.Errorf("cannot read %q as a time (2026-10-20T09:00:00Z) or an age (24h, 7d)", s)
}

func parseEntity(s string) event.Entity {
	if s == "" {
		return event.Entity{}
	}
	if t, name, ok := strings.Cut(s, ":"); ok && !strings.Contains(t, "@") && t != "arn" {
		return event.Entity{Type: event.EntityType(t), Name: name}
	}
	return event.UserEntity(s)
}

// openExisting opens the store in dir without creating one where none is.
func openExisting(ctx context.Context, dir string) (*sqlite.Store, error) {
	if _, err := os.Stat(filepath.Join(dir, sqlite.FileName)); err != nil {
		return nil, fmt.Errorf("no store in %s (give the daemon's data_dir with --data)", dir)
	}
	return sqlite.Open(ctx, dir)
}

func (f *storeFilter) times() (from, to time.Time, err error) {
	now := time.Now()
	if from, err = parseWhen(f.since, now); err != nil {
		return from, to, fmt.Errorf("--since: %w", err)
	}
	if to, err = parseWhen(f.until, now); err != nil {
		return from, to, fmt.Errorf("--until: %w", err)
	}
	return from, to, nil
}

// runEvents is `vigil events [--data DIR] [--since T] [--until T] [--source S] [--entity E]
// [--category C]`: the stored events, oldest first, one JSON object per line.
func runEvents(ctx context.Context, args []string, std stdio) error {
	fl := flag.NewFlagSet("events", flag.ContinueOnError)
	fl.SetOutput(std.err)
	var f storeFilter
	f.flags(fl, "events")
	fl.Usage = func() {
		fmt.Fprintln(std.err, "usage: vigil events [--data DIR] [--since T] [--until T] [--source S] [--entity E] [--category C] [--limit N]")
		fl.PrintDefaults()
	}
	if rest, err := parseFlags(fl, args); err != nil || len(rest) > 0 {
		if err == nil { // the flag package printed the usage for a bad flag or -help
			fl.Usage()
		}
		return errUsage
	}
	from, to, err := f.times()
	if err != nil {
		return &exitError{code: 2, err: err}
	}
	st, err := openExisting(ctx, f.data)
	if err != nil {
		return err
	}
	defer st.Close()
	out := bufio.NewWriterSize(std.out, 64<<10)
	defer out.Flush()
	enc := json.NewEncoder(out)
	enc.SetEscapeHTML(false)
	q := store.Query{From: from, To: to, Entity: parseEntity(f.entity), Category: event.Category(f.category), Source: f.source, Ascending: true, Limit: 1000}
	n := 0
	for {
		page, err := st.Query(ctx, q)
		if err != nil {
			return err
		}
		for _, ev := range page.Events {
			if f.limit > 0 && n == f.limit {
				return nil
			}
			if err := enc.Encode(ev); err != nil {
				return err
			}
			n++
		}
		if page.Next == "" {
			return nil
		}
		q.Cursor = page.Next
	}
}

// runAlerts is `vigil alerts [--data DIR] [--since T] [--until T] [--entity E]
// [--severity S] [--rule ID]`: the stored alerts, oldest first, in the hunt's JSON shape.
func runAlerts(ctx context.Context, args []string, std stdio) error {
	fl := flag.NewFlagSet("alerts", flag.ContinueOnError)
	fl.SetOutput(std.err)
	var f storeFilter
	f.flags(fl, "alerts")
	fl.Usage = func() {
		fmt.Fprintln(std.err, "usage: vigil alerts [--data DIR] [--since T] [--until T] [--source S] [--entity E] [--category C] [--severity S] [--rule ID] [--limit N]")
		fl.PrintDefaults()
	}
	if rest, err := parseFlags(fl, args); err != nil || len(rest) > 0 {
		if err == nil { // the flag package printed the usage for a bad flag or -help
			fl.Usage()
		}
		return errUsage
	}
	from, to, err := f.times()
	if err != nil {
		return &exitError{code: 2, err: err}
	}
	var minSev alert.Severity
	if f.severity != "" {
		if minSev = alert.Severity(strings.ToLower(f.severity)); minSev.Rank() < 0 {
			return &exitError{code: 2, err: fmt.Errorf("--severity %q: want informational, low, medium, high or critical", f.severity)}
		}
	}
	st, err := openExisting(ctx, f.data)
	if err != nil {
		return err
	}
	defer st.Close()
	out := bufio.NewWriter(std.out)
	defer out.Flush()
	q := store.AlertQuery{From: from, To: to, Entity: parseEntity(f.entity), MinSeverity: minSev, RuleID: f.rule, Ascending: true, Limit: 1000}
	n := 0
	for {
		page, err := st.Alerts(ctx, q)
		if err != nil {
			return err
		}
		for _, a := range page.Alerts {
			if f.limit > 0 && n == f.limit {
				return nil
			}
			if ok, err := evidenceMatches(ctx, st, a, f.source, event.Category(f.category)); err != nil || !ok {
				if err != nil {
					return err
				}
				continue
			}
			b, err := json.Marshal(a)
			if err != nil {
				return err
			}
			out.Write(b)
			out.WriteByte('\n')
			n++
		}
		if page.Next == "" {
			return nil
		}
		q.Cursor = page.Next
	}
}

// evidenceWindow is how far before an alert its evidence is looked for (correlations and
// behavioural detections gather events over up to a day).
const evidenceWindow = 25 * time.Hour

// evidenceMatches reports whether an alert has evidence collected by source (when set)
// and of category (when set), read from the stored events.
func evidenceMatches(ctx context.Context, st store.Store, a alert.Alert, source string, cat event.Category) (bool, error) {
	if source == "" && cat == "" {
		return true, nil
	}
	uids := make(map[string]bool, len(a.EventUIDs))
	for _, u := range a.EventUIDs {
		uids[u] = true
	}
	q := store.Query{From: a.Time.Add(-evidenceWindow), To: a.Time.Add(time.Millisecond), Source: source, Category: cat, Limit: 10000}
	if !a.Entity.IsZero() && a.Entity.Type != event.EntityIP && a.Entity.Type != event.EntityASN && a.Entity.Type != event.EntityUserAgent {
		q.Entity = a.Entity
	}
	for {
		p, err := st.Query(ctx, q)
		if err != nil {
			return false, err
		}
		for _, ev := range p.Events {
			if uids[ev.Metadata.UID] {
				return true, nil
			}
		}
		if p.Next == "" {
			return false, nil
		}
		q.Cursor = p.Next
	}
}
