package normalize

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/goccy/go-json"

	"github.com/vigil-sec/vigil/internal/event"
)

// Tests for issue 17: damaged and hostile input.

// streamAll is collect that also returns Stream's error.
func streamAll(t *testing.T, r io.Reader) ([]*event.Event, Stats, error) {
	t.Helper()
	var evs []*event.Event
	n := New(idParser{})
	st, err := n.Stream(context.Background(), r, "test", func(ev *event.Event) error {
		evs = append(evs, ev)
		return nil
	})
	return evs, st, err
}

func countParsed(evs []*event.Event) (parsed, unparsed int) {
	for _, ev := range evs {
		if ev.IsUnparsed() {
			unparsed++
		} else {
			parsed++
		}
	}
	return parsed, unparsed
}

// Item 5: a duplicate key is read one way by everyone (the last value, as JSON decoders do)
// and counted as a repair.
func TestDuplicateKeyIsRepair(t *testing.T) {
	evs, st := collect(t, []byte(`{"id":"first","x":1,"id":"last"}`))
	if len(evs) != 1 || evs[0].Metadata.UID != "last" {
		t.Fatalf("events %v", evs)
	}
	if st.Repaired != 1 || !strings.Contains(strings.Join(evs[0].Vigil.Repairs, ","), RepairDuplicateKeys) {
		t.Errorf("repairs %v, stats %+v", evs[0].Vigil.Repairs, st)
	}
}

// Item 7: invalid UTF-8 in a parsed record's strings never reaches the output.
func TestInvalidUTF8IsRepaired(t *testing.T) {
	evs, st := collect(t, []byte("{\"id\":\"a\",\"name\":\"bad \xff\xfe byte\"}"))
	if len(evs) != 1 || evs[0].IsUnparsed() {
		t.Fatalf("events %v", evs)
	}
	line, err := json.Marshal(evs[0])
	if err != nil || !utf8.Valid(line) {
		t.Errorf("output line is not UTF-8 (%v): %q", err, line)
	}
	if st.Repaired != 1 || !strings.Contains(strings.Join(evs[0].Vigil.Repairs, ","), RepairInvalidUTF8) {
		t.Errorf("repairs %v", evs[0].Vigil.Repairs)
	}
}

// Item 11: an event time of exactly the epoch is a time, not a missing one.
func TestEpochTimeIsATime(t *testing.T) {
	evs, _ := collect(t, []byte(`{"id":"a","epoch":true}`))
	if evs[0].Time != 0 || len(evs[0].Vigil.Repairs) != 0 {
		t.Errorf("time %d repairs %v, want 0 and none", evs[0].Time, evs[0].Vigil.Repairs)
	}
}

// Item 8: a symlinked folder given as an argument is read, symlinked files and folders
// inside a walk are followed, and a link loop is read once, not forever.
func TestFilesFollowsSymlinks(t *testing.T) {
	root := t.TempDir()
	real := filepath.Join(root, "real")
	os.MkdirAll(filepath.Join(real, "sub"), 0o755)
	os.WriteFile(filepath.Join(real, "a.json"), []byte(`{}`), 0o644)
	os.WriteFile(filepath.Join(real, "sub", "b.json"), []byte(`{}`), 0o644)
	other := filepath.Join(root, "other")
	os.MkdirAll(other, 0o755)
	os.WriteFile(filepath.Join(other, "c.json"), []byte(`{}`), 0o644)
	must := func(err error) {
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.Symlink(filepath.Join(other, "c.json"), filepath.Join(real, "c-link.json")))
	must(os.Symlink(real, filepath.Join(real, "sub", "loop"))) // a loop back to the top
	must(os.Symlink(real, filepath.Join(root, "linked")))      // the argument is a link
	must(os.Symlink(filepath.Join(root, "gone"), filepath.Join(real, "dangling.json")))

	files, errs := Files([]string{filepath.Join(root, "linked")})
	var names []string
	for _, f := range files {
		names = append(names, filepath.Base(f))
	}
	sort.Strings(names)
	if strings.Join(names, " ") != "a.json b.json c-link.json" {
		t.Errorf("files %v", files)
	}
	if len(errs) != 1 || !strings.Contains(errs[0].Error(), "dangling.json") {
		t.Errorf("errors %v, want one naming the dangling link", errs)
	}
}
