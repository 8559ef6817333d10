// Package rules embeds Vigil's own Sigma rule pack, on by default in every detection path.
// Each rule names its ATT&CK technique; its true- and false-positive tests live beside it.
package rules

import (
	"embed"
	"io/fs"
)

//go:embed aws azure
var pack embed.FS

// FS returns the rule pack.
func FS() fs.FS { return pack }
