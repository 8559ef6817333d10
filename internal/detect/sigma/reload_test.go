package sigma

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/vigil-sec/vigil/internal/alert"
)

func TestReloaderFollowsRuleChanges(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "r.yml")
	write := func(eventName string, mtime time.Time) {
		src := "title: watched\nid: w1\nlogsource: {product: aws, service: cloudtrail}\ndetection:\n  s:\n    eventName: " + eventName + "\n  condition: s\nlevel: high\n"
		if err := os.WriteFile(file, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		os.Chtimes(file, mtime, mtime) // a distinct modification time, whatever the clock's resolution
	}
	write("StopLogging", time.Unix(1000, 0))
	r, err := NewReloader(nil, []string{dir}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	fires := func(name string) bool {
		hit := false
		r.Observe(context.Background(), cloudtrailEvent(`{"eventName":"`+name+`"}`), func(alert.Alert) { hit = true })
		return hit
	}
	if !fires("StopLogging") || fires("DeleteTrail") {
		t.Fatal("initial rules wrong")
	}
	if changed, _ := r.Reload(); changed {
		t.Error("reloaded without a change")
	}
	write("DeleteTrail", time.Unix(2000, 0))
	if changed, err := r.Reload(); !changed || err != nil {
		t.Fatalf("change not picked up: %v %v", changed, err)
	}
	if fires("StopLogging") || !fires("DeleteTrail") {
		t.Error("the new rule is not the one running")
	}
	os.WriteFile(filepath.Join(dir, "broken.yml"), []byte("title: b\nid: b\ndetection: {s: {a|nope: 1}, condition: s}\n"), 0o644)
	r.Reload()
	if len(r.Errors()) != 1 || !fires("DeleteTrail") {
		t.Errorf("a broken rule must be reported and not stop the others: %v", r.Errors())
	}
}
