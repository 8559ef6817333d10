package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/vigil-sec/vigil/internal/detect/sigma"
)

// runRules is `vigil rules lint [--placeholder name=v1,v2]... PATH...` (folders or rule
// files): load every rule,
// report each failure as file:line: reason, and end with "N loaded, M failed".
func runRules(ctx context.Context, args []string, std stdio) error {
	if len(args) == 0 || args[0] != "lint" {
		if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
			fmt.Fprintf(std.err, "vigil rules: unknown subcommand %q (the one there is: lint)\n", args[0])
		}
		fmt.Fprintln(std.err, rulesUsage)
		return errUsage
	}
	fl := flag.NewFlagSet("rules lint", flag.ContinueOnError)
	fl.SetOutput(std.err)
	placeholders := placeholderFlag{}
	fl.Var(placeholders, "placeholder", "value(s) for a %name% placeholder of |expand rules: name=v1,v2 (repeatable)")
	fl.Usage = func() { // one usage, not Go's default as well
		fmt.Fprintln(std.err, rulesUsage)
		fl.PrintDefaults()
	}
	positional, err := parseFlags(fl, args[1:])
	if err != nil {
		return errUsage
	}
	if len(positional) == 0 {
		fl.Usage()
		return errUsage
	}
	logger := slog.New(slog.NewTextHandler(std.err, &slog.HandlerOptions{Level: slog.LevelWarn}))
	loaded, failed := 0, 0
	for _, dir := range positional {
		info, err := os.Stat(dir)
		if err != nil {
			fmt.Fprintf(std.out, "%s: %v\n", dir, err)
			failed++
			continue
		}
		root := "."
		if !info.IsDir() { // one rule file: its folder, reading only it
			dir, root = filepath.Dir(dir), filepath.Base(dir)
		}
		rs, errs := sigma.Load(os.DirFS(dir), root, sigma.Options{Placeholders: placeholders, Logger: logger})
		for _, e := range errs {
			e.File = strings.TrimSuffix(dir, "/") + "/" + e.File
			fmt.Fprintln(std.out, e.Error())
		}
		loaded += rs.Len()
		failed += len(errs)
	}
	fmt.Fprintf(std.out, "%d loaded, %d failed\n", loaded, failed)
	if failed > 0 {
		return &exitError{code: 1, err: fmt.Errorf("%d %s did not load", failed, plural(failed, "rule", "rules"))}
	}
	if loaded == 0 {
		return &exitError{code: 1, err: fmt.Errorf("no Sigma rule (.yml or .yaml) found in %s", strings.Join(positional, ", "))}
	}
	return nil
}

const rulesUsage = "usage: vigil rules lint [--placeholder name=v1,v2]... PATH... (rule folders, walked, or .yml/.yaml files)"

// placeholderFlag collects --placeholder name=v1,v2.
type placeholderFlag map[string][]string

func (p placeholderFlag) String() string { return "" }

func (p placeholderFlag) Set(s string) error {
	name, vals, ok := strings.Cut(s, "=")
	if !ok || name == "" {
		return errors.New("want name=value[,value...]")
	}
	p[name] = append(p[name], strings.Split(vals, ",")...)
	return nil
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
