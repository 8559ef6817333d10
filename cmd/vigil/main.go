// Command vigil is Vigil's single binary: the daemon (serve: the Graph, Activity Log,
// Event Hubs and CloudTrail collectors, detection, alerts with incidents and triage, the
// outputs, the console and its HTTP API), the demo, and the offline tools (parse, ingest,
// hunt, simulate, eval, rules). main only wires: each subcommand lives in its own file.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"syscall"
)

// command is one subcommand: it parses its own flags from args.
type command struct {
	summary string
	run     func(ctx context.Context, args []string, stdio stdio) error
}

// stdio is where a command reads and writes, so tests can run commands in-process.
type stdio struct {
	in       io.Reader
	out, err io.Writer
}

// errUsage marks a command-line mistake: the usage was printed, exit 2.
var errUsage = errors.New("usage")

// exitError carries a specific exit status (e.g. `vigil parse` exits 1 when a path cannot
// be read, after processing the others).
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

func commands() map[string]command {
	return map[string]command{
		"parse":    {"normalize native records to events (JSON lines)", runParse},
		"ingest":   {"load native log files into the store", runIngest},
		"hunt":     {"offline detection over log files, alerts as JSON lines", runHunt},
		"rules":    {"rule tools: `rules lint DIR`", runRules},
		"simulate": {"write a simulated tenant's logs in native formats, with truth.jsonl", runSimulate},
		"eval":     {"hunt over a simulated folder and score it against truth.jsonl", runEval},
		"events":   {"events the store holds, as JSON lines", runEvents},
		"alerts":   {"alerts the store holds, as JSON lines", runAlerts},
		"version":  {"print the version", runVersion},
		"demo":     {"the main job: a simulated tenant served live over the real protocols, collected, detected, shown", runDemo},
		"serve":    {"the daemon: collect, detect, alert, serve the API (--config vigil.yaml)", runServe},
		"config":   {"`config check [--online] --config FILE`: name every error of a config by key", runConfig},
		"status":   {"the running daemon's sources: last poll, rate, lag, latency, errors", runStatus},
	}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], stdio{in: os.Stdin, out: os.Stdout, err: os.Stderr})
	stop()
	os.Exit(code)
}

func run(ctx context.Context, args []string, std stdio) int {
	cmds := commands()
	if len(args) == 0 {
		usage(std.err, cmds)
		return 2
	}
	if args[0] == "-h" || args[0] == "--help" || args[0] == "-help" || args[0] == "help" {
		usage(std.out, cmds)
		return 0
	}
	c, ok := cmds[args[0]]
	if !ok {
		fmt.Fprintf(std.err, "vigil: unknown command %q\n", args[0])
		usage(std.err, cmds)
		return 2
	}
	if asksHelp(args[1:]) {
		// The command prints its usage where it prints mistakes; asked for, it goes to
		// stdout and is no mistake.
		help := std
		help.err = std.out
		if err := c.run(ctx, args[1:], help); err == nil || errors.Is(err, errUsage) {
			return 0
		}
	}
	err := c.run(ctx, args[1:], std)
	var ee *exitError
	switch {
	case err == nil:
		return 0
	case errors.Is(err, errUsage):
		return 2
	case errors.As(err, &ee):
		fmt.Fprintf(std.err, "vigil %s: %v\n", args[0], ee.err)
		return ee.code
	default:
		fmt.Fprintf(std.err, "vigil %s: %v\n", args[0], err)
		return 1
	}
}

func usage(w io.Writer, cmds map[string]command) {
	names := make([]string, 0, len(cmds))
	for n := range cmds {
		names = append(names, n)
	}
	sort.Strings(names)
	fmt.Fprintln(w, "usage: vigil COMMAND [flags] [args]")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "commands:")
	for _, n := range names {
		fmt.Fprintf(w, "  %-9s %s\n", n, cmds[n].summary)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Run 'vigil COMMAND --help' for a command's flags.")
}

// asksHelp reports whether the arguments ask for help before any "--".
func asksHelp(args []string) bool {
	for _, a := range args {
		switch a {
		case "--":
			return false
		case "-h", "-help", "--help":
			return true
		}
	}
	return false
}

// parseFlags parses flags wherever they appear among the arguments (Go's flag package
// stops at the first positional argument; users write `vigil hunt logs/ --format table`).
// A lone "--" ends flag parsing.
func parseFlags(fl *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := fl.Parse(args); err != nil {
			return nil, err
		}
		rest := fl.Args()
		if len(rest) == 0 {
			return positional, nil
		}
		if rest[0] == "--" {
			return append(positional, rest[1:]...), nil
		}
		positional = append(positional, rest[0])
		args = rest[1:]
	}
}
