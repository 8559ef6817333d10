package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/vigil-sec/vigil/internal/alert"
	"github.com/vigil-sec/vigil/internal/config"
	"github.com/vigil-sec/vigil/internal/normalize"
	"github.com/vigil-sec/vigil/internal/pipeline"
	"github.com/vigil-sec/vigil/internal/sim"
	"github.com/vigil-sec/vigil/internal/sim/emulate"
	"github.com/vigil-sec/vigil/internal/source"
	"github.com/vigil-sec/vigil/internal/source/activitylog"
	"github.com/vigil-sec/vigil/internal/source/azure"
	"github.com/vigil-sec/vigil/internal/source/graph"
	"github.com/vigil-sec/vigil/internal/store"
)

// The demo tenant's identity: the emulator accepts this app and secret and nothing else.
const (
	demoTenant = "6f1d2c3b-4a5e-4f60-8b7c-9d0e1f2a3b4c"
	demoClient = "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
)

// demoOptions are `vigil demo`'s flags.
type demoOptions struct {
	data, listen, configFile string
	duration                 time.Duration
	speed                    float64
	users, historyDays       int
	seed                     uint64
	quiet                    bool
}

// runDemo is `vigil demo [--data DIR] [--listen ADDR] [--config FILE] [--duration D]`: a
// simulated Entra ID tenant and Azure subscriptions served live over the real Microsoft
// protocols on loopback (token endpoint, Graph, ARM), in accelerated time, collected by
// the daemon's own collectors, detected and shown — one process, nothing to configure.
func runDemo(ctx context.Context, args []string, std stdio) error {
	fl := flag.NewFlagSet("demo", flag.ContinueOnError)
	fl.SetOutput(std.err)
	var o demoOptions
	fl.StringVar(&o.data, "data", "", "keep the store in this folder (default: a temporary one, removed at the end)")
	fl.StringVar(&o.listen, "listen", "127.0.0.1:0", "the API's address (port 0: any free port)")
	fl.StringVar(&o.configFile, "config", "", "a vigil.yaml whose outputs receive the demo's alerts")
	fl.DurationVar(&o.duration, "duration", 0, "end after this long (default: run until Ctrl-C)")
	fl.Float64Var(&o.speed, "speed", 60, "simulated seconds per wall-clock second")
	fl.IntVar(&o.users, "users", 150, "people in the simulated tenant")
	fl.IntVar(&o.historyDays, "history", 8, "days of history before now, collected as the first start's backfill (the baselines learn from it)")
	fl.Uint64Var(&o.seed, "seed", 1, "the simulation's random seed")
	fl.BoolVar(&o.quiet, "quiet", false, "print only the summary lines, not each alert")
	fl.Usage = func() {
		fmt.Fprintln(std.err, "usage: vigil demo [--data DIR] [--listen ADDR] [--config FILE] [--duration D] [--speed X] [--users N] [--history DAYS] [--seed N] [--quiet]")
		fl.PrintDefaults()
	}
	if rest, err := parseFlags(fl, args); err != nil || len(rest) > 0 {
		if err == nil { // the flag package printed the usage for a bad flag or -help
			fl.Usage()
		}
		return errUsage
	}
	if o.speed <= 0 || o.users < 10 || o.historyDays < 1 || o.duration < 0 {
		fmt.Fprintln(std.err, "vigil demo: --speed must be positive, --users at least 10, --history at least 1 day, --duration not negative")
		return errUsage
	}
	var outputs []builtOutput
	if o.configFile != "" {
		var err error
		if outputs, err = demoOutputs(o.configFile, slog.New(slog.NewTextHandler(std.err, &slog.HandlerOptions{Level: slog.LevelWarn}))); err != nil {
			return &exitError{code: 2, err: err}
		}
	}
	if o.data == "" {
		tmp, err := os.MkdirTemp("", "vigil-demo-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		o.data = tmp
	}
	if o.duration > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, o.duration)
		defer cancel()
	}
	return demo(ctx, o, outputs, std)
}

// demoWorld is the simulated organisation served over the emulators.
type demoWorld struct {
	emu     *emulate.Server
	clock   *emulate.Accelerated
	records int
	subs    []string
	feeds   *demoFeeds // Event Hubs, S3 and SQS
	secret  string     // the demo app's client secret, as a user would keep it in client_secret_file
}

// newDemoWorld simulates the tenant from historyDays ago to two days ahead of now (the
// future arrives live at the chosen speed) and serves it.
func newDemoWorld(o demoOptions, log *slog.Logger) (*demoWorld, error) {
	return newDemoWorldIn(o, filepath.Join(o.data, "emulators"), log)
}

