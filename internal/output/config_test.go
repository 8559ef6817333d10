package output_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vigil-sec/vigil/internal/config"
	"github.com/vigil-sec/vigil/internal/output/cef"
	"github.com/vigil-sec/vigil/internal/output/webhook"
)

const outputsYAML = `outputs:
  - name: sentinel
    type: cef
    address: tls://siem.example:6514
    format: rfc3164
    framing: newline
    ca_file: %CA%
    min_score: 60
    severities: [high, critical]
    time_offset: -1h
  - name: hook
    type: webhook
    url: https://hooks.example/vigil
    secret_file: %SECRET%
    rule_kinds: [correlation]
  - name: typo
    type: cef
    address: tcp://siem.example:514
    min_scor: 10
`

// TestDecodeThroughConfig decodes outputs as the daemon does (config.Parse, Item.Decode
// into DefaultConfig): the shared filter keys inline, secret_file read by the loader,
// ca_file kept as a path, unknown keys named with their line.
func TestDecodeThroughConfig(t *testing.T) {
	dir := t.TempDir()
	ca, secret := filepath.Join(dir, "ca.pem"), filepath.Join(dir, "hook.secret")
	for _, f := range []string{ca, secret} {
		if err := os.WriteFile(f, []byte("hunter2\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	yml := strings.NewReplacer("%CA%", ca, "%SECRET%", secret).Replace(outputsYAML)
	cfg, err := config.Parse([]byte(yml), dir, func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	c := cef.DefaultConfig()
	if err := cfg.Outputs[0].Decode(&c); err != nil {
		t.Fatal(err)
	}
	if c.Name != "sentinel" || c.Address.String() != "tls://siem.example:6514" || c.Format != "rfc3164" || c.Framing != "newline" ||
		c.CAFile != ca || c.MinScore != 60 || len(c.Severities) != 2 || c.TimeOffset.D() != -time.Hour || c.Facility != 10 {
		t.Errorf("cef config %+v", c)
	}
	if o := c.QueueOptions(); o.Filter.MinScore != 60 || o.Filter.TimeOffset.D() != -time.Hour {
		t.Errorf("queue options %+v", o)
	}
	w := webhook.DefaultConfig()
	if err := cfg.Outputs[1].Decode(&w); err != nil {
		t.Fatal(err)
	}
	if w.Secret != "hunter2" || w.Format != "json" || w.RuleKinds[0] != "correlation" {
		t.Errorf("webhook config %+v", w)
	}
	bad := cef.DefaultConfig()
	err = cfg.Outputs[2].Decode(&bad)
	if err == nil || !strings.Contains(err.Error(), "outputs[2].min_scor (line 19)") {
		t.Errorf("typo: %v", err)
	}
}
