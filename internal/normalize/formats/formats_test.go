package formats

import (
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/vigil-sec/vigil/internal/event"
	"github.com/vigil-sec/vigil/internal/normalize"
)

var update = flag.Bool("update", false, "rewrite docs/categories.md")

func TestCategoriesDoc(t *testing.T) {
	path := filepath.Join("..", "..", "..", "docs", "categories.md")
	got := CategoriesDoc()
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if string(want) != got {
		t.Errorf("docs/categories.md is stale: run go test ./internal/normalize/formats -run TestCategoriesDoc -update")
	}
}

// TestMappingsUseKnownCategories keeps the parsers' tables and the taxonomy in step, and
// checks that the taxonomy is backed by real native operations.
func TestMappingsUseKnownCategories(t *testing.T) {
	mapped := map[event.Category]bool{}
	for _, p := range All() {
		d, ok := p.(normalize.Documenter)
		if !ok {
			t.Errorf("parser %s does not document its mappings", p.Format())
			continue
		}
		for _, m := range d.Mappings() {
			if !m.Category.Known() {
				t.Errorf("%s maps %v to unknown category %q", p.Format(), m.Operations, m.Category)
			}
			if len(m.Operations) > 0 {
				mapped[m.Category] = true
			}
		}
	}
	if len(mapped) < 30 {
		t.Errorf("only %d categories have native operations mapped to them; want at least 30", len(mapped))
	}
}
