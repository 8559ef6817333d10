package progress

import "io"

// IsTerminal reports whether w is a terminal: an *os.File (or anything with a file
// descriptor) that the operating system says is one. A pipe, a regular file and
// /dev/null are not.
func IsTerminal(w io.Writer) bool {
	f, ok := w.(interface{ Fd() uintptr })
	return ok && isTerminal(f.Fd())
}
