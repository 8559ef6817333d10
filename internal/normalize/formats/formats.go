// Package formats lists every native format Vigil parses, in the order detection tries
// them. It is the one place parsers are registered.
package formats

import (
	"github.com/vigil-sec/vigil/internal/normalize"
	"github.com/vigil-sec/vigil/internal/normalize/activitylog"
	"github.com/vigil-sec/vigil/internal/normalize/cloudtrail"
	"github.com/vigil-sec/vigil/internal/normalize/entra"
)

// All returns a parser for every format. Entra comes before the activity log because
// Azure Monitor streams both through one shape and the activity log parser takes any
// Azure resource log the others leave.
func All() []normalize.Parser {
	return []normalize.Parser{
		cloudtrail.New(),
		entra.New(),
		activitylog.New(),
	}
}

// Names lists the format names `vigil parse --format` accepts.
func Names() []string {
	var names []string
	for _, p := range All() {
		names = append(names, p.Format())
	}
	return names
}
