package main

import (
	"github.com/vigil-sec/vigil/internal/progress"
	"github.com/vigil-sec/vigil/internal/source/file"
)

// quietUsage is the --quiet flag's help, the same for every command that shows progress.
const quietUsage = "no progress line on a terminal (none is drawn when stderr is not one); the closing summary is printed either way"

// newMeter is a command's progress line on stderr: drawn only when stderr is a terminal,
// and not with --quiet. It never writes to stdout.
func newMeter(std stdio, label string, quiet bool, unit progress.Unit) *progress.Meter {
	return progress.New(std.err, progress.Options{Label: label, Terminal: progress.IsTerminal(std.err), Quiet: quiet, Unit: unit})
}

// fileProgress draws a files source's progress: files and bytes read of all, records.
// It is nil when nothing is drawn, so the source reads as it does without progress.
func fileProgress(m *progress.Meter) func(file.Progress) {
	if !m.On() {
		return nil
	}
	return func(p file.Progress) {
		m.Update(progress.State{Files: p.Files, FilesTotal: p.FilesTotal, Records: p.Records, Done: float64(p.Bytes), Total: float64(p.BytesTotal)})
	}
}
