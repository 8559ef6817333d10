package console

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing/fstest"
	"time"

	"github.com/vigil-sec/vigil/internal/alert"
	"github.com/vigil-sec/vigil/internal/detect"
	"github.com/vigil-sec/vigil/internal/detect/sigma"
	"github.com/vigil-sec/vigil/internal/event"
	"github.com/vigil-sec/vigil/internal/store"
)

// RuleItem is a rule in GET /api/v1/rules.
type RuleItem struct {
	ID      string   `json:"id"`
	Title   string   `json:"title"`
	Kind    string   `json:"kind"`
	Level   string   `json:"level"`
	Status  string   `json:"status"`
	Enabled bool     `json:"enabled"`
	Path    string   `json:"path"`
	Attack  []string `json:"attack,omitempty"`
}

// disabledPrefix keys a disabled rule in the state table.
const disabledPrefix = "console/rule-disabled/"

// Rules is the console's view of the loaded rules: their listing, which are switched off
// (kept in the store, so it survives a restart), and the rules uploaded since the start.
// Its Detector wrapper makes the live detectors honour both.
type Rules struct {
	st        store.StateStore
	uploadDir string // where uploaded rules are saved; "" keeps them in memory only
	log       *slog.Logger

	mu       sync.RWMutex
	items    []RuleItem
	disabled map[string]bool
	uploaded []detect.Detector // arrival detectors of uploaded rules
}

// NewRules lists rules (from hunt.LoadRules) and reads the disabled set from st.
func NewRules(ctx context.Context, rules []sigma.RuleInfo, st store.StateStore, uploadDir string, log *slog.Logger) (*Rules, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	rs := &Rules{st: st, uploadDir: uploadDir, log: log, disabled: map[string]bool{}}
	for _, ri := range rules {
		rs.items = append(rs.items, ruleItem(ri))
	}
	off, err := st.ListState(ctx, disabledPrefix)
	if err != nil {
		return nil, fmt.Errorf("console: read disabled rules: %w", err)
	}
	for k := range off {
		rs.disabled[strings.TrimPrefix(k, disabledPrefix)] = true
	}
	return rs, nil
}

func ruleItem(ri sigma.RuleInfo) RuleItem {
	kind := string(alert.KindSigma)
	if strings.HasPrefix(ri.File, "builtin") {
		kind = string(alert.KindBuiltin)
	}
	return RuleItem{ID: ri.ID, Title: ri.Title, Kind: kind, Level: ri.Level, Path: ri.File, Attack: ri.Attack, Enabled: true}
}

// Disabled reports whether rule id is switched off.
func (rs *Rules) Disabled(id string) bool {
	rs.mu.RLock()
	defer rs.mu.RUnlock()
	return rs.disabled[id]
}

