// Package entra is a placeholder until its parser lands.
package entra

import (
	"github.com/vigil-sec/vigil/internal/event"
	"github.com/vigil-sec/vigil/internal/normalize"
)

// Parser is a placeholder.
type Parser struct{}

// New returns the parser.
func New() *Parser { return &Parser{} }

// Format names the format.
func (*Parser) Format() string { return "entra" }

// Detect claims nothing yet.
func (*Parser) Detect(*normalize.Probe) bool { return false }

// Parse is not built yet.
func (*Parser) Parse([]byte, *event.Event) error { return normalize.ErrNotEvent }

var _ normalize.Parser = (*Parser)(nil)