// newDemoWorldIn is newDemoWorld keeping the emulators' files (a certificate) in dir.
func newDemoWorldIn(o demoOptions, dir string, log *slog.Logger) (*demoWorld, error) {
	now := time.Now().UTC().Truncate(time.Minute)
	ahead := 2 * 24 * time.Hour
	end := now.Add(ahead).Truncate(time.Hour).Add(time.Hour)
	days := o.historyDays + int(ahead/(24*time.Hour)) + 1
	s, err := sim.New(sim.Config{Seed: o.seed, Users: o.users, Days: days, End: end})
	if err != nil {
		return nil, err
	}
	var recs, hubRecs, trail []sim.Record
	subs := map[string]bool{}
	if _, err := s.Run(context.Background(), func(r sim.Record) error {
		switch r.Kind {
		case sim.KindGraphSignIn, sim.KindGraphAudit, sim.KindGraphRisk:
		case sim.KindEventHub:
			// The non-interactive, service principal and managed identity sign-ins come
			// as Azure Monitor diagnostic records through Event Hubs, as a tenant
			// streaming its high-volume sign-in logs sends them (not also through Graph).
			hubRecs = append(hubRecs, r)
			return nil
		case sim.KindCloudTrail:
			trail = append(trail, r)
			return nil
		case sim.KindActivityLog:
			subs[r.Scope] = true
		default:
			return nil
		}
		recs = append(recs, r)
		return nil
	}); err != nil {
		return nil, err
	}
	w := &demoWorld{clock: emulate.NewAccelerated(now, o.speed), records: len(recs)}
	if w.feeds, err = newDemoFeeds(dir, hubRecs, trail, w.clock, o.seed, log); err != nil {
		return nil, err
	}
	w.records += w.feeds.records()
	for id := range subs {
		w.subs = append(w.subs, id)
	}
	slices.Sort(w.subs)
	secret := randomToken()
	w.emu, err = emulate.New(emulate.Options{
		Clock: w.clock, Seed: o.seed, TenantID: demoTenant, ClientID: demoClient, ClientSecret: secret,
		Subscriptions: w.subs, DuplicateRate: 0.02, Logger: log,
	})
	if err != nil {
		w.feeds.close()
		return nil, err
	}
	w.emu.Add(recs...)
	if err := w.emu.Start(); err != nil {
		w.feeds.close()
		return nil, err
	}
	w.secret = secret
	return w, nil
}

