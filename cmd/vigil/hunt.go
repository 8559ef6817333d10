package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/goccy/go-json"

	"github.com/vigil-sec/vigil/internal/alert"
	"github.com/vigil-sec/vigil/internal/detect/behavior"
	"github.com/vigil-sec/vigil/internal/enrich/geoip"
	"github.com/vigil-sec/vigil/internal/hunt"
	"github.com/vigil-sec/vigil/internal/incident"
	"github.com/vigil-sec/vigil/internal/incident/grouper"
	"github.com/vigil-sec/vigil/internal/progress"
)

// multiFlag collects a repeatable flag.
type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(s string) error { *m = append(*m, s); return nil }

// runHunt is `vigil hunt [--rules DIR]... [--no-builtin] [--format json|table] [--quiet] PATH...`
// (every flag in its usage line):
// offline detection over log files, alerts as JSON lines on stdout (or a table for people).
func runHunt(ctx context.Context, args []string, std stdio) error {
	fl := flag.NewFlagSet("hunt", flag.ContinueOnError)
	fl.SetOutput(std.err)
	var ruleDirs multiFlag
	fl.Var(&ruleDirs, "rules", "a folder of Sigma rules to run as well (repeatable)")
	noBuiltin := fl.Bool("no-builtin", false, "do not run Vigil's built-in rule pack")
	baseline := fl.String("baseline", "", "keep the behavioural baselines in this file: loaded before the hunt, updated after")
	geo := geoip.Config{CityKey: "--geoip-city", ASNKey: "--geoip-asn"} // as errors name them
	fl.StringVar(&geo.CityPath, "geoip-city", "", "a MaxMind City database (.mmdb) to locate addresses the provider did not")
	fl.StringVar(&geo.ASNPath, "geoip-asn", "", "a MaxMind ASN database (.mmdb) to name the networks of addresses")
	format := fl.String("format", "json", "output: json (one alert per line) or table")
	showSuppressed := fl.Bool("show-suppressed", false, "print every candidate a detection removed or lowered, with its reason, on stderr")
	foldWindow := fl.Duration("fold-window", alert.DefaultFoldWindow, "fold alerts of one detection on one entity within this window into one (0: no folding)")
	placeholders := placeholderFlag{}
	fl.Var(placeholders, "placeholder", "value(s) for a %name% placeholder of |expand rules: name=v1,v2 (repeatable)")
	quiet := fl.Bool("quiet", false, quietUsage+"; none either while JSON alerts go to the same terminal")
	incidentsFile := fl.String("incidents", "", "write the incidents (alerts grouped by identity and linked identities, as the daemon groups them) to this file as JSON lines")
	fl.Usage = func() {
		fmt.Fprintln(std.err, "usage: vigil hunt [--rules DIR]... [--no-builtin] [--baseline FILE] [--geoip-city F] [--geoip-asn F] [--placeholder name=v1,v2]... [--format json|table] [--fold-window D] [--incidents FILE] [--show-suppressed] [--quiet] PATH...")
		fl.PrintDefaults()
	}
	positional, err := parseFlags(fl, args)
	if err != nil {
		return errUsage
	}
	if *format != "json" && *format != "table" {
		fmt.Fprintf(std.err, "vigil hunt: --format %q: want json or table\n", *format)
		fl.Usage()
		return errUsage
	}
	if len(positional) == 0 {
		fl.Usage()
		return errUsage
	}
	// Alert lines written to the terminal the progress line is drawn on would break it
	// (and show the work going on by themselves). Messages during the hunt go above it.
	meter := newMeter(std, "vigil hunt", *quiet || (*format == "json" && progress.IsTerminal(std.out)), progress.Bytes)
	defer meter.Finish()
	logger := slog.New(slog.NewTextHandler(meter.Above(std.err), &slog.HandlerOptions{Level: slog.LevelWarn}))
	enricher, err := geoip.Open(geo, logger)
	if err != nil {
		return &exitError{code: 2, err: err}
	}
	out := bufio.NewWriter(std.out)
	defer out.Flush()
	var table []alert.Alert
	emitted := new(int)
	// The daemon's grouper without a store: it links alerts by what they say (identity,
	// the Entra user behind a role session, an address that is an alert's entity).
	incidents := grouper.New(nil, grouper.Config{}, logger)
	emit := func(a alert.Alert) error {
		*emitted++
		if err := incidents.Observe(ctx, []alert.Alert{a}); err != nil {
			return fmt.Errorf("group into incidents: %w", err)
		}
		if *format == "table" {
			table = append(table, a)
			return nil
		}
		b, err := json.Marshal(a)
		if err != nil {
			return err
		}
		out.Write(b)
		return out.WriteByte('\n')
	}
	supp := newSuppressionLog(*showSuppressed, meter.Above(std.err))
	add, flush := foldAlerts(*foldWindow, emit)
	sum, err := hunt.Run(ctx, positional, hunt.Options{RuleDirs: ruleDirs, NoBuiltin: *noBuiltin, Placeholders: placeholders, Baseline: *baseline,
		Logger: logger, Enrich: enricher.Enrich, AddressInfo: addressInfo(enricher), Suppressed: supp.suppressed, Stdin: std.in,
		Progress: fileProgress(meter)}, supp.count(add))
	meter.Finish()
	if err == nil {
		err = flush()
	}
	if errors.Is(err, hunt.ErrNoRules) {
		// One line per folder, each in the command's own words (not "vigil hunt: hunt: …").
		lines := strings.Split(err.Error(), "\n")
		for i, l := range lines {
			lines[i] = strings.TrimPrefix(l, "hunt: ")
		}
		return &exitError{code: 1, err: errors.New(strings.Join(lines, "\nvigil hunt: "))}
	}
	if err != nil {
		return err
	}
	if sum.Files == 0 && len(sum.ReadErrors) > 0 {
		// Nothing was read: the errors, not a summary of zeros.
		for _, e := range sum.ReadErrors {
			fmt.Fprintln(std.err, "vigil hunt:", e)
		}
		return &exitError{code: 1, err: fmt.Errorf("none of the paths could be read")}
	}
	found := incidents.Incidents()
	if *format == "table" {
		writeTable(out, table)
		if len(found) > 0 {
			out.WriteString("\n")
			writeIncidentTable(out, found)
		}
	}
	if *incidentsFile != "" {
		if err := writeIncidents(*incidentsFile, found); err != nil {
			return err
		}
	}
	for _, e := range sum.LoadErrors {
		fmt.Fprintln(std.err, "vigil hunt: rule not loaded:", e)
	}
	fmt.Fprintf(std.err, "vigil hunt: %d %s, %d %s (%d unparsed), %d %s, %d %s (%d after folding), %d %s\n",
		sum.Files, plural(sum.Files, "file", "files"), sum.Events, plural(sum.Events, "event", "events"), sum.Unparsed,
		sum.Rules, plural(sum.Rules, "rule", "rules"), sum.Alerts, plural(sum.Alerts, "alert", "alerts"), *emitted,
		len(found), plural(len(found), "incident", "incidents"))
	supp.print(std.err)
	for _, e := range sum.ReadErrors {
		fmt.Fprintln(std.err, "vigil hunt:", e)
	}
	if len(sum.ReadErrors) > 0 {
		return &exitError{code: 1, err: fmt.Errorf("%d of the paths could not be read, or not whole (listed above)", len(sum.ReadErrors))}
	}
	return nil
}

