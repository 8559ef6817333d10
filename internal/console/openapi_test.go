package console

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/vigil-sec/vigil/internal/auth"
)

// The OpenAPI document names every registered route, with its least role (or no
// security for a public one), and nothing else.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	f := newFixture(t)
	rec := f.do(call{method: "GET", path: "/api/v1/openapi.json", bearer: f.tokens[auth.Viewer]})
	if rec.Code != http.StatusOK {
		t.Fatalf("openapi.json: %d", rec.Code)
	}
	var doc struct {
		OpenAPI string `json:"openapi"`
		Paths   map[string]map[string]struct {
			Role     auth.Role `json:"x-vigil-role"`
			Security *[]any    `json:"security"`
		} `json:"paths"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.OpenAPI != "3.1.0" {
		t.Errorf("openapi %q, want 3.1.0", doc.OpenAPI)
	}
	documented := map[string]bool{}
	for path, ops := range doc.Paths {
		for method, op := range ops {
			key := strings.ToUpper(method) + " " + path
			documented[key] = true
			if op.Security != nil && len(*op.Security) == 0 && op.Role != "" {
				t.Errorf("%s: public and role %q", key, op.Role)
			}
		}
	}
	for _, rt := range f.srv.Routes() {
		key := strings.ReplaceAll(rt.Pattern, "...}", "}")
		if !documented[key] {
			t.Errorf("route %s is not in openapi.json", rt.Pattern)
			continue
		}
		delete(documented, key)
		method, path, _ := strings.Cut(key, " ")
		op := doc.Paths[path][strings.ToLower(method)]
		isPublic := op.Security != nil && len(*op.Security) == 0
		if isPublic != (rt.Role == public) || (!isPublic && op.Role != rt.Role) {
			t.Errorf("%s: openapi says role %q (public %v), the route needs %q", rt.Pattern, op.Role, isPublic, rt.Role)
		}
	}
	for key := range documented {
		t.Errorf("openapi.json documents %s, which is not a route", key)
	}
}
