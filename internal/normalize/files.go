package normalize

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// logExtensions are the files a directory walk reads; files named explicitly are always
// read, whatever their name.
var logExtensions = []string{".json", ".jsonl", ".ndjson", ".log", ".gz", ".csv", ".txt"}

// notLogs are files a directory walk meets beside logs that are not logs: a simulated
// tenant's ground truth and manifest (vigil simulate writes them next to its logs).
var notLogs = map[string]bool{"truth.jsonl": true, "manifest.json": true}

// IsLogFile reports whether a directory walk should read the file.
func IsLogFile(name string) bool {
	base := strings.ToLower(filepath.Base(name))
	if strings.HasPrefix(base, ".") || notLogs[base] {
		return false
	}
	ext := filepath.Ext(base)
	if ext == "" {
		return true
	}
	for _, e := range logExtensions {
		if ext == e {
			return true
		}
	}
	return false
}

// Files expands paths into the files to read: a file as given, a directory walked
// recursively for log files in lexical order, "-" kept for standard input. Symbolic links
// are followed, given as arguments or met in a walk; a folder already walked (a link loop)
// is not walked again. Paths that cannot be read, dangling links among them, are returned
// as errors, and the rest still expanded.
func Files(paths []string) ([]string, []error) {
	w := &walker{}
	for _, p := range paths {
		if p == "-" {
			w.files = append(w.files, p)
			continue
		}
		info, err := os.Stat(p)
		if err != nil {
			w.errs = append(w.errs, pathError(p, err))
			continue
		}
		if !info.IsDir() {
			w.files = append(w.files, p)
			continue
		}
		w.dir(p, info)
	}
	return w.files, w.errs
}

// pathError says in plain words that a path given cannot be read: the path, then the
// reason ("logs/x.json: no such file or directory"), the operation and package left out —
// a person reads it, and errors.Is still finds fs.ErrNotExist or fs.ErrPermission.
func pathError(path string, err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	return fmt.Errorf("%s: %w", path, err)
}

// walker collects the files of a directory tree, following links.
type walker struct {
	files   []string
	errs    []error
	visited []os.FileInfo // directories walked, compared with os.SameFile
}

func (w *walker) dir(path string, info os.FileInfo) {
	for _, v := range w.visited {
		if os.SameFile(v, info) {
			return
		}
	}
	w.visited = append(w.visited, info)
	entries, err := os.ReadDir(path) // sorted by name
	if err != nil {
		w.errs = append(w.errs, fmt.Errorf("normalize: walk %s: %w", path, err))
	}
	for _, e := range entries {
		p := filepath.Join(path, e.Name())
		switch t := e.Type(); {
		case t.IsDir():
			if info, err := e.Info(); err != nil {
				w.errs = append(w.errs, fmt.Errorf("normalize: walk %s: %w", p, err))
			} else {
				w.dir(p, info)
			}
		case t&fs.ModeSymlink != 0:
			target, err := os.Stat(p)
			switch {
			case err != nil:
				if IsLogFile(p) {
					w.errs = append(w.errs, fmt.Errorf("normalize: follow link %s: %w", p, err))
				}
			case target.IsDir():
				w.dir(p, target)
			case target.Mode().IsRegular() && IsLogFile(p):
				w.files = append(w.files, p)
			}
		case t.IsRegular() && IsLogFile(p):
			w.files = append(w.files, p)
		}
	}
}

// StreamFile streams one file; "-" reads stdin.
func (n *Normalizer) StreamFile(ctx context.Context, path string, stdin interface{ Read([]byte) (int, error) }, emit EmitFunc) (Stats, error) {
	if path == "-" {
		return n.Stream(ctx, stdin, "stdin", emit)
	}
	f, err := os.Open(path)
	if err != nil {
		return Stats{}, pathError(path, err)
	}
	defer f.Close()
	return n.Stream(ctx, f, path, emit)
}