func writeTable(out *bufio.Writer, alerts []alert.Alert) {
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TIME\tSEVERITY\tSCORE\tRULE\tENTITY\tATT&CK\tREASON")
	for _, a := range alerts {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\t%s\t%s\n", a.Time.UTC().Format(time.RFC3339), a.Severity, a.Score,
			a.Title, a.Entity.Key(), strings.Join(a.Attack, ","), a.Reason)
	}
	tw.Flush()
}

// writeIncidentTable prints each incident: its score, span, chain length and title, then
// its story.
func writeIncidentTable(out *bufio.Writer, found []incident.Incident) {
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "INCIDENT\tSEVERITY\tSCORE\tFIRST SEEN\tLAST SEEN\tALERTS\tTITLE")
	for _, in := range found {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\t%d\t%s\n", in.ID, in.Severity, in.Score, in.FirstSeen.UTC().Format(time.RFC3339),
			in.LastSeen.UTC().Format(time.RFC3339), len(in.Chain), in.Title)
	}
	tw.Flush()
	for _, in := range found {
		fmt.Fprintf(out, "\n%s: %s\n", in.ID, in.Story)
	}
}

// writeIncidents writes the incidents to path as JSON lines.
func writeIncidents(path string, found []incident.Incident) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("--incidents: %w", err)
	}
	w := bufio.NewWriter(f)
	enc := json.NewEncoder(w)
	for _, in := range found {
		if err := enc.Encode(in); err != nil {
			f.Close()
			return fmt.Errorf("--incidents %s: %w", path, err)
		}
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return fmt.Errorf("--incidents %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("--incidents %s: %w", path, err)
	}
	return nil
}

// addressInfo lets the behavioural detections ask the geo databases about an address.
func addressInfo(e *geoip.Enricher) func(string) (behavior.AddressInfo, bool) {
	return func(ip string) (behavior.AddressInfo, bool) {
		r, ok := e.Lookup(ip)
		return behavior.AddressInfo{AccuracyKm: r.AccuracyKm, AnonymousProxy: r.IsAnonymousProxy, Satellite: r.IsSatelliteProvider}, ok
	}
}

// foldAlerts puts an alert folder in front of emit (one page per story, see alert.Folder);
// a window of 0 passes every alert as raised.
func foldAlerts(window time.Duration, emit func(alert.Alert) error) (add func(alert.Alert) error, flush func() error) {
	if window <= 0 {
		return emit, func() error { return nil }
	}
	return alert.NewFolder(window).Stream(emit)
}