// list returns the rules, each with its switch, filtered by kind and text.
func (rs *Rules) list(kind, q string) []RuleItem {
	rs.mu.RLock()
	defer rs.mu.RUnlock()
	q = strings.ToLower(q)
	out := []RuleItem{}
	for _, it := range rs.items {
		if kind != "" && it.Kind != kind {
			continue
		}
		if q != "" && !strings.Contains(strings.ToLower(it.ID+" "+it.Title+" "+it.Path+" "+strings.Join(it.Attack, " ")), q) {
			continue
		}
		it.Enabled = !rs.disabled[it.ID]
		out = append(out, it)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

func (rs *Rules) known(id string) bool {
	rs.mu.RLock()
	defer rs.mu.RUnlock()
	for _, it := range rs.items {
		if it.ID == id {
			return true
		}
	}
	return false
}

// setEnabled switches rule id on or off, durably.
func (rs *Rules) setEnabled(ctx context.Context, id string, on bool) error {
	var err error
	if on {
		err = rs.st.DeleteState(ctx, disabledPrefix+id)
	} else {
		err = rs.st.PutState(ctx, disabledPrefix+id, []byte(time.Now().UTC().Format(time.RFC3339)))
	}
	if err != nil {
		return fmt.Errorf("console: switch rule %s: %w", id, err)
	}
	rs.mu.Lock()
	defer rs.mu.Unlock()
	if on {
		delete(rs.disabled, id)
	} else {
		rs.disabled[id] = true
	}
	return nil
}

// LintError is an uploaded rule that did not load.
type LintError struct{ Problems []string }

func (e *LintError) Error() string { return "console: rule lint: " + strings.Join(e.Problems, "; ") }

// errRuleExists is an uploaded rule whose id is loaded already.
var errRuleExists = errors.New("a rule with that id is loaded already")

var safeFile = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// add lints and loads an uploaded Sigma document; its single-event rules run from now on
// (correlation rules need a restart to join the ordered detector).
func (rs *Rules) add(data []byte) ([]RuleItem, error) {
	set, errs := sigma.Load(fstest.MapFS{"upload.yml": {Data: data}}, ".", sigma.Options{Logger: rs.log})
	if len(errs) > 0 || set.Len() == 0 {
		le := &LintError{}
		for _, e := range errs {
			le.Problems = append(le.Problems, strings.TrimPrefix(e.Error(), "upload.yml:"))
		}
		if len(le.Problems) == 0 {
			le.Problems = []string{"no rule in the document"}
		}
		return nil, le
	}
	infos := set.Rules()
	for _, ri := range infos {
		if rs.known(ri.ID) {
			return nil, fmt.Errorf("%w: %s", errRuleExists, ri.ID)
		}
	}
	path := "uploaded (not saved; lost at restart)"
	if rs.uploadDir != "" {
		if err := os.MkdirAll(rs.uploadDir, 0o750); err != nil {
			return nil, fmt.Errorf("console: save rule: %w", err)
		}
		path = filepath.Join(rs.uploadDir, safeFile.ReplaceAllString(infos[0].ID, "_")+".yml")
		if err := os.WriteFile(path, data, 0o640); err != nil {
			return nil, fmt.Errorf("console: save rule: %w", err)
		}
	}
	rs.mu.Lock()
	defer rs.mu.Unlock()
	var out []RuleItem
	for _, ri := range infos {
		it := ruleItem(ri)
		it.Path = path
		rs.items = append(rs.items, it)
		out = append(out, it)
	}
	rs.uploaded = append(rs.uploaded, set.ArrivalDetector())
	return out, nil
}

// Detector wraps a live detector: alerts of disabled rules are dropped, and the rules
// uploaded since the start observe every event too.
func (rs *Rules) Detector(inner detect.Detector) detect.Detector {
	return &switchedDetector{inner: inner, rules: rs}
}

type switchedDetector struct {
	inner detect.Detector
	rules *Rules
}

func (d *switchedDetector) Name() string { return d.inner.Name() }

func (d *switchedDetector) filter(emit detect.Emit) detect.Emit {
	return func(a alert.Alert) {
		if !d.rules.Disabled(a.Rule.ID) {
			emit(a)
		}
	}
}

func (d *switchedDetector) extra() []detect.Detector {
	d.rules.mu.RLock()
	defer d.rules.mu.RUnlock()
	return d.rules.uploaded
}

func (d *switchedDetector) Observe(ctx context.Context, ev *event.Event, emit detect.Emit) error {
	f := d.filter(emit)
	if err := d.inner.Observe(ctx, ev, f); err != nil {
		return err
	}
	for _, x := range d.extra() {
		if err := x.Observe(ctx, ev, f); err != nil {
			return err
		}
	}
	return nil
}

func (d *switchedDetector) Advance(ctx context.Context, now time.Time, emit detect.Emit) error {
	f := d.filter(emit)
	if err := d.inner.Advance(ctx, now, f); err != nil {
		return err
	}
	for _, x := range d.extra() {
		if err := x.Advance(ctx, now, f); err != nil {
			return err
		}
	}
	return nil
}

var _ detect.Detector = (*switchedDetector)(nil)

func (s *Server) rules(w http.ResponseWriter, r *http.Request) {
	p := params{r: r}
	items := []RuleItem{}
	if s.opts.Rules != nil {
		items = s.opts.Rules.list(p.str("kind"), p.str("q"))
	}
	writeJSON(w, http.StatusOK, List[RuleItem]{Items: items})
}

func (s *Server) ruleEnable(w http.ResponseWriter, r *http.Request)  { s.ruleSwitch(w, r, true) }
func (s *Server) ruleDisable(w http.ResponseWriter, r *http.Request) { s.ruleSwitch(w, r, false) }

func (s *Server) ruleSwitch(w http.ResponseWriter, r *http.Request, on bool) {
	id := r.PathValue("id")
	if s.opts.Rules == nil || !s.opts.Rules.known(id) {
		writeError(w, http.StatusNotFound, "no rule "+id+"; list them at /api/v1/rules")
		return
	}
	if err := s.opts.Rules.setEnabled(r.Context(), id, on); err != nil {
		s.internalError(w, r, "switching the rule", err)
		return
	}
	s.opts.Logger.Info("console: rule switched", "rule", id, "enabled", on, "by", principal(r).User)
	for _, it := range s.opts.Rules.list("", "") {
		if it.ID == id {
			writeJSON(w, http.StatusOK, it)
			return
		}
	}
}

func (s *Server) ruleUpload(w http.ResponseWriter, r *http.Request) {
	if s.opts.Rules == nil {
		writeError(w, http.StatusNotFound, "this daemon loads no rules")
		return
	}
	ct := strings.ToLower(r.Header.Get("Content-Type"))
	if !strings.Contains(ct, "yaml") {
		writeError(w, http.StatusUnsupportedMediaType, "send the Sigma rule as YAML with Content-Type: application/yaml")
		return
	}
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		writeError(w, http.StatusRequestEntityTooLarge, "a rule file of at most 1 MiB")
		return
	}
	items, err := s.opts.Rules.add(data)
	var le *LintError
	switch {
	case errors.As(err, &le):
		writeJSON(w, http.StatusUnprocessableEntity, map[string]any{"error": "the rule did not pass lint; fix the problems listed", "lint": le.Problems})
		return
	case errors.Is(err, errRuleExists):
		writeError(w, http.StatusConflict, err.Error()+"; give the rule a new id")
		return
	case err != nil:
		s.internalError(w, r, "saving the rule", err)
		return
	}
	s.opts.Logger.Info("console: rule uploaded", "rule", items[0].ID, "by", principal(r).User)
	writeJSON(w, http.StatusCreated, items[0])
}
