package config

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// TestBadConfigs loads each testdata/*.bad.yaml as `vigil config check` does (Load, then
// each item's decoder) and checks the errors against its header: every `# error: …` line
// must be among the reported errors, as many errors as such lines, and no `# secret: …`
// anywhere in them.
func TestBadConfigs(t *testing.T) {
	files, _ := filepath.Glob("testdata/*.bad.yaml")
	if len(files) < 15 {
		t.Fatalf("only %d bad configs", len(files))
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			t.Setenv("VIGIL_TEST_SET", "set")
			data, _ := os.ReadFile(f)
			var want, secrets []string
			for _, line := range strings.Split(string(data), "\n") {
				if w, ok := strings.CutPrefix(line, "# error: "); ok {
					want = append(want, w)
				} else if s, ok := strings.CutPrefix(line, "# secret: "); ok {
					secrets = append(secrets, s)
				}
			}
			if len(want) == 0 {
				t.Fatalf("%s has no '# error: ' line", f)
			}
			_, err := loadAndCheck(f)
			if err == nil {
				t.Fatalf("loaded without error; want %q", want)
			}
			got := strings.Split(strings.TrimSpace(err.Error()), "\n")
			for _, w := range want {
				found := false
				for _, g := range got {
					found = found || strings.Contains(g, w)
				}
				if !found {
					t.Errorf("errors:\n%v\nwant one to contain:\n%s", err, w)
				}
			}
			if len(got) != len(want) {
				t.Errorf("%d errors, want %d:\n%v", len(got), len(want), err)
			}
			for _, s := range secrets {
				if strings.Contains(err.Error(), s) {
					t.Errorf("an error quotes the secret %q:\n%v", s, err)
				}
			}
		})
	}
}

// TestGoodConfigs loads each testdata/*.good.yaml without an error.
func TestGoodConfigs(t *testing.T) {
	files, _ := filepath.Glob("testdata/*.good.yaml")
	if len(files) == 0 {
		t.Fatal("no good configs")
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			t.Setenv("VIGIL_TEST_SET", "set")
			if _, err := loadAndCheck(f); err != nil {
				t.Errorf("%v", err)
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
  - name: t2
    type: graph
    client_secret_file: token
    ca_file: /etc/ssl/private-ca.pem
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
	// A config that declares a *_file key of its own (a path its code opens) keeps it.
	var q struct {
		ClientSecret Secret `yaml:"client_secret"`
		CAFile       string `yaml:"ca_file"`
	}
	if err := cfg.Sources[1].Decode(&q); err != nil {
		t.Fatal(err)
	}
	if q.ClientSecret.Reveal() != "from-a-file-0123456789" || q.CAFile != "/etc/ssl/private-ca.pem" {
		t.Errorf("decoded %+v", q)
	}
}

func TestExpandedValuesAreTypedAsWritten(t *testing.T) {
	cfg, err := Parse([]byte(`pipeline:
  queue_batches: ${Q}
detect:
  no_builtin: ${NB:-true}
  geoip_city: ${T}
sources:
  - name: ${N}
    type: files
    paths: ["${P}"]
`), ".", env(map[string]string{"Q": "8", "T": "null", "N": "0123", "P": "42"}))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Pipeline.QueueBatches != 8 || !cfg.Detect.NoBuiltin {
		t.Errorf("a number and a boolean from the environment: %+v %+v", cfg.Pipeline, cfg.Detect)
	}
	if cfg.Detect.GeoIPCity != "null" || cfg.Sources[0].Name != "0123" {
		t.Errorf("strings must stay as written: %q, name %q", cfg.Detect.GeoIPCity, cfg.Sources[0].Name)
	}
	var f struct {
		Paths []string `yaml:"paths"`
	}
	if err := cfg.Sources[0].Decode(&f); err != nil || len(f.Paths) != 1 || f.Paths[0] != "42" {
		t.Errorf("paths %v %v", f.Paths, err)
	}
	if _, err := Parse([]byte("pipeline:\n  queue_batches: ${Q}\n"), ".", env(map[string]string{"Q": "many"})); err == nil ||
		err.Error() != "pipeline.queue_batches (line 2): cannot unmarshal !!str `many` into int" {
		t.Errorf("a word where a number goes: %v", err)
	}
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

func TestExampleConfigLoads(t *testing.T) {
	t.Setenv("VIGIL_API_TOKEN", "an-example-token-0123456789")
	t.Setenv("VIGIL_GRAPH_SECRET", "an-example-secret")
	if _, err := loadAndCheck(filepath.Join("..", "..", "vigil.example.yaml")); err != nil {
		t.Fatalf("vigil.example.yaml: %v", err)
	}
}

// TestDocsNameEveryKey: docs/config.md has a row for every top-level key, by its full
// path, so a key added here without a word for users fails.
func TestDocsNameEveryKey(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "..", "docs", "config.md"))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	var walk func(prefix string, fields map[string]reflect.Type)
	walk = func(prefix string, fields map[string]reflect.Type) {
		for k, ft := range fields {
			path := prefix + k
			if ft.Kind() == reflect.Struct && !reflect.PointerTo(ft).Implements(unmarshalerType) {
				walk(path+".", yamlFields(ft))
				continue
			}
			n++
			if !strings.Contains(string(doc), "`"+path+"`") {
				t.Errorf("docs/config.md does not document `%s`", path)
			}
		}
	}
	walk("", yamlFields(reflect.TypeFor[Config]()))
	if n < 16 {
		t.Errorf("only %d keys walked", n)
	}
}
