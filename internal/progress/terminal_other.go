//go:build !linux && !darwin && !freebsd && !netbsd && !openbsd && !dragonfly && !windows

package progress

// isTerminal is false where Vigil does not know how to ask: no progress is drawn.
func isTerminal(uintptr) bool { return false }
