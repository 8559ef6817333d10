package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestBadConfigs loads each testdata/*.bad.yaml and checks the error its first line
// names (`# error: …`) is among the reported ones.
func TestBadConfigs(t *testing.T) {
	files, _ := filepath.Glob("testdata/*.bad.yaml")
	if len(files) < 15 {
		t.Fatalf("only %d bad configs", len(files))
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			data, _ := os.ReadFile(f)
			first, _, _ := strings.Cut(string(data), "\n")
			want, ok := strings.CutPrefix(first, "# error: ")
			if !ok {
				t.Fatalf("%s does not start with '# error: '", f)
			}
			_, err := Load(f)
			if err == nil {
				t.Fatalf("loaded without error; want %q", want)
			}
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error:\n%v\nwant it to contain:\n%s", err, want)
			}
		})
	}
}

func env(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func TestEnvAndSecretFiles(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "token"), []byte("from-a-file-0123456789\n"), 0o600)
	cfg, err := Parse([]byte(`
data_dir: ${DATA:-/var/lib/vigil}
listen: ${HOST}:8443
api:
  token_file: token
pipeline:
  allowed_lateness: 45m
  replay_window: 2d
sources:
  - name: t1
    type: graph
    client_secret: ${SECRET}
    note: costs $$5
`), dir, env(map[string]string{"HOST": "0.0.0.0", "SECRET": "s3cr3t"}))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.DataDir != "/var/lib/vigil" || cfg.Listen != "0.0.0.0:8443" || cfg.API.Token.Reveal() != "from-a-file-0123456789" {
		t.Errorf("got %+v", cfg)
	}
	if cfg.Pipeline.AllowedLateness.D() != 45*time.Minute || cfg.Pipeline.ReplayWindow.D() != 48*time.Hour || cfg.Pipeline.QueueBatches != 64 {
		t.Errorf("pipeline %+v (defaults must stay where not set)", cfg.Pipeline)
	}
	var p struct {
		ClientSecret Secret `yaml:"client_secret"`
		Note         string `yaml:"note"`
	}
	if err := cfg.Sources[0].Decode(&p); err != nil {
		t.Fatal(err)
	}
	if p.ClientSecret.Reveal() != "s3cr3t" || p.Note != "costs $5" {
		t.Errorf("decoded %+v", p)
	}
}

// provider is a source config as a provider package declares it.
type provider struct {
	TenantID     string   `yaml:"tenant_id"`
	ClientSecret Secret   `yaml:"client_secret"`
	PollInterval Duration `yaml:"poll_interval"`
	Streams      []string `yaml:"streams"`
}

func (p provider) Validate() error {
	var errs []error
	if p.TenantID == "" {
		errs = append(errs, errors.New("tenant_id: required"))
	}
	if p.PollInterval < Duration(time.Second) {
		errs = append(errs, fmt.Errorf("poll_interval: at least 1s, got %s", p.PollInterval.D()))
	}
	return errors.Join(errs...)
}

func TestItemDecodeNamesPathAndLine(t *testing.T) {
	cfg, err := Parse([]byte(`sources:
  - name: ok
    type: graph
    tenant_id: contoso.onmicrosoft.com
    poll_interval: 30s
  - name: broken
    type: graph
    tenant_idd: contoso
    poll_interval: 10ms
`), ".", env(nil))
	if err != nil {
		t.Fatal(err)
	}
	p := provider{PollInterval: Duration(time.Minute)}
	if err := cfg.Sources[0].Decode(&p); err != nil || p.PollInterval.D() != 30*time.Second {
		t.Fatalf("good item: %v %+v", err, p)
	}
	err = cfg.Sources[1].Decode(&provider{})
	if err == nil || !strings.Contains(err.Error(), "sources[1].tenant_idd (line 8): unknown key (did you mean tenant_id?)") {
		t.Errorf("unknown key: %v", err)
	}
	cfg2, _ := Parse([]byte("sources:\n  - name: x\n    type: graph\n    poll_interval: 10ms\n"), ".", env(nil))
	err = cfg2.Sources[0].Decode(&provider{})
	for _, want := range []string{"sources[0].tenant_id (line 2): required", "sources[0].poll_interval (line 4): at least 1s"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("validation: %v\nwant %s", err, want)
		}
	}
}

func TestSecretsNeverPrint(t *testing.T) {
	s := Secret("hunter2-hunter2-hunter2")
	var logged bytes.Buffer
	slog.New(slog.NewJSONHandler(&logged, nil)).Info("x", "secret", s)
	j, _ := json.Marshal(struct{ S Secret }{s})
	for _, out := range []string{fmt.Sprint(s), fmt.Sprintf("%v %+v %#v %s", s, s, s, s), string(j), logged.String(), fmt.Sprintf("%+v", API{Token: s})} {
		if strings.Contains(out, "hunter2") {
			t.Errorf("the secret printed: %s", out)
		}
	}
	if s.Reveal() != "hunter2-hunter2-hunter2" {
		t.Error("Reveal lost the secret")
	}
}

func TestExampleConfigLoads(t *testing.T) {
	t.Setenv("VIGIL_API_TOKEN", "an-example-token-0123456789")
	t.Setenv("VIGIL_GRAPH_SECRET", "an-example-secret")
	if _, err := Load(filepath.Join("..", "..", "vigil.example.yaml")); err != nil {
		t.Fatalf("vigil.example.yaml: %v", err)
	}
}
