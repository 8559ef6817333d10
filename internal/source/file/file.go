// Package file is the source that reads exported logs from disk — CloudTrail objects,
// Graph and ARM pages, Event Hubs bodies, Sentinel exports, in any format the normalizer
// reads — for the daemon's `files` sources and for `vigil hunt`. It reads each file once:
// its checkpoint remembers the files done and how far into the current one it got.
package file

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/vigil-sec/vigil/internal/event"
	"github.com/vigil-sec/vigil/internal/normalize"
	"github.com/vigil-sec/vigil/internal/source"
)

// Config is a files source.
type Config struct {
	Paths     []string `yaml:"paths"`      // files and folders (walked)
	BatchSize int      `yaml:"batch_size"` // events per stored batch
	// Progress, when set, hears how far Run has got, from Run's goroutine, after every
	// read of a file and every file finished: it is called often and must be quick.
	Progress func(Progress) `yaml:"-"`
}

// Progress is how far a Run has got: files finished (or skipped as read before) of all,
// their bytes as stored on disk (compressed or not) of all, and records read.
type Progress struct {
	Files, FilesTotal int
	Bytes, BytesTotal int64
	Records           int64
}

// DefaultConfig is the default batch size and no paths.
func DefaultConfig() Config { return Config{BatchSize: 1000} }

// Validate checks the config.
func (c Config) Validate() error {
	var errs []error
	if len(c.Paths) == 0 {
		errs = append(errs, errors.New("paths: at least one file or folder is required"))
	}
	if c.BatchSize < 1 {
		errs = append(errs, fmt.Errorf("batch_size: must be at least 1, got %d", c.BatchSize))
	}
	return errors.Join(errs...)
}

// Stats counts what the source read.
type Stats struct {
	Files      int
	Normalize  normalize.Stats
	ReadErrors []error // paths or files that could not be read (the others are read)
}

// Source reads files.
type Source struct {
	name  string
	cfg   Config
	norm  *normalize.Normalizer
	stdin io.Reader // read for the path "-"
	stats Stats
}

// New returns a files source named name; stdin is read for the path "-" (nil: none).
func New(name string, cfg Config, n *normalize.Normalizer, stdin io.Reader) (*Source, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("files %s: %w", name, err)
	}
	if stdin == nil {
		stdin = strings.NewReader("")
	}
	return &Source{name: name, cfg: cfg, norm: n, stdin: stdin}, nil
}

// Name is the configured name.
func (s *Source) Name() string { return s.name }

// Stats is what the last Run read; call it after Run returned.
func (s *Source) Stats() Stats { return s.stats }

// checkpoint is the position: files finished (by path, with the size and modification
// time they had, so a file that changed is read again) and the record reached in the file
// being read.
type checkpoint struct {
	Done    map[string]fileMark `json:"done"`
	Current string              `json:"current,omitempty"`
	Records int                 `json:"records,omitempty"`
}

type fileMark struct {
	Size  int64 `json:"size"`
	MTime int64 `json:"mtime"`
}

// checkpointEvery bounds how often the whole list of finished files is written: it grows
// with the folder, and a stop between two writes only re-reads files the store already
// holds (its insert is idempotent).
const checkpointEvery = 5 * time.Second

// Run reads every file not read before, in batches that span files, then ends its poll
// with the newest event time as its watermark and returns nil: a files source finishes.
func (s *Source) Run(ctx context.Context, from []byte, emit source.Emit) error {
	r := &run{s: s, emit: emit, cp: checkpoint{Done: map[string]fileMark{}}}
	if len(from) > 0 {
		if err := json.Unmarshal(from, &r.cp); err != nil {
			return source.Permanent(fmt.Errorf("files %s: bad checkpoint: %w", s.name, err))
		}
		if r.cp.Done == nil {
			r.cp.Done = map[string]fileMark{}
		}
	}
	files, errs := normalize.Files(s.cfg.Paths)
	s.stats = Stats{Files: len(files), ReadErrors: errs}
	if s.cfg.Progress != nil {
		r.progress.FilesTotal = len(files)
		for _, f := range files {
			if info, err := os.Stat(f); err == nil {
				r.progress.BytesTotal += info.Size()
			}
		}
	}
	resume, skip := r.cp.Current, r.cp.Records
	for _, f := range files {
		var mark fileMark
		if f != "-" {
			info, err := os.Stat(f)
			if err != nil {
				s.stats.ReadErrors = append(s.stats.ReadErrors, fmt.Errorf("files: %w", err))
				continue
			}
			mark = fileMark{Size: info.Size(), MTime: info.ModTime().UnixNano()}
			if r.cp.Done[f] == mark {
				r.fileDone(mark.Size)
				continue
			}
		}
		n := 0
		if f == resume {
			n = skip
		}
		if err := r.file(ctx, f, n, mark); err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			var ee emitError
			if errors.As(err, &ee) {
				return ee.err
			}
			s.stats.ReadErrors = append(s.stats.ReadErrors, err)
		}
		r.fileDone(0)
	}
	if err := r.flush(ctx, true); err != nil {
		return err
	}
	return nil
}

