package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigil-sec/vigil/internal/output/webhook"
)

// TestServeDeliversToASignedWebhook: the daemon's alerts reach a webhook output through
// its durable queue, each once, signed with the configured secret.
func TestServeDeliversToASignedWebhook(t *testing.T) {
	var mu sync.Mutex
	var got []string
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if err := webhook.Verify([]byte("hook-secret"), r.Header.Get("X-Vigil-Timestamp"), r.Header.Get("X-Vigil-Signature"), body, time.Now(), 5*time.Minute); err != nil {
			t.Errorf("signature: %v", err)
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		var payload struct {
			Alerts []struct{ ID string } `json:"alerts"`
		}
		if err := json.Unmarshal(body, &payload); err != nil {
			t.Errorf("body: %v\n%s", err, body)
		}
		mu.Lock()
		for _, a := range payload.Alerts {
			got = append(got, a.ID)
		}
		mu.Unlock()
	}))
	defer recv.Close()
	dir := t.TempDir()
	abs, _ := filepath.Abs(exampleLogs)
	os.WriteFile(filepath.Join(dir, "hook"), []byte("hook-secret\n"), 0o600)
	cfgFile := filepath.Join(dir, "vigil.yaml")
	os.WriteFile(cfgFile, []byte(`data_dir: `+filepath.Join(dir, "data")+`
listen: 127.0.0.1:0
api:
  token: 0123456789abcdef-webhook-test
sources:
  - name: exported
    type: files
    paths: [`+abs+`]
outputs:
  - name: soar
    type: webhook
    url: `+recv.URL+`
    secret_file: hook
`), 0o644)
	if out, errOut, code := runCmd(t, "config", "check", "--config", cfgFile); code != 0 || !strings.Contains(out, "1 outputs") {
		t.Fatalf("config check: %d %s %s", code, out, errOut)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var logs syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"serve", "--config", cfgFile}, stdio{in: strings.NewReader(""), out: &logs, err: &logs})
	}()
	want := 0
	deadline := time.Now().Add(time.Minute)
	for {
		stored, _, _ := runCmd(t, "alerts", "--data", filepath.Join(dir, "data"))
		want = len(ids(t, stored))
		mu.Lock()
		n := len(got)
		mu.Unlock()
		if want > 0 && n >= want {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d alerts delivered; log:\n%s", n, want, logs.String())
		}
		time.Sleep(100 * time.Millisecond) // polling the receiver
	}
	cancel()
	if code := <-done; code != 0 {
		t.Fatalf("serve exited %d\n%s", code, logs.String())
	}
	mu.Lock()
	defer mu.Unlock()
	slices.Sort(got)
	stored, _, _ := runCmd(t, "alerts", "--data", filepath.Join(dir, "data"))
	if !slices.Equal(got, ids(t, stored)) {
		t.Errorf("delivered %v, stored %v", got, ids(t, stored))
	}
	if strings.Contains(logs.String(), "hook-secret") {
		t.Error("the webhook secret was logged")
	}
}
