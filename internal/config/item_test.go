package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// tlsProvider declares a *_file key of its own: it wants the path, not the contents.
type tlsProvider struct {
	CAFile       string `yaml:"ca_file"`
	ClientSecret Secret `yaml:"client_secret"`
	Certificate  string `yaml:"certificate"`
}

func TestFileKeysFollowTheProvidersStruct(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "secret"), []byte("s3cr3t\n"), 0o600)
	os.WriteFile(filepath.Join(dir, "app.pem"), []byte("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"), 0o600)
	cfg, err := Parse([]byte(`sources:
  - name: contoso
    type: graph
    ca_file: ca.pem
    client_secret_file: secret
    certificate_file: app.pem
`), dir, env(nil))
	if err != nil {
		t.Fatal(err)
	}
	var p tlsProvider
	if err := cfg.Sources[0].Decode(&p); err != nil {
		t.Fatal(err)
	}
	if p.CAFile != "ca.pem" {
		t.Errorf("ca_file = %q: a key the provider declares must keep its path", p.CAFile)
	}
	if p.ClientSecret.Reveal() != "s3cr3t" {
		t.Errorf("client_secret_file: got %q, want the file's first line without its newline", p.ClientSecret.Reveal())
	}
	if !strings.HasPrefix(p.Certificate, "-----BEGIN CERTIFICATE-----\nMIIB") || strings.HasSuffix(p.Certificate, "\n") {
		t.Errorf("certificate_file: got %q", p.Certificate)
	}
	// A provider that declares both (azure's certificate and certificate_file) reads
	// the file itself: a PKCS#12 file is binary.
	var both struct {
		CAFile          string `yaml:"ca_file"`
		ClientSecret    Secret `yaml:"client_secret"`
		Certificate     string `yaml:"certificate"`
		CertificateFile string `yaml:"certificate_file"`
	}
	if err := cfg.Sources[0].Decode(&both); err != nil || both.CertificateFile != "app.pem" || both.Certificate != "" {
		t.Errorf("certificate_file declared: %v, file %q, inline %q", err, both.CertificateFile, both.Certificate)
	}
	// A *_file whose key the provider lacks altogether is an unknown key, by its own name.
	cfg, _ = Parse([]byte("sources:\n  - name: c\n    type: graph\n    password_file: secret\n"), dir, env(nil))
	err = cfg.Sources[0].Decode(&tlsProvider{})
	if err == nil || !strings.Contains(err.Error(), "sources[0].password_file (line 4): unknown key") {
		t.Errorf("got %v", err)
	}
}

func TestDecodeTwiceReportsTheSame(t *testing.T) {
	// config check and then serve decode the same items: the first decode must not
	// consume a bad value.
	cfg, err := Parse([]byte("sources:\n  - name: c\n    type: graph\n    tenant_id: t\n    poll_interval: soon\n"), ".", env(nil))
	if err != nil {
		t.Fatal(err)
	}
	first := cfg.Sources[0].Decode(&provider{})
	second := cfg.Sources[0].Decode(&provider{})
	if first == nil || second == nil || first.Error() != second.Error() {
		t.Errorf("first: %v\nsecond: %v", first, second)
	}
}

func TestValidateWithoutAFile(t *testing.T) {
	cfg := Default()
	if err := cfg.Validate(); err != nil {
		t.Fatalf("the defaults do not validate: %v", err)
	}
	cfg.Listen = "8080"
	cfg.Pipeline.QueueBatches = 0
	cfg.Sources = []Item{{Name: "a", Type: "files"}, {Name: "a", Type: "s3"}}
	err := cfg.Validate()
	var es Errors
	if err == nil || !asErrorsOK(err, &es) || len(es) != 4 {
		t.Fatalf("want 4 errors (listen, queue_batches, duplicate name, unknown type), got %v", err)
	}
	for _, want := range []string{`listen: "8080" is not HOST:PORT`, "pipeline.queue_batches: must be at least 1",
		`sources[1].name: "a" is already the name of sources[0]`, `sources[1].type: unknown type "s3"`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("missing %q in:\n%v", want, err)
		}
	}
}

