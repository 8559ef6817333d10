package console

import (
	_ "embed"
	"net/http"
)

// openapiJSON is the OpenAPI 3.1 document of every route, written by hand; a test
// checks it against the registered routes.
//
//go:embed openapi.json
var openapiJSON []byte

func (s *Server) openapi(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Write(openapiJSON)
}
