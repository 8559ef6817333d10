package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestConfigCheckCommandLine(t *testing.T) {
	out, errOut, code := runCmd(t, "config", "--help")
	if code != 0 || !strings.HasPrefix(out, "usage: vigil config check [--online] --config FILE") ||
		strings.Count(out, "usage:") != 1 || !strings.Contains(out, "credentials") || errOut != "" {
		t.Errorf("--help: exit %d, stdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	if _, errOut, code := runCmd(t, "config"); code != 2 || !strings.Contains(errOut, "usage:") {
		t.Errorf("no subcommand: exit %d\n%s", code, errOut)
	}
	if _, errOut, code := runCmd(t, "config", "chek"); code != 2 || !strings.Contains(errOut, `unknown subcommand "chek"`) {
		t.Errorf("a mistyped subcommand: exit %d\n%s", code, errOut)
	}
	if _, _, code := runCmd(t, "config", "check", "--bogus"); code != 2 {
		t.Errorf("an unknown flag: exit %d", code)
	}
	missing := filepath.Join(t.TempDir(), "nope.yaml")
	if _, errOut, code := runCmd(t, "config", "check", "--config", missing); code != 1 || !strings.Contains(errOut, missing) {
		t.Errorf("a missing file: exit %d\n%s", code, errOut)
	}
}

func TestConfigCheckPrintsEachErrorOnItsLine(t *testing.T) {
	dir := t.TempDir()
	cfgFile := filepath.Join(dir, "vigil.yaml")
	os.WriteFile(filepath.Join(dir, "token"), []byte("a-token-that-is-long-enough\n"), 0o600)
	os.WriteFile(cfgFile, []byte(`api:
  token_file: token
pipeline:
  idle_timeout: soon
sources:
  - name: logs
    type: files
    paths: [`+dir+`]
  - name: logs
    type: files
    path: [`+dir+`]
`), 0o644)
	out, errOut, code := runCmd(t, "config", "check", "--config", cfgFile)
	if code != 1 || out != "" {
		t.Fatalf("exit %d, stdout %q", code, out)
	}
	want := []string{
		`vigil config: pipeline.idle_timeout (line 4): invalid duration "soon" (write it as 90s, 15m, 2h or 7d)`,
		`vigil config: sources[1].name (line 9): "logs" is already the name of sources[0]`,
		`vigil config: sources[1].path (line 11): unknown key (did you mean paths?)`,
		`vigil config: 3 errors in the configuration`,
	}
	if got := strings.Split(strings.TrimSpace(errOut), "\n"); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("stderr:\n%s\nwant:\n%s", errOut, strings.Join(want, "\n"))
	}
	// Mended, the same file checks, its secret read from the file.
	os.WriteFile(cfgFile, []byte("api:\n  token_file: token\nsources:\n  - name: logs\n    type: files\n    paths: ["+dir+"]\n"), 0o644)
	out, errOut, code = runCmd(t, "config", "check", "--config", cfgFile)
	if code != 0 || out != "config ok: 1 sources, 0 outputs\n" {
		t.Errorf("exit %d\n%s%s", code, out, errOut)
	}
}

// TestConfigCheckKeepsProviderPaths: *_file keys a provider declares are paths it reads
// itself (an AKS workload identity's token rotates; it need not exist where the config is
// checked), and two sources share one app registration through a merge key.
func TestConfigCheckKeepsProviderPaths(t *testing.T) {
	cfgFile := filepath.Join(t.TempDir(), "vigil.yaml")
	os.WriteFile(cfgFile, []byte(`sources:
  - &contoso
    name: contoso
    type: graph
    tenant_id: contoso.onmicrosoft.com
    client_id: 00000000-0000-0000-0000-000000000000
    auth: workload_identity
    federated_token_file: /var/run/secrets/azure/tokens/azure-identity-token
  - <<: *contoso
    name: contoso-azure
    type: activitylog
`), 0o644)
	out, errOut, code := runCmd(t, "config", "check", "--config", cfgFile)
	if code != 0 || out != "config ok: 2 sources, 0 outputs\n" {
		t.Errorf("exit %d\n%s%s", code, out, errOut)
	}
}
