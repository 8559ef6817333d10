package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"path/filepath"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"golang.org/x/sync/errgroup"

	"github.com/vigil-sec/vigil/internal/alert"
	"github.com/vigil-sec/vigil/internal/console"
	"github.com/vigil-sec/vigil/internal/detect/behavior"
	"github.com/vigil-sec/vigil/internal/enrich/geoip"
	"github.com/vigil-sec/vigil/internal/hunt"
	"github.com/vigil-sec/vigil/internal/incident/grouper"
	"github.com/vigil-sec/vigil/internal/normalize"
	"github.com/vigil-sec/vigil/internal/normalize/formats"
	"github.com/vigil-sec/vigil/internal/output"
	"github.com/vigil-sec/vigil/internal/pipeline"
	"github.com/vigil-sec/vigil/internal/source"
	"github.com/vigil-sec/vigil/internal/store/sqlite"
	"github.com/vigil-sec/vigil/internal/triage"
)

// daemonSpec is everything a running daemon is made of, from `vigil serve`'s config or
// `vigil demo`'s built-in world.
type daemonSpec struct {
	dataDir   string
	listen    string
	token     string
	pipeline  pipeline.Config
	ruleDirs  []string
	noBuiltin bool
	noBehav   bool
	geo       geoip.Config
	sources   func(n *normalize.Normalizer) ([]source.Source, error)
	outputs   []builtOutput
	clock     func() time.Time
	onAlert   func(alert.Alert)
	onListen  func(addr string) // told the console's address once it listens
	// onConsole is told the console's URL and login line once it listens (the password
	// only when this start made or reset it).
	onConsole func(line string)
	// console is the web console's and API's security: the admin, sessions, TLS.
	console consoleSpec
	logger  *slog.Logger
	// exitWhenDone ends the daemon when every source has finished (the demo with a
	// duration); otherwise the console serves on until ctx ends.
	exitWhenDone bool
}

// daemon is a built daemon, ready to run.
type daemon struct {
	spec     daemonSpec
	store    *sqlite.Store
	pipeline *pipeline.Pipeline
	console  *console.Server
	geo      *geoip.Enricher
	listener net.Listener
	queues   []*output.Queue
	triage   *triage.Triager
	// pipelineDone is done when the pipeline has stopped (drained), so the outputs can
	// send what it raised last.
	pipelineDone sync.WaitGroup
	// adminPassword is the first admin's password when this start made it (or the demo
	// reset it), so it can be printed once; "" otherwise.
	adminPassword string
}

