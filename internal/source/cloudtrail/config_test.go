package cloudtrail

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/vigil-sec/vigil/internal/config"
)

func TestValidateNamesTheKey(t *testing.T) {
	ok := DefaultConfig()
	ok.Bucket = "org-trail-logs"
	if err := ok.Validate(); err != nil {
		t.Fatalf("defaults plus a bucket: %v", err)
	}
	cases := map[string]func(*Config){
		"bucket: required":            func(c *Config) { c.Bucket = "" },
		"bucket: \"Org_Trail\"":       func(c *Config) { c.Bucket = "Org_Trail" },
		"accounts[1]:":                func(c *Config) { c.Accounts = []string{"111122223333", "1111"} },
		"regions[0]:":                 func(c *Config) { c.Regions = []string{"mars-1"} },
		"prefix:":                     func(c *Config) { c.Prefix = "AWSLogs/" },
		"endpoint:":                   func(c *Config) { c.Endpoint = "localhost:9000" },
		"secret_access_key:":          func(c *Config) { c.AccessKeyID = "AKID" },
		"role_arn:":                   func(c *Config) { c.RoleARN = "arn:aws:iam::123:user/x" },
		"external_id: needs role_arn": func(c *Config) { c.ExternalID = "x" },
		"poll_interval:":              func(c *Config) { c.PollInterval = 0 },
		"late_window:":                func(c *Config) { c.LateWindow = config.Duration(48 * time.Hour) },
		"workers:":                    func(c *Config) { c.Workers = 0 },
		"queue_url:":                  func(c *Config) { c.QueueURL = "sqs-queue" },
		"delete_after: restricted":    func(c *Config) { c.Restricted, c.DeleteAfter = true, config.Duration(time.Hour) },
		"delete_after: not supported in SQS": func(c *Config) {
			c.QueueURL, c.DeleteAfter = "https://sqs.eu-west-1.amazonaws.com/111122223333/ct", config.Duration(time.Hour)
		},
		"type:": func(c *Config) { c.Type = "graph" },
	}
	for want, mod := range cases {
		c := ok
		mod(&c)
		if err := c.Validate(); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Validate = %v, want %q", err, want)
		}
	}
}

func TestConfigFromYAML(t *testing.T) {
	c := DefaultConfig()
	in := `
name: org
type: cloudtrail
bucket: org-trail-logs
prefix: o-a1b2c3d4e5
regions: [eu-west-1, us-east-1]
role_arn: arn:aws:iam::111122223333:role/vigil-read
external_id: vigil-7f3a
late_window: 30m
write_only: true
restricted: true
`
	if err := yaml.Unmarshal([]byte(in), &c); err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if c.LateWindow.D() != 30*time.Minute || c.PollInterval.D() != time.Minute || !c.WriteOnly || c.ExternalID != "vigil-7f3a" {
		t.Errorf("decoded %+v", c)
	}
	if r, ok := queueRegion("https://sqs.eu-west-1.amazonaws.com/111122223333/ct"); !ok || r != "eu-west-1" {
		t.Errorf("queueRegion = %q %v", r, ok)
	}
}

// TestBadConfigs decodes each testdata/*.bad.yaml as the daemon does (config.Parse, then
// the item's Decode, which runs Validate) and checks its `# error:` lines are the errors,
// and that no `# secret:` is quoted.
func TestBadConfigs(t *testing.T) {
	files, _ := filepath.Glob("testdata/*.bad.yaml")
	if len(files) < 5 {
		t.Fatalf("only %d bad configs", len(files))
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			var want, secrets []string
			for _, line := range strings.Split(string(data), "\n") {
				if w, ok := strings.CutPrefix(line, "# error: "); ok {
					want = append(want, w)
				} else if s, ok := strings.CutPrefix(line, "# secret: "); ok {
					secrets = append(secrets, s)
				}
			}
			cfg, err := config.Parse(data, "testdata", func(string) (string, bool) { return "", false })
			if err == nil {
				for _, it := range cfg.Sources {
					c := DefaultConfig()
					err = errors.Join(err, it.Decode(&c))
				}
			}
			if err == nil {
				t.Fatalf("no error; want %q", want)
			}
			got := strings.Split(strings.TrimSpace(err.Error()), "\n")
			if len(got) != len(want) {
				t.Errorf("%d errors, want %d:\n%v", len(got), len(want), err)
			}
			for _, w := range want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("errors:\n%v\nwant one to contain:\n%s", err, w)
				}
			}
			for _, s := range secrets {
				if strings.Contains(err.Error(), s) {
					t.Errorf("an error quotes the secret %q", s)
				}
			}
		})
	}
}
