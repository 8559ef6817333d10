package main

import (
	"context"
	"fmt"
	"runtime/debug"
)

// version is set at build time with -ldflags "-X main.version=v1.2.3"; otherwise the
// module's version and the commit it was built from are read from the build info.
var version = ""

// runVersion is `vigil version`.
func runVersion(_ context.Context, args []string, std stdio) error {
	if len(args) > 0 {
		if !asksHelp(args) {
			fmt.Fprintf(std.err, "vigil version takes no arguments (got %q)\n", args[0])
		}
		fmt.Fprintln(std.err, "usage: vigil version")
		return errUsage
	}
	fmt.Fprintln(std.out, versionString())
	return nil
}

func versionString() string {
	v, commit, dirty, goVersion := version, "", false, ""
	if bi, ok := debug.ReadBuildInfo(); ok {
		goVersion = bi.GoVersion
		if v == "" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			v = bi.Main.Version
		}
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				commit = s.Value
			case "vcs.modified":
				dirty = s.Value == "true"
			}
		}
	}
	if v == "" {
		v = "dev"
	}
	out := "vigil " + v
	if commit != "" {
		if len(commit) > 12 {
			commit = commit[:12]
		}
		out += " commit " + commit
		if dirty {
			out += "+changes"
		}
	}
	if goVersion != "" {
		out += " " + goVersion
	}
	return out
}
