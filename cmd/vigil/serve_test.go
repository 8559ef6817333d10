package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigil-sec/vigil/internal/console"
)

// syncBuffer is a bytes.Buffer safe for the daemon's goroutines to write.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// TestServeFilesSourceRaisesTheHuntsAlerts runs the daemon on a files source over the
// example logs, reads its health through the API, and checks the alerts it stored are
// the ones vigil hunt raises over the same files.
func TestServeFilesSourceRaisesTheHuntsAlerts(t *testing.T) {
	dir := t.TempDir()
	addr := freeAddr(t)
	abs, _ := filepath.Abs(exampleLogs)
	cfgFile := filepath.Join(dir, "vigil.yaml")
	token := "0123456789abcdef-serve-test"
	os.WriteFile(cfgFile, []byte(`data_dir: `+filepath.Join(dir, "data")+`
listen: `+addr+`
api:
  token: ${VIGIL_TEST_TOKEN}
pipeline:
  fold_window: 0s  # each alert stored, to compare with vigil hunt --fold-window 0
sources:
  - name: exported
    type: files
    paths: [`+abs+`]
`), 0o644)
	t.Setenv("VIGIL_TEST_TOKEN", token)
	t.Setenv("VIGIL_API_TOKEN", token)
	if out, errOut, code := runCmd(t, "config", "check", "--config", cfgFile); code != 0 || !strings.Contains(out, "config ok: 1 sources") {
		t.Fatalf("config check: exit %d %s %s", code, out, errOut)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stderr syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"serve", "--config", cfgFile}, stdio{in: strings.NewReader(""), out: &stderr, err: &stderr})
	}()
	get := func(path string, auth bool) (*http.Response, error) {
		req, _ := http.NewRequest("GET", "http://"+addr+path, nil)
		if auth {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		return http.DefaultClient.Do(req)
	}
	var status console.SourcesResponse
	deadline := time.Now().Add(60 * time.Second)
	for {
		if time.Now().After(deadline) {
			t.Fatalf("the files source did not finish; log:\n%s", stderr.String())
		}
		resp, err := get("/api/v1/sources", true)
		if err == nil {
			json.NewDecoder(resp.Body).Decode(&status)
			resp.Body.Close()
			if status.Finished {
				break
			}
		}
		time.Sleep(20 * time.Millisecond) // polling the daemon's API for a state
	}
	if resp, err := get("/api/v1/sources", false); err != nil || resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("the API answered without a token: %v %v", resp.StatusCode, err)
	}
	if resp, err := get("/healthz", false); err != nil || resp.StatusCode != http.StatusOK {
		t.Errorf("/healthz: %v", err)
	}
	if s := status.Sources[0]; s.Events < 40 || s.New != s.Events {
		t.Errorf("source status %+v", s)
	}
	out, errOut, code := runCmd(t, "status", "--url", "http://"+addr)
	if code != 0 || !strings.Contains(out, "exported") || !strings.Contains(out, "finished") {
		t.Errorf("vigil status: exit %d\n%s%s", code, out, errOut)
	}
	t.Setenv("VIGIL_API_TOKEN", "wrong-token-0123456789")
	if _, errOut, code := runCmd(t, "status", "--url", "http://"+addr); code != 1 || !strings.Contains(errOut, "401") {
		t.Errorf("vigil status with a wrong token: exit %d %s", code, errOut)
	}
	cancel()
	if code := <-done; code != 0 {
		t.Fatalf("serve exited %d:\n%s", code, stderr.String())
	}
	if strings.Contains(stderr.String(), token) {
		t.Error("the daemon logged its API token")
	}
	stored, _, _ := runCmd(t, "alerts", "--data", filepath.Join(dir, "data"))
	hunted, _, _ := runCmd(t, "hunt", "--fold-window", "0", exampleLogs)
	if ids(t, stored) == nil || !slices.Equal(ids(t, stored), ids(t, hunted)) {
		t.Errorf("the daemon stored alerts %v; vigil hunt raises %v", ids(t, stored), ids(t, hunted))
	}
	bySource, _, _ := runCmd(t, "alerts", "--data", filepath.Join(dir, "data"), "--source", "exported")
	if !slices.Equal(ids(t, bySource), ids(t, stored)) {
		t.Errorf("--source exported kept %d of %d alerts", len(ids(t, bySource)), len(ids(t, stored)))
	}
	if none, _, code := runCmd(t, "alerts", "--data", filepath.Join(dir, "data"), "--source", "elsewhere"); code != 0 || none != "" {
		t.Errorf("--source elsewhere: exit %d %q", code, none)
	}
	byCat, _, _ := runCmd(t, "alerts", "--data", filepath.Join(dir, "data"), "--category", "logging.change")
	if n := len(ids(t, byCat)); n == 0 || n >= len(ids(t, stored)) {
		t.Errorf("--category logging.change kept %d of %d alerts", n, len(ids(t, stored)))
	}
}

