package geoip

import (
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigil-sec/vigil/internal/event"
)

// londinium is london moved: the same network with another name and place.
var londinium = cityEntry{network: london.network, city: "Londinium", country: "GB", regions: []string{"Britannia"},
	lat: 51.51, long: -0.09, accuracy: 5}

func cityOf(t *testing.T, e *Enricher, ip string) string {
	t.Helper()
	r, _ := e.Lookup(ip)
	return r.City
}

func TestReload(t *testing.T) {
	cfg := testDBs(t)
	var logs logBuffer
	e, err := Open(cfg, slog.New(slog.NewTextHandler(&logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		name     string
		write    func()
		wantErr  string
		wantCity string
	}{
		{"rewritten database is picked up",
			func() { writeCityDB(t, cfg.CityPath, []cityEntry{londinium}) }, "", "Londinium"},
		{"broken file keeps the database in use",
			func() { replaceFile(t, cfg.CityPath, []byte("half a download")) },
			"geoip: city_db " + cfg.CityPath + ": not a MaxMind database", "Londinium"},
		{"removed file keeps the database in use",
			func() { os.Remove(cfg.CityPath) }, "geoip: city_db " + cfg.CityPath + ": ", "Londinium"},
		{"good file again",
			func() { writeCityDB(t, cfg.CityPath, []cityEntry{london}) }, "", "London"},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			s.write()
			err := e.Reload()
			if s.wantErr == "" && err != nil || s.wantErr != "" && (err == nil || !strings.HasPrefix(err.Error(), s.wantErr)) {
				t.Errorf("Reload() = %v, want error %q", err, s.wantErr)
			}
			if got := cityOf(t, e, "81.2.69.160"); got != s.wantCity {
				t.Errorf("city after reload = %q, want %q", got, s.wantCity)
			}
			if r, _ := e.Lookup("81.2.69.160"); r.ASN != 64500 {
				t.Errorf("the ASN database was lost in the reload: %+v", r)
			}
		})
	}
	if !strings.Contains(logs.String(), "level=WARN") || !strings.Contains(logs.String(), "path="+cfg.CityPath) {
		t.Errorf("want a Warn naming the path of the refused file:\n%s", logs.String())
	}
}

// waitFor polls cond until it holds or a generous deadline passes.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.After(20 * time.Second)
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		select {
		case <-deadline:
			t.Fatalf("gave up waiting: %s", what)
		case <-tick.C:
		}
	}
}

func TestRunPicksUpChangedFiles(t *testing.T) {
	cfg := testDBs(t)
	cfg.ReloadEvery = 5 * time.Millisecond
	var logs logBuffer
	e, err := Open(cfg, slog.New(slog.NewTextHandler(&logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- e.Run(ctx) }()

	writeCityDB(t, cfg.CityPath, []cityEntry{londinium})
	waitFor(t, "the rewritten database", func() bool { return cityOf(t, e, "81.2.69.160") == "Londinium" })

	replaceFile(t, cfg.CityPath, []byte("half a download"))
	waitFor(t, "a warning about the broken file", func() bool { return strings.Contains(logs.String(), "level=WARN") })
	if got := cityOf(t, e, "81.2.69.160"); got != "Londinium" {
		t.Errorf("after a broken file the city is %q, want the database in use kept", got)
	}

	writeCityDB(t, cfg.CityPath, []cityEntry{london})
	waitFor(t, "the repaired database", func() bool { return cityOf(t, e, "81.2.69.160") == "London" })
	if n := strings.Count(logs.String(), "level=WARN"); n != 1 {
		t.Errorf("the broken file was reported %d times, want once:\n%s", n, logs.String())
	}

	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run = %v, want nil after cancel", err)
	}
}

// TestEnrichDuringReload enriches from several goroutines while the databases are swapped
// back and forth: every event must get one whole version, never a mix or nothing.
func TestEnrichDuringReload(t *testing.T) {
	cfg := testDBs(t)
	e := openTest(t, cfg)
	versions := [][]cityEntry{{london}, {londinium}}
	ctx, cancel := context.WithCancel(t.Context())
	var wg sync.WaitGroup
	errs := make(chan string, 4)
	for range 4 {
		wg.Go(func() {
			for ctx.Err() == nil {
				ev := &event.Event{SrcEndpoint: event.Endpoint{IP: "81.2.69.160"}}
				e.Enrich(ev)
				loc := ev.SrcEndpoint.Location
				ok := loc != nil && (loc.City == "London" && loc.Region == "England" && *loc.Lat == london.lat ||
					loc.City == "Londinium" && loc.Region == "Britannia" && *loc.Lat == londinium.lat)
				if !ok {
					b, _ := json.Marshal(ev.SrcEndpoint)
					errs <- string(b)
					return
				}
			}
		})
	}
	for i := range 40 {
		writeCityDB(t, cfg.CityPath, versions[i%2])
		if err := e.Reload(); err != nil {
			t.Fatal(err)
		}
	}
	cancel()
	wg.Wait()
	close(errs)
	for bad := range errs {
		t.Errorf("enriched during reload: %s", bad)
	}
}
