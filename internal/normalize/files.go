package normalize

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// logExtensions are the files a directory walk reads; files named explicitly are always
// read, whatever their name.
var logExtensions = []string{".json", ".jsonl", ".ndjson", ".log", ".gz", ".csv", ".txt"}

// IsLogFile reports whether a directory walk should read the file.
func IsLogFile(name string) bool {
	base := strings.ToLower(filepath.Base(name))
	if strings.HasPrefix(base, ".") {
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
// recursively for log files in lexical order, "-" kept for standard input. Paths that cannot
// be read are returned as errors, and the rest still expanded.
func Files(paths []string) ([]string, []error) {
	var files []string
	var errs []error
	for _, p := range paths {
		if p == "-" {
			files = append(files, p)
			continue
		}
		info, err := os.Stat(p)
		if err != nil {
			errs = append(errs, fmt.Errorf("normalize: %w", err))
			continue
		}
		if !info.IsDir() {
			files = append(files, p)
			continue
		}
		err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				errs = append(errs, fmt.Errorf("normalize: walk %s: %w", path, err))
				return nil
			}
			if d.Type().IsRegular() && IsLogFile(path) {
				files = append(files, path)
			}
			return nil
		})
		if err != nil {
			errs = append(errs, fmt.Errorf("normalize: walk %s: %w", p, err))
		}
	}
	return files, errs
}

// StreamFile streams one file; "-" reads stdin.
func (n *Normalizer) StreamFile(ctx context.Context, path string, stdin interface{ Read([]byte) (int, error) }, emit EmitFunc) (Stats, error) {
	if path == "-" {
		return n.Stream(ctx, stdin, "stdin", emit)
	}
	f, err := os.Open(path)
	if err != nil {
		return Stats{}, fmt.Errorf("normalize: %w", err)
	}
	defer f.Close()
	return n.Stream(ctx, f, path, emit)
}