// demo runs the world and the daemon until ctx ends, printing alerts as they come.
func demo(ctx context.Context, o demoOptions, outputs []builtOutput, std stdio) error {
	log := slog.New(slog.NewTextHandler(std.err, &slog.HandlerOptions{Level: slog.LevelWarn}))
	fmt.Fprintf(std.out, "vigil demo: simulating %d people and their tenant (%d days of history, then live at %gx)…\n", o.users, o.historyDays, o.speed)
	world, err := newDemoWorld(o, log)
	if err != nil {
		return err
	}
	defer world.emu.Close()
	defer world.feeds.close()
	cred := azure.DefaultCredentials()
	cred.TenantID, cred.ClientID, cred.ClientSecret, cred.LoginEndpoint = demoTenant, demoClient, config.Secret(world.secret), world.emu.URL()
	poll := config.Duration(2 * time.Second)
	backfill := config.Duration(time.Duration(o.historyDays) * 24 * time.Hour)
	// The Microsoft sources share one request budget per app and tenant, as in vigil serve.
	opts := []azure.Option{azure.WithHTTPClient(world.emu.Client()), azure.WithClock(world.clock.Now), azure.WithLogger(log),
		azure.WithBudgets(azure.NewBudgets())}
	mkSources := func(*normalize.Normalizer) ([]source.Source, error) {
		// Two Graph sources, as a tenant with a separate app for the directory's audit
		// trail runs them: interactive sign-ins, and audits, risk and security alerts.
		gc := graph.DefaultConfig()
		gc.Name, gc.Credentials, gc.GraphEndpoint, gc.PollInterval, gc.Backfill = "entra-signins", cred, world.emu.URL(), poll, backfill
		gc.Streams = []string{"signins"}
		gs, err := graph.New(gc, opts...)
		if err != nil {
			return nil, err
		}
		gc.Name, gc.Streams = "entra-audit", []string{"directory_audits", "risk_detections", "alerts"}
		gas, err := graph.New(gc, opts...)
		if err != nil {
			return nil, err
		}
		ac := activitylog.DefaultConfig()
		ac.Name, ac.Credentials, ac.ARMEndpoint, ac.PollInterval, ac.Backfill = "azure-activity", cred, world.emu.URL(), poll, backfill
		as, err := activitylog.New(ac, opts...)
		if err != nil {
			return nil, err
		}
		feeds, err := world.feeds.sources(backfill)
		if err != nil {
			return nil, err
		}
		return append([]source.Source{gs, gas, as}, feeds...), nil
	}
	token := randomToken()
	table := newAlertTable(std.out, o.quiet)
	pcfg := pipeline.DefaultConfig()
	// Simulated time runs at --speed: a poll every 2 wall seconds is minutes of provider
	// time, so a source is idle only when it has not polled for a simulated day.
	pcfg.IdleTimeout = 24 * time.Hour
	pcfg.SnapshotInterval = time.Minute
	// A demo with a duration ends by detecting everything it collected.
	pcfg.DrainOnStop = o.duration > 0
	pcfg.FoldWindow = alert.DefaultFoldWindow // one stored alert per story, as vigil serve
	d, err := buildDaemon(ctx, daemonSpec{
		dataDir: o.data, listen: o.listen, token: token, pipeline: pcfg, sources: mkSources, outputs: outputs,
		clock: world.clock.Now, onAlert: table.add, logger: log,
		console:   consoleSpec{resetAdmin: true, adminPassword: os.Getenv(adminPasswordEnv)},
		onConsole: func(line string) { fmt.Fprintln(std.out, line) },
		onListen: func(addr string) {
			fmt.Fprintf(std.out, "vigil demo: API http://%s/api/v1/sources (bearer token %s); metrics at /metrics\n", addr, token)
			fmt.Fprintf(std.out, "vigil demo: collecting %d records from %s (Graph and ARM emulators), Event Hubs %s (Kafka, TLS, SASL PLAIN) and CloudTrail s3://%s via SQS %s — Ctrl-C ends the demo\n",
				world.records, world.emu.URL(), world.feeds.hubs.Addr(), demoTrailBucket, world.feeds.sqs.URL())
		},
	})
	if err != nil {
		return err
	}
	if err := world.feeds.deliverDue(ctx); err != nil { // the history, before the collectors start
		return err
	}
	feedCtx, stopFeeds := context.WithCancel(ctx)
	fed := make(chan error, 1)
	go func() { fed <- world.feeds.run(feedCtx) }()
	runErr := d.run(ctx)
	stopFeeds()
	if err := <-fed; err != nil && runErr == nil {
		runErr = err
	}
	events := 0
	for _, s := range d.pipeline.Health().Sources(world.clock.Now()) {
		events += s.New
	}
	alerts, err := countAlerts(context.Background(), o.data)
	if err != nil {
		return err
	}
	if n := table.folded(); n > 0 {
		fmt.Fprintf(std.out, "vigil demo: %d repeats of a detection on the same entity within a day were folded into the row above them\n", n)
	}
	fmt.Fprintf(std.out, "demo: events=%d alerts=%d sources=%d\n", events, alerts, len(d.pipeline.Health().Sources(time.Now())))
	return runErr
}

// countAlerts counts the alerts in the demo's store.
func countAlerts(ctx context.Context, dir string) (int, error) {
	st, err := openExisting(ctx, dir)
	if err != nil {
		return 0, err
	}
	defer st.Close()
	n := 0
	q := store.AlertQuery{Limit: 10000}
	for {
		p, err := st.Alerts(ctx, q)
		if err != nil {
			return n, err
		}
		n += len(p.Alerts)
		if p.Next == "" {
			return n, nil
		}
		q.Cursor = p.Next
	}
}

// alertTable prints each new story as a row people can read: repeats of one detection on
// one entity within a day fold into the row of the first.
type alertTable struct {
	mu      sync.Mutex
	w       *bufio.Writer
	quiet   bool
	header  bool
	fold    *alert.Folder
	repeats int
}

func newAlertTable(w io.Writer, quiet bool) *alertTable {
	return &alertTable{w: bufio.NewWriter(w), quiet: quiet, fold: alert.NewFolder(alert.DefaultFoldWindow)}
}

func (t *alertTable) folded() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.repeats
}

func (t *alertTable) add(a alert.Alert) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if _, first := t.fold.Add(a); !first {
		t.repeats++
		return
	}
	if t.quiet {
		return
	}
	if !t.header {
		fmt.Fprintf(t.w, "%-20s  %-8s  %5s  %-44s  %-34s  %s\n", "EVENT TIME (UTC)", "SEVERITY", "SCORE", "DETECTION", "ENTITY", "REASON")
		t.header = true
	}
	fmt.Fprintf(t.w, "%-20s  %-8s  %5d  %-44s  %-34s  %s\n", a.Time.UTC().Format("2006-01-02 15:04:05"), a.Severity, a.Score,
		clip(a.Title, 44), clip(a.Entity.Name, 34), clip(a.Reason, 100))
	t.w.Flush()
}

func clip(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}
