package pipeline_test

import (
	"bufio"
	"bytes"
	"os/exec"
	"strings"
	"testing"
)

// TestStagesDoNotReachIntoEachOther keeps the dependency rule of the pipeline: detection
// and the store do not import normalization, no stage imports the pipeline or the
// command, and the simulator and the detectors never import each other (so the
// scoreboard stays independent of what it scores).
func TestStagesDoNotReachIntoEachOther(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go command to list the packages with")
	}
	out, err := exec.Command("go", "list", "-f", "{{.ImportPath}} {{join .Imports \" \"}}", "github.com/vigil-sec/vigil/...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	const mod = "github.com/vigil-sec/vigil/internal/"
	rules := []struct{ from, to, why string }{
		{"detect", "normalize", "detectors read raw records through rawjson, not the normalization stage"},
		{"store", "normalize", "the store keeps events; it does not parse them"},
		{"detect", "store", "detectors declare the small interfaces they need"},
		{"detect", "sim", "the detectors must not know the simulator that scores them"},
		{"sim", "detect", "the simulator must not know the detectors it scores"},
		{"event", "", "the event imports nothing of ours"},
	}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		pkg := strings.TrimPrefix(fields[0], mod)
		if pkg == fields[0] || strings.HasSuffix(pkg, "test") {
			continue // cmd, rules; and the test helpers (detecttest, storetest, normalizetest)
		}
		for _, imp := range fields[1:] {
			dep, ok := strings.CutPrefix(imp, mod)
			if !ok {
				continue
			}
			// hunt is the offline wiring of the same path, and the console shows the
			// pipeline's health: both sit above it, like the command.
			if within(dep, "pipeline") && pkg != "hunt" && pkg != "console" && !within(pkg, "pipeline") {
				t.Errorf("%s imports %s: no stage imports the pipeline that wires them", pkg, dep)
			}
			for _, r := range rules {
				if within(pkg, r.from) && (r.to == "" || within(dep, r.to)) {
					t.Errorf("%s imports %s: %s", pkg, dep, r.why)
				}
			}
		}
	}
}

func within(pkg, stage string) bool { return pkg == stage || strings.HasPrefix(pkg, stage+"/") }
