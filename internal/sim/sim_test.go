package sim

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
)

func simulate(t *testing.T, cfg Config) (string, []Truth) {
	t.Helper()
	dir := t.TempDir()
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	w := NewWriter(dir, cfg.Seed)
	truth, err := s.Run(context.Background(), w.Write)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	return dir, truth
}

// digest hashes every file under dir, by path.
func digest(t *testing.T, dir string) string {
	t.Helper()
	var lines []string
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			b, _ := os.ReadFile(p)
			rel, _ := filepath.Rel(dir, p)
			lines = append(lines, rel+" "+string(sha256.New().Sum(b)))
		}
		return nil
	})
	sort.Strings(lines)
	h := sha256.Sum256([]byte(strings.Join(lines, "\n")))
	return string(h[:])
}

func TestDeterministicForASeed(t *testing.T) {
	cfg := Config{Seed: 7, Users: 30, Days: 4}
	a, _ := simulate(t, cfg)
	b, _ := simulate(t, cfg)
	if digest(t, a) != digest(t, b) {
		t.Error("the same seed gave different output")
	}
	cfg.Seed = 8
	c, _ := simulate(t, cfg)
	if digest(t, a) == digest(t, c) {
		t.Error("different seeds gave the same output")
	}
}

var cloudTrailName = regexp.MustCompile(`^AWSLogs/(\d{12})/CloudTrail/([a-z0-9-]+)/(\d{4})/(\d{2})/(\d{2})/(\d{12})_CloudTrail_([a-z0-9-]+)_(\d{8})T(\d{4})Z_[A-Za-z0-9]{16}\.json\.gz$`)

func TestLayoutAndValidJSON(t *testing.T) {
	dir, truth := simulate(t, Config{Seed: 3, Users: 40, Days: 5})
	if len(truth) < len(ScenarioNames()) {
		t.Errorf("%d truth lines for %d scenarios", len(truth), len(ScenarioNames()))
	}
	files := 0
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		files++
		rel, _ := filepath.Rel(dir, p)
		rel = filepath.ToSlash(rel)
		b, _ := os.ReadFile(p)
		if strings.HasPrefix(rel, "AWSLogs/") {
			m := cloudTrailName.FindStringSubmatch(rel)
			if m == nil || m[1] != m[6] || m[2] != m[7] || m[3]+m[4]+m[5] != m[8] {
				t.Errorf("CloudTrail object named %s", rel)
			}
			zr, err := gzip.NewReader(bytes.NewReader(b))
			if err != nil {
				t.Fatalf("%s: %v", rel, err)
			}
			b, _ = io.ReadAll(zr)
		}
		var v map[string]json.RawMessage
		if err := json.Unmarshal(b, &v); err != nil {
			t.Errorf("%s is not JSON: %v", rel, err)
		}
		wrapper := map[string]string{"graph": "value", "activitylog": "value", "eventhub": "records", "AWSLogs": "Records"}[strings.Split(rel, "/")[0]]
		if _, ok := v[wrapper]; !ok {
			t.Errorf("%s has no %q array", rel, wrapper)
		}
		return nil
	})
	if files < 50 {
		t.Errorf("only %d files", files)
	}
}

func TestUnknownScenarioAndBadSizes(t *testing.T) {
	if _, err := New(Config{Users: 30, Days: 4, Scenarios: []string{"nope"}}); err == nil {
		t.Error("unknown scenario accepted")
	}
	if _, err := New(Config{Users: 2, Days: 4}); err == nil {
		t.Error("2 users accepted")
	}
}

func TestStreamIsTimeOrdered(t *testing.T) {
	s, _ := New(Config{Seed: 2, Users: 30, Days: 6})
	var last Record
	n := 0
	_, err := s.Run(context.Background(), func(r Record) error {
		if n > 0 && r.Time.Before(last.Time) {
			t.Fatalf("record at %v after one at %v", r.Time, last.Time)
		}
		last = r
		n++
		return nil
	})
	if err != nil || n == 0 {
		t.Fatal(n, err)
	}
}
