package config

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

func TestSecretsNeverPrint(t *testing.T) {
	const value = "hunter2-hunter2-hunter2"
	s := Secret(value)
	cfg := Default()
	cfg.API.Token = s
	var text, js bytes.Buffer
	slog.New(slog.NewTextHandler(&text, nil)).Info("x", "secret", s, "api", cfg.API)
	slog.New(slog.NewJSONHandler(&js, nil)).Info("x", "secret", s, slog.Any("cfg", cfg))
	j, err := json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	y, err := yaml.Marshal(cfg.API)
	if err != nil {
		t.Fatal(err)
	}
	outs := map[string]string{
		"struct %+v": fmt.Sprintf("%+v", cfg), "struct %#v": fmt.Sprintf("%#v", cfg.API), "Println": fmt.Sprintln(s),
		"json": string(j), "yaml": string(y), "slog text": text.String(), "slog json": js.String(),
	}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d", "%30s", "%08.3f"} {
		outs[verb] = fmt.Sprintf(verb, s) // a variable format: every verb, those vet would refuse too
	}
	for how, out := range outs {
		if strings.Contains(out, value) || strings.Contains(out, fmt.Sprintf("%x", value)) || strings.Contains(out, "hunt") {
			t.Errorf("%s prints the secret: %s", how, out)
		}
		if !strings.Contains(out, "redacted") {
			t.Errorf("%s shows no [redacted]: %s", how, out)
		}
	}
	if s.Reveal() != value {
		t.Error("Reveal lost the secret")
	}
	if fmt.Sprint(Secret("")) != "" {
		t.Error("an empty secret prints as if set")
	}
}

// TestErrorsNeverQuoteSecrets: every error a bad secret can cause names the key, never
// the value.
func TestErrorsNeverQuoteSecrets(t *testing.T) {
	const value = "hunter2-hunter2"
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "s"), []byte(value+"\n"), 0o600)
	for name, doc := range map[string]string{
		"short token":             "api:\n  token: hunt\n",
		"secret into an int":      "pipeline:\n  queue_batches_file: s\n",
		"a list under a secret":   "api:\n  token: [" + value + "]\n",
		"secret key, wrong type":  "sources:\n  - name: a\n    type: graph\n    tenant_id: t\n    page_size_token: " + value + "\n",
		"file into a typed field": "sources:\n  - name: a\n    type: graph\n    tenant_id: t\n    page_size_file: s\n",
	} {
		cfg, err := Parse([]byte(doc), dir, env(nil))
		if cfg != nil && err == nil {
			src, out := fakeDecoders()
			err = cfg.Check(src, out)
		}
		if err == nil {
			t.Errorf("%s: no error", name)
			continue
		}
		if strings.Contains(err.Error(), "hunt") {
			t.Errorf("%s: the error quotes the secret: %v", name, err)
		}
	}
}
