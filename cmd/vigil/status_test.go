package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/vigil-sec/vigil/internal/console"
	"github.com/vigil-sec/vigil/internal/pipeline"
)

// TestStatusSaysEachFinding: a source's setup findings (a trail not logging) are printed
// under the table, one a line, named by their source; a source without any adds nothing.
func TestStatusSaysEachFinding(t *testing.T) {
	var b bytes.Buffer
	writeStatus(&b, console.SourcesResponse{Sources: []pipeline.SourceStatus{
		{Name: "aws", State: "running", Findings: []string{"CloudTrail trail not logging: start it", "trail is single-region"}},
		{Name: "graph", State: "running"},
	}})
	out := b.String()
	for _, want := range []string{"\naws: finding: CloudTrail trail not logging: start it\n", "\naws: finding: trail is single-region\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("status lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "graph: finding") {
		t.Errorf("a source without findings printed one:\n%s", out)
	}
}
