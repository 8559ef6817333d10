package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/vigil-sec/vigil/internal/config"
)

// TestGeoIPDocSaysWhatCommandsRead: every YAML example in docs/geoip.md is a config that
// config.Parse takes (unknown keys are errors there) and that sets the databases; every
// flag the page names is one vigil hunt has; the section the page used to document is
// refused, as the page now says.
func TestGeoIPDocSaysWhatCommandsRead(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "..", "docs", "geoip.md"))
	if err != nil {
		t.Fatal(err)
	}
	blocks := regexp.MustCompile("(?s)```yaml\n(.*?)```").FindAllSubmatch(doc, -1)
	if len(blocks) == 0 {
		t.Fatal("docs/geoip.md has no YAML example")
	}
	for _, b := range blocks {
		cfg, err := config.Parse(b[1], t.TempDir(), func(string) (string, bool) { return "", false })
		if err != nil {
			t.Errorf("docs/geoip.md example does not parse:\n%s\n%v", b[1], err)
			continue
		}
		if cfg.Detect.GeoIPCity == "" || cfg.Detect.GeoIPASN == "" {
			t.Errorf("docs/geoip.md example sets no database: %+v", cfg.Detect)
		}
	}
	help, _, _ := runCmd(t, "hunt", "--help")
	for _, f := range regexp.MustCompile(`--geoip-[a-z]+`).FindAllString(string(doc), -1) {
		if !strings.Contains(help, "  -"+f[2:]+" ") {
			t.Errorf("docs/geoip.md names %s, which vigil hunt does not have", f)
		}
	}
	for _, k := range regexp.MustCompile("`detect\\.([a-z_]+)`").FindAllSubmatch(doc, -1) {
		y := "detect:\n  " + string(k[1]) + ": /x.mmdb\n"
		if _, err := config.Parse([]byte(y), t.TempDir(), func(string) (string, bool) { return "", false }); err != nil {
			t.Errorf("docs/geoip.md names detect.%s, which the config refuses: %v", k[1], err)
		}
	}
	old := "geoip:\n  city_db: /x.mmdb\n  reload_every: 60s\n"
	if _, err := config.Parse([]byte(old), t.TempDir(), func(string) (string, bool) { return "", false }); err == nil || !strings.Contains(err.Error(), "geoip") {
		t.Errorf("a geoip: section is taken (%v); docs/geoip.md says it is refused", err)
	}
}

// TestGeoIPFlagErrorsNameTheFlag: a bad database given to vigil hunt is one error that
// names the flag the user typed and the path, once.
func TestGeoIPFlagErrorsNameTheFlag(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "City.mmdb")
	garbage := filepath.Join(t.TempDir(), "ASN.mmdb")
	if err := os.WriteFile(garbage, []byte("not a database"), 0o644); err != nil {
		t.Fatal(err)
	}
	for flag, path := range map[string]string{"--geoip-city": missing, "--geoip-asn": garbage} {
		out, errOut, code := runCmd(t, "hunt", flag, path, exampleLogs)
		if code != 2 || out != "" || strings.Count(errOut, "\n") != 1 || !strings.Contains(errOut, flag+" "+path+": ") ||
			strings.Count(errOut, path) != 1 || strings.Contains(errOut, "_db") {
			t.Errorf("hunt %s %s: exit %d, stderr %q", flag, path, code, errOut)
		}
	}
}