func ids(t *testing.T, jsonLines string) []string {
	t.Helper()
	var out []string
	for _, l := range strings.Split(strings.TrimSpace(jsonLines), "\n") {
		var a struct{ ID string }
		if json.Unmarshal([]byte(l), &a) == nil && a.ID != "" {
			out = append(out, a.ID)
		}
	}
	slices.Sort(out)
	return out
}

func TestConfigCheckNamesEveryError(t *testing.T) {
	dir := t.TempDir()
	cfgFile := filepath.Join(dir, "vigil.yaml")
	os.WriteFile(cfgFile, []byte(`listen: nowhere
sources:
  - name: exported
    type: files
    pathz: [/tmp]
  - name: aws
    type: cloudtrail
outputs:
  - name: siem
    type: cef
`), 0o644)
	_, errOut, code := runCmd(t, "config", "check", "--config", cfgFile)
	if code != 1 {
		t.Fatalf("exit %d, want 1:\n%s", code, errOut)
	}
	for _, want := range []string{"listen (line 1)", "sources[0].pathz (line 5): unknown key (did you mean paths?)"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("missing %q in:\n%s", want, errOut)
		}
	}
	os.WriteFile(cfgFile, []byte("sources:\n  - name: aws\n    type: cloudtrail\n"), 0o644)
	if _, errOut, code := runCmd(t, "config", "check", "--config", cfgFile); code != 1 || !strings.Contains(errOut, "sources[0].bucket (line 2): required") {
		t.Errorf("a cloudtrail source without a bucket: exit %d\n%s", code, errOut)
	}
}

func TestExampleConfigChecks(t *testing.T) {
	t.Setenv("VIGIL_API_TOKEN", "an-example-token-0123456789")
	t.Setenv("VIGIL_GRAPH_SECRET", "an-example-secret")
	out, errOut, code := runCmd(t, "config", "check", "--config", filepath.Join("..", "..", "vigil.example.yaml"))
	if code != 0 || !strings.Contains(out, "config ok: 3 sources") {
		t.Fatalf("vigil.example.yaml: exit %d\n%s%s", code, out, errOut)
	}
}

// TestServeGeoIPErrorNamesTheConfigKey: a GeoIP database that cannot be opened is named by
// the key the user wrote in vigil.yaml, not by an internal name or a hunt flag.
func TestServeGeoIPErrorNamesTheConfigKey(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "vigil.yaml")
	missing := filepath.Join(dir, "GeoLite2-City.mmdb")
	body := "data_dir: " + filepath.Join(dir, "data") + "\nlisten: 127.0.0.1:0\ndetect:\n  geoip_city: " + missing + "\n"
	if err := os.WriteFile(cfg, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	_, errOut, code := runCmd(t, "serve", "--config", cfg)
	if code == 0 || !strings.Contains(errOut, "detect.geoip_city "+missing) || strings.Contains(errOut, "city_db") {
		t.Errorf("serve with a missing GeoIP database: exit %d\n%s", code, errOut)
	}
}
