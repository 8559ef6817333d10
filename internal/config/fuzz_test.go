package config

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// FuzzParse: no config text makes the loader or an item's decode panic, and every error
// is Errors with a path.
func FuzzParse(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/*.yaml")
	seeds = append(seeds, filepath.Join("..", "..", "vigil.example.yaml"))
	for _, s := range seeds {
		if b, err := os.ReadFile(s); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte("a: &x {b: *x}\n"))
	f.Add([]byte("sources:\n  - &s {name: a, type: files, paths: [x]}\n  - *s\n"))
	f.Add([]byte("sources:\n  - name: ${A:-${B}}\n    type: files\n    paths_file: /dev/null\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := Parse(data, "testdata", env(map[string]string{"VIGIL_TEST_SET": "set"}))
		checkErrors(t, err)
		if cfg == nil {
			return
		}
		src, out := fakeDecoders()
		checkErrors(t, cfg.Check(src, out))
	})
}

func checkErrors(t *testing.T, err error) {
	if err == nil {
		return
	}
	var es Errors
	if !errors.As(err, &es) || len(es) == 0 {
		t.Fatalf("error %T is not Errors: %v", err, err)
	}
	for _, e := range es {
		if e.Path == "" || e.Reason == "" {
			t.Fatalf("an error without a path or a reason: %#v", e)
		}
	}
}
