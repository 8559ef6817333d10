package sigma

import (
	"fmt"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/vigil-sec/vigil/internal/event"
)

// Tests for issue 17: rule text that would exhaust or crash the engine.

func loadText(t *testing.T, files map[string]string, opts Options) (*RuleSet, []*LoadError) {
	t.Helper()
	fsys := fstest.MapFS{}
	for name, text := range files {
		fsys[name] = &fstest.MapFile{Data: []byte(text)}
	}
	return Load(fsys, ".", opts)
}

func errorsText(errs []*LoadError) string {
	var s []string
	for _, e := range errs {
		s = append(s, e.Error())
	}
	return strings.Join(s, "\n")
}

const corrA = `title: a
id: corr-a
correlation:
  type: event_count
  rules: [corr-b]
  group-by: [userIdentity.userName]
  timespan: 10m
  condition: {gte: 1}
`

const corrB = `title: b
id: corr-b
correlation:
  type: event_count
  rules: [corr-a, key_created]
  group-by: [userIdentity.userName]
  timespan: 10m
  condition: {gte: 1}
`

// Item 1: correlation rules that reference each other are lint errors naming the rules,
// and neither reaches the detector (where the cycle overflowed the stack).
func TestCorrelationCycleRejected(t *testing.T) {
	rs, errs := loadText(t, map[string]string{"base.yml": baseRules, "a.yml": corrA, "b.yml": corrB}, Options{})
	text := errorsText(errs)
	if !strings.Contains(text, "cycle") || !strings.Contains(text, "corr-a") || !strings.Contains(text, "corr-b") {
		t.Fatalf("load errors %q, want a cycle naming corr-a and corr-b", text)
	}
	for _, r := range rs.Rules() {
		if r.ID == "corr-a" || r.ID == "corr-b" {
			t.Errorf("rule %s of a cycle was loaded", r.ID)
		}
	}
	if rs.Len() != 3 {
		t.Errorf("%d rules loaded, want the 3 base rules", rs.Len())
	}
}

// Item 1: a cycle formed only when two sets are merged (a user folder and the pack) is
// refused too.
func TestCorrelationCycleAcrossMerge(t *testing.T) {
	one, errs := loadText(t, map[string]string{"base.yml": baseRules, "a.yml": corrA}, Options{})
	if len(errs) > 0 {
		t.Fatal(errorsText(errs))
	}
	two, errs := loadText(t, map[string]string{"b.yml": corrB}, Options{})
	if len(errs) > 0 {
		t.Fatal(errorsText(errs))
	}
	if err := one.Merge(two); err == nil || !strings.Contains(err.Error(), "cycle") {
		t.Errorf("Merge error %v, want a cycle", err)
	}
	d := one.Detector() // must not overflow: the cyclic set was not merged
	_ = d
}

func TestCorrelationSelfReferenceRejected(t *testing.T) {
	self := strings.Replace(corrA, "rules: [corr-b]", "rules: [corr-a]", 1)
	_, errs := loadText(t, map[string]string{"a.yml": self}, Options{})
	if !strings.Contains(errorsText(errs), "cycle") {
		t.Errorf("a correlation of itself loaded: %q", errorsText(errs))
	}
}

func detectionRule(sel string) string {
	return "title: t\nid: r1\nlogsource: {product: aws, service: cloudtrail}\ndetection:\n  s:\n" + sel + "  condition: s\n"
}

// Item 6: a huge wildcard value is a lint error, not a regexp panic.
func TestHugeWildcardValueRejected(t *testing.T) {
	value := strings.Repeat("a*b?", 1<<18) // 1 MiB of wildcards
	_, errs := loadText(t, map[string]string{"r.yml": detectionRule("    eventName: '" + value + "'\n")}, Options{})
	if len(errs) != 1 || !strings.Contains(errs[0].Reason, "bytes") {
		t.Errorf("errors %q, want one naming the value size limit", errorsText(errs))
	}
}

// Item 6: a value under the size limit whose regexp is still too large is an error too.
func TestTooLargeGlobIsError(t *testing.T) {
	value := strings.Repeat("x*", 30000)
	_, errs := loadText(t, map[string]string{"r.yml": detectionRule("    eventName|re: '" + strings.Repeat("(a{1000}){1000}", 1) + "'\n    userAgent: '" + value + "'\n")}, Options{})
	if len(errs) != 1 {
		t.Errorf("errors %q, want one", errorsText(errs))
	}
}