// run is one Run's reading state: the batch being filled across files and the position.
type run struct {
	s        *Source
	emit     source.Emit
	cp       checkpoint
	batch    []*event.Event
	newest   time.Time
	written  time.Time // when the whole checkpoint was last written
	progress Progress  // what Config.Progress hears
}

// fileDone counts a file finished: size is the bytes of one skipped without reading.
func (r *run) fileDone(size int64) {
	if r.s.cfg.Progress == nil {
		return
	}
	r.progress.Files++
	r.progress.Bytes += size
	r.s.cfg.Progress(r.progress)
}

// counted reports each read of a file to Config.Progress.
type counted struct {
	r   io.Reader
	run *run
}

func (c counted) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.run.progress.Bytes += int64(n)
	c.run.s.cfg.Progress(c.run.progress)
	return n, err
}

// stream normalizes one file, counting what it reads when Config.Progress is set.
func (r *run) stream(ctx context.Context, f string, emit normalize.EmitFunc) (normalize.Stats, error) {
	if r.s.cfg.Progress == nil || f == "-" {
		return r.s.norm.StreamFile(ctx, f, r.s.stdin, emit)
	}
	fh, err := os.Open(f)
	if err != nil {
		return normalize.Stats{}, fmt.Errorf("normalize: %w", err)
	}
	defer fh.Close()
	return r.s.norm.Stream(ctx, counted{r: fh, run: r}, f, emit)
}

// emitError marks a failure of emit (the pipeline's), which ends Run, unlike a file that
// cannot be read, which is reported and skipped.
type emitError struct{ err error }

func (e emitError) Error() string { return e.err.Error() }

// flush stores the batch. The checkpoint goes with it when it is due (or last); otherwise
// the stored one stays, and a restart re-reads a little.
func (r *run) flush(ctx context.Context, last bool) error {
	b := source.Batch{Stream: "files", Events: r.batch, Available: time.Now()}
	if last || time.Since(r.written) >= checkpointEvery {
		b.Checkpoint, _ = json.Marshal(r.cp)
		r.written = time.Now()
	}
	if last {
		b.EndOfPoll, b.Watermark = true, r.newest
	}
	if len(b.Events) == 0 && b.Checkpoint == nil {
		return nil
	}
	if err := r.emit(ctx, b); err != nil {
		return emitError{err}
	}
	r.batch = nil
	return nil
}

func (r *run) file(ctx context.Context, f string, skip int, mark fileMark) error {
	records := 0
	r.cp.Current, r.cp.Records = f, skip
	st, err := r.stream(ctx, f, func(ev *event.Event) error {
		records++
		r.progress.Records++
		if records <= skip {
			return nil
		}
		if t := ev.Timestamp(); !ev.IsUnparsed() && t.After(r.newest) {
			r.newest = t
		}
		r.batch = append(r.batch, ev)
		if len(r.batch) >= r.s.cfg.BatchSize {
			r.cp.Records = records
			return r.flush(ctx, false)
		}
		return nil
	})
	r.s.stats.Normalize.Add(st)
	r.cp.Current, r.cp.Records = "", 0
	if f != "-" {
		r.cp.Done[f] = mark
	}
	if err != nil {
		var ee emitError
		if errors.As(err, &ee) {
			return err
		}
		// What was read before the failure stays in the batch and is stored.
		return fmt.Errorf("files: %s: %w", f, err)
	}
	return nil
}

var _ source.Source = (*Source)(nil)
