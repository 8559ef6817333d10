package main

import (
	"context"
	"crypto/tls"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/vigil-sec/vigil/internal/alert"
	"github.com/vigil-sec/vigil/internal/auth"
	"github.com/vigil-sec/vigil/internal/console"
	"github.com/vigil-sec/vigil/internal/console/web"
	"github.com/vigil-sec/vigil/internal/event"
	"github.com/vigil-sec/vigil/internal/output"
	"github.com/vigil-sec/vigil/internal/triage"
)

// consoleSpec is the console's security configuration.
type consoleSpec struct {
	adminUser     string // default "admin"
	adminPassword string // VIGIL_ADMIN_PASSWORD; "" generates one
	// resetAdmin sets the admin's password on every start (the demo prints a fresh login
	// each time), not only when the store has no user.
	resetAdmin          bool
	tlsCert, tlsKey     string
	sessionTTL, idleTTL time.Duration
}

// adminPasswordEnv names the environment variable of the first admin's password.
const adminPasswordEnv = "VIGIL_ADMIN_PASSWORD"

// buildConsole makes the auth service (creating the first admin) and the console server.
func (d *daemon) buildConsole(ctx context.Context, rules *console.Rules, reg *prometheus.Registry) error {
	spec, log := d.spec.console, d.spec.logger
	if spec.adminUser == "" {
		spec.adminUser = "admin"
	}
	// Sessions age by the wall clock, not the demo's accelerated one.
	svc := auth.New(auth.Options{Store: d.store, SessionTTL: spec.sessionTTL, IdleTimeout: spec.idleTTL, Logger: log})
	if spec.resetAdmin {
		pw := spec.adminPassword
		if pw == "" {
			pw = auth.RandomPassword()
		}
		if err := svc.SetPassword(ctx, spec.adminUser, pw, auth.Admin); err != nil {
			return fmt.Errorf("console: set the admin's password: %w", err)
		}
		d.adminPassword = pw
	} else {
		pw, err := svc.EnsureAdmin(ctx, spec.adminUser, spec.adminPassword)
		if err != nil {
			return fmt.Errorf("console: create the admin: %w", err)
		}
		d.adminPassword = pw
	}
	var tlsConf *tls.Config
	if spec.tlsCert != "" {
		cert, err := tls.LoadX509KeyPair(spec.tlsCert, spec.tlsKey)
		if err != nil {
			return fmt.Errorf("console: load TLS certificate %s and key: %w", spec.tlsCert, err)
		}
		tlsConf = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	}
	st := d.store
	var err error
	d.console, err = console.New(console.Options{
		Token: d.spec.token, Auth: svc, Data: st, Health: d.pipeline.Health(),
		Incidents: st, History: st, Rules: rules, Gatherer: reg, TLS: tlsConf, Assets: web.FS,
		// The summary the pipeline attached when the alert was raised, else one made now.
		Triage: func(ctx context.Context, a alert.Alert) (any, error) {
			if s, ok := triage.FromDetails(a.Details); ok {
				return s, nil
			}
			return d.triage.Summarize(ctx, a)
		},
		// An entity's summary is an alert's without evidence: its history before now.
		EntityTriage: func(ctx context.Context, e event.Entity, at time.Time) (any, error) {
			return d.triage.Summarize(ctx, alert.Alert{ID: "entity", Entity: e, Time: at})
		},
		Outputs: func() []console.OutputStatus { return outputStatuses(d.queues) },
		Locate: func(ip string) (event.Location, bool) {
			r, ok := d.geo.Lookup(ip)
			if !ok || (r.Lat == 0 && r.Long == 0) {
				return event.Location{}, false
			}
			return event.Location{City: r.City, Country: r.Country, Region: r.Region, Lat: &r.Lat, Long: &r.Long}, true
		},
		Clock: d.spec.clock, Logger: log,
	})
	return err
}

// consoleLine is the console's URL and login, as `vigil demo` prints it.
func (d *daemon) consoleLine(addr string) string {
	scheme := "http"
	if d.spec.console.tlsCert != "" {
		scheme = "https"
	}
	user := d.spec.console.adminUser
	if user == "" {
		user = "admin"
	}
	pw := d.adminPassword
	if pw == "" {
		pw = "(unchanged: set at the first start, or from " + adminPasswordEnv + ")"
	}
	return fmt.Sprintf("console: %s://%s/ user: %s password: %s", scheme, addr, user, pw)
}

func outputStatuses(qs []*output.Queue) []console.OutputStatus {
	out := make([]console.OutputStatus, 0, len(qs))
	for _, q := range qs {
		s := q.Stats()
		out = append(out, console.OutputStatus{Name: q.Name(), Type: outputType(q.Name()), Depth: s.Depth,
			LagSeconds: s.OldestAge.Seconds(), DeadLetters: int(s.DeadLettered), LastError: s.LastError})
	}
	return out
}

// outputType is the output's type as its name says it ("cef", "webhook"), else "".
func outputType(name string) string {
	for _, t := range []string{"cef", "webhook"} {
		if strings.Contains(strings.ToLower(name), t) {
			return t
		}
	}
	return ""
}

// hasRules reports whether dir holds a rule file.
func hasRules(dir string) bool {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return false
	}
	for _, e := range ents {
		if ext := filepath.Ext(e.Name()); ext == ".yml" || ext == ".yaml" {
			return true
		}
	}
	return false
}