// buildDaemon opens the store, loads the rules, builds the sources, the pipeline and the
// console, and listens. Nothing runs until run.
func buildDaemon(ctx context.Context, spec daemonSpec) (*daemon, error) {
	log := spec.logger
	st, err := sqlite.Open(ctx, spec.dataDir)
	if err != nil {
		return nil, err
	}
	d := &daemon{spec: spec, store: st}
	ok := false
	defer func() {
		if !ok {
			d.close()
		}
	}()
	uploadDir := filepath.Join(spec.dataDir, "rules-uploaded")
	ruleDirs := spec.ruleDirs
	if hasRules(uploadDir) {
		ruleDirs = append(append([]string(nil), ruleDirs...), uploadDir)
	}
	rs, loadErrs := hunt.LoadRules(hunt.Options{RuleDirs: ruleDirs, NoBuiltin: spec.noBuiltin, Logger: log})
	for _, e := range loadErrs {
		log.Warn("rule not loaded", "error", e.Error())
	}
	if rs.Len() == 0 && (len(spec.ruleDirs) > 0 || !spec.noBuiltin) {
		return nil, errors.New("no rule loaded: see the errors above")
	}
	if d.geo, err = geoip.Open(spec.geo, log); err != nil {
		return nil, err
	}
	rules, err := console.NewRules(ctx, rs.Rules(), st, uploadDir, log)
	if err != nil {
		return nil, err
	}
	var bd *behavior.Detector
	// The console's rule switches and uploads act on the live detectors.
	arrival := rules.Detector(rs.ArrivalDetector())
	if !spec.noBehav {
		bd = behavior.New(behavior.DefaultConfig(), behavior.WithLogger(log), behavior.WithAddressInfo(addressInfo(d.geo)))
		// Rule hits are scored against the identity's history as the baselines hold it
		// (up to the watermark): routine work lowered, a first privileged act raised.
		arrival = bd.InContext(arrival)
	}
	n := normalize.New(formats.All()...)
	srcs, err := spec.sources(n)
	if err != nil {
		return nil, err
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	// Each output delivers from its own durable queue in the store: down for an hour, it
	// receives everything when it is back, in order, once per alert id and version.
	var outs []pipeline.Output
	for _, o := range spec.outputs {
		q := output.NewQueue(st, o.sender, o.opts)
		d.queues = append(d.queues, q)
		outs = append(outs, q)
	}
	if len(d.queues) > 0 {
		reg.MustRegister(output.NewCollector(d.queues...))
	}
	// Each new alert carries its triage summary; stored alerts are grouped into incidents
	// (the open ones restored first, so ids survive a restart).
	d.triage = triage.New(st, triage.Config{}, log)
	incidents := grouper.New(st, grouper.Config{}, log)
	if err := incidents.Restore(ctx); err != nil {
		return nil, err
	}
	d.pipeline, err = pipeline.New(pipeline.Options{
		Config: spec.pipeline, Store: st, Normalizer: n, Sources: srcs,
		Arrival: arrival, Ordered: rules.Detector(rs.OrderedDetector()), Baseline: bd,
		Enrich: d.geo.Enrich, Outputs: outs, OnAlert: spec.onAlert, Clock: spec.clock,
		Annotate: d.triage.Annotate, Incidents: incidents,
		Logger: log, Metrics: pipeline.NewMetrics(reg),
	})
	if err != nil {
		return nil, err
	}
	if err := d.buildConsole(ctx, rules, reg); err != nil {
		return nil, err
	}
	if d.listener, err = net.Listen("tcp", spec.listen); err != nil {
		return nil, fmt.Errorf("listen %s: %w", spec.listen, err)
	}
	ok = true
	return d, nil
}

// run runs the pipeline, the console and the geo databases' reloads until ctx ends (or
// every source finished), then stops them all and closes the store.
func (d *daemon) run(ctx context.Context) error {
	defer d.close()
	if d.spec.onListen != nil {
		d.spec.onListen(d.listener.Addr().String())
	}
	if d.spec.onConsole != nil {
		d.spec.onConsole(d.consoleLine(d.listener.Addr().String()))
	}
	d.spec.logger.Info("vigil is running", "listen", d.listener.Addr().String(), "data_dir", d.spec.dataDir)
	g, gctx := errgroup.WithContext(ctx)
	srvCtx, stopServer := context.WithCancel(gctx)
	d.pipelineDone.Add(1)
	g.Go(func() error {
		defer d.pipelineDone.Done()
		err := d.pipeline.Run(gctx)
		if err != nil || d.spec.exitWhenDone {
			stopServer()
		}
		return err
	})
	g.Go(func() error { return d.console.Serve(srvCtx, d.listener) })
	// The outputs outlive the pipeline's drain: what it raised while stopping is sent
	// before the daemon exits, for outputFlushGrace at most (what is left waits in the
	// durable queue for the next start).
	outCtx, stopOutputs := context.WithCancel(context.WithoutCancel(ctx))
	defer stopOutputs()
	for _, q := range d.queues {
		g.Go(func() error { return q.Run(outCtx) })
	}
	g.Go(func() error {
		<-srvCtx.Done()
		d.flushOutputs(outCtx, outputFlushGrace)
		stopOutputs()
		return nil
	})
	g.Go(func() error {
		err := d.geo.Run(srvCtx)
		if srvCtx.Err() != nil {
			return nil
		}
		return err
	})
	return g.Wait()
}

// outputFlushGrace bounds how long a stopping daemon waits for its outputs' queues to
// empty: a receiver that is down must not hold up a restart.
const outputFlushGrace = 10 * time.Second

// flushOutputs waits, after the pipeline has stopped, until every output's queue is empty
// or grace has passed, and says what is left.
func (d *daemon) flushOutputs(ctx context.Context, grace time.Duration) {
	if len(d.queues) == 0 {
		return
	}
	d.pipelineDone.Wait()
	deadline := time.Now().Add(grace)
	for {
		left := 0
		for _, q := range d.queues {
			left += q.Stats().Depth
		}
		if left == 0 {
			return
		}
		if time.Now().After(deadline) {
			for _, q := range d.queues {
				if st := q.Stats(); st.Depth > 0 {
					d.spec.logger.Warn("output not emptied before stopping; its alerts wait in the store for the next start",
						"output", st.Name, "queued", st.Depth, "last_error", st.LastError)
				}
			}
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(50 * time.Millisecond): // polling the queues' depth while they deliver
		}
	}
}

func (d *daemon) close() {
	for _, o := range d.spec.outputs {
		o.close()
	}
	if d.listener != nil {
		d.listener.Close()
	}
	if d.store != nil {
		d.store.Close()
	}
}