func asErrorsOK(err error, es *Errors) bool {
	e, ok := err.(Errors)
	*es = e
	return ok
}

func TestCheckNamesTypesNotBuilt(t *testing.T) {
	cfg, err := Parse([]byte("sources:\n  - name: trail\n    type: cloudtrail\n  - name: x\n    type: files\n    paths: [a]\noutputs:\n  - name: s\n    type: cef\n    address: udp://127.0.0.1:514\n"), ".", env(nil))
	if err != nil {
		t.Fatal(err)
	}
	src, out := fakeDecoders()
	delete(src, "cloudtrail")
	if err := cfg.Check(src, out); err == nil || err.Error() != "sources[0].type (line 2): type cloudtrail is not in this build of Vigil" {
		t.Errorf("got %v", err)
	}
	c := cefConfig{Format: "rfc5424"}
	if err := cfg.Outputs[0].Decode(&c); err != nil || c.Address != (Address{Network: "udp", Host: "127.0.0.1:514"}) || c.Format != "rfc5424" {
		t.Errorf("cef: %v %+v (the default format must stay)", err, c)
	}
	c = cefConfig{}
	if err := cfg.Outputs[0].Decode(&c); err == nil || err.Error() != `outputs[0].format (line 8): "": want rfc5424 or rfc3164` {
		t.Errorf("an absent required key is named at its item's line: %v", err)
	}
}

func TestParseAddress(t *testing.T) {
	for in, want := range map[string]string{
		"udp://127.0.0.1:514": "udp://127.0.0.1:514", "TLS://siem.example.com:6514": "tls://siem.example.com:6514",
		"tcp://[::1]:601": "tcp://[::1]:601", "siem:514": "no scheme", "tcp://:514": "not HOST:PORT",
		"tcp://siem:0": "port \"0\"", "tcp://siem:99999": "port", "https://siem:443": `scheme "https"`,
	} {
		a, err := ParseAddress(in)
		got := a.String()
		if err != nil {
			got = err.Error()
		}
		if !strings.Contains(got, want) {
			t.Errorf("%s: got %q, want %q", in, got, want)
		}
	}
	if d, _ := ParseDuration("2w"); d != 14*24*time.Hour {
		t.Errorf("2w = %v", d)
	}
	// Past int64 the value would wrap to a negative or a tiny one: refused instead.
	for _, s := range []string{"1e30d", "NaNd", "+Infw"} {
		if d, err := ParseDuration(s); err == nil {
			t.Errorf("%s = %v, want an error", s, d)
		}
	}
	for _, s := range []string{"1e30GB", "NaN", "9300PB", "1e19"} {
		if z, err := ParseSize(s); err == nil {
			t.Errorf("%s = %d, want an error", s, z)
		}
	}
}

func TestCheckDoesNotNameAKeyLoadNamed(t *testing.T) {
	cfg, err := Parse([]byte("sources:\n  - name: c\n    type: graph\n    client_secret: ${UNSET}\n"), ".", env(nil))
	if err == nil || cfg == nil {
		t.Fatalf("%v", err)
	}
	src, out := fakeDecoders()
	required := func(it Item) error {
		return Errors{{Path: it.Path + ".client_secret", Line: 4, Reason: "required"}, {Path: it.Path + ".tenant_id", Line: 2, Reason: "required"}}
	}
	src["graph"] = required
	if err := cfg.Check(src, out); err == nil || err.Error() != "sources[0].tenant_id (line 2): required" {
		t.Errorf("got %v, want only the key Parse did not name", err)
	}
}

func TestDecodeDoesNotNameAKeyLoadNamed(t *testing.T) {
	cfg, err := Parse([]byte("sources:\n  - name: c\n    type: graph\n    tenant_id: ${UNSET}\n"), ".", env(nil))
	if err == nil || !strings.Contains(err.Error(), "sources[0].tenant_id (line 4): environment variable UNSET is not set") {
		t.Fatalf("load: %v", err)
	}
	// The provider's Validate says tenant_id is required: that is the same mistake.
	if err := cfg.Sources[0].Decode(&provider{PollInterval: Duration(time.Minute)}); err != nil {
		t.Errorf("decode named the key again: %v", err)
	}
}