// Item 6: a condition nested millions deep is a lint error, not a stack overflow.
func TestDeepConditionRejected(t *testing.T) {
	const depth = 5_000_000
	for name, cond := range map[string]string{
		"parentheses": strings.Repeat("(", depth) + "s" + strings.Repeat(")", depth),
		"not":         strings.Repeat("not ", depth) + "s",
	} {
		rule := "title: t\nid: r1\nlogsource: {product: aws, service: cloudtrail}\ndetection:\n  s:\n    eventName: x\n  condition: '" + cond + "'\n"
		_, errs := loadText(t, map[string]string{"r.yml": rule}, Options{})
		if len(errs) != 1 || !strings.Contains(errs[0].Reason, "deep") {
			t.Errorf("%s: errors %.200q, want one naming the nesting limit", name, errorsText(errs))
		}
	}
}

// Item 6: |expand with many placeholders stops at the expansion limit, quickly.
func TestExpandExplosionRejected(t *testing.T) {
	ph := map[string][]string{}
	var value strings.Builder
	for i := 0; i < 7; i++ {
		name := string(rune('a' + i))
		for j := 0; j < 10; j++ {
			ph[name] = append(ph[name], strings.Repeat(name, j+1))
		}
		value.WriteString("%" + name + "%")
	}
	start := time.Now()
	_, errs := loadText(t, map[string]string{"r.yml": detectionRule("    eventName|expand: '" + value.String() + "'\n")}, Options{Placeholders: ph})
	if len(errs) != 1 || !strings.Contains(errs[0].Reason, "expan") {
		t.Errorf("errors %q, want one naming the expansion limit", errorsText(errs))
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("took %v", took)
	}
}

// Item 6: no rule text panics the loader or the detector built from it (cycles included).
func FuzzLoadRuleSet(f *testing.F) {
	for _, s := range []string{baseRules, corrA, corrB, detectionRule("    eventName|contains|all: [a, b]\n"),
		"title: t\nid: x\ndetection: {s: {a|re: '('}, condition: 's and'}\n", "filter: {rules: [a], condition: s}\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		rs, _ := loadText(t, map[string]string{"r.yml": string(data)}, Options{Placeholders: map[string][]string{"p": {"1", "2"}}})
		rs.Detector()
	})
}

// Item 6: the error for a hostile condition quotes it briefly.
func TestConditionErrorIsShort(t *testing.T) {
	rule := "title: t\nid: r1\nlogsource: {product: aws, service: cloudtrail}\ndetection:\n  s:\n    eventName: x\n  condition: '" + strings.Repeat("s and ", 100000) + "'\n"
	_, errs := loadText(t, map[string]string{"r.yml": rule}, Options{})
	if len(errs) != 1 || len(errs[0].Error()) > 500 {
		t.Errorf("%d errors, first %d bytes long", len(errs), len(errorsText(errs)))
	}
}

// Item 5: with a key written twice, the rule reads the value the normalized event has (the
// last), so a tampering rule is not blinded by a decoy first value.
func TestDuplicateKeyReadAsTheEventIs(t *testing.T) {
	rule := "title: trail deleted\nid: dup-1\nlogsource: {product: aws, service: cloudtrail}\ndetection:\n  s:\n    eventName: DeleteTrail\n  condition: s\n"
	raw := []byte(`{"eventName":"ListUsers","eventSource":"cloudtrail.amazonaws.com","eventName":"DeleteTrail"}`)
	base := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	alerts := runRules(t, "dup.yml", rule, []*event.Event{testEvent(0, raw, "u", base)}, base.Add(time.Hour))
	if len(alerts) != 1 {
		t.Errorf("%d alerts for a record whose eventName decodes as DeleteTrail", len(alerts))
	}
}

// Item 1: a chain of correlations of correlations is bounded too: each level is a nested
// call when the chain fires.
func TestCorrelationChainDepthLimited(t *testing.T) {
	var b strings.Builder
	b.WriteString(baseRules)
	prev := "key_created"
	for i := 0; i < maxCorrelationDepth+5; i++ {
		fmt.Fprintf(&b, "---\ntitle: c%d\nid: chain-%d\ncorrelation:\n  type: event_count\n  rules: [%s]\n  group-by: [userIdentity.userName]\n  timespan: 10m\n  condition: {gte: 1}\n", i, i, prev)
		prev = fmt.Sprintf("chain-%d", i)
	}
	rs, errs := loadText(t, map[string]string{"chain.yml": b.String()}, Options{})
	if len(errs) != 5 || !strings.Contains(errs[0].Reason, "deep") {
		t.Errorf("%d errors: %s", len(errs), errorsText(errs))
	}
	if rs.Len() != 3+maxCorrelationDepth {
		t.Errorf("%d rules loaded, want %d", rs.Len(), 3+maxCorrelationDepth)
	}
}
