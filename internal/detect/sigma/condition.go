package sigma

import (
	"fmt"
	"path"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"
)

// expr is a compiled condition.
type expr interface {
	eval(m *matchState) bool
}

type andExpr []expr
type orExpr []expr
type notExpr struct{ e expr }
type selRef struct{ sel *selection }

func (a andExpr) eval(m *matchState) bool {
	for _, e := range a {
		if !e.eval(m) {
			return false
		}
	}
	return true
}

func (o orExpr) eval(m *matchState) bool {
	for _, e := range o {
		if e.eval(m) {
			return true
		}
	}
	return false
}

func (n notExpr) eval(m *matchState) bool { return !n.e.eval(m) }
func (s selRef) eval(m *matchState) bool  { return m.selection(s.sel) }

// parseCondition compiles a condition over the named selections. It supports and, or,
// not, parentheses, and "1 of", "any of", "all of" with a name pattern or "them".
func parseCondition(cond string, sels map[string]*selection) (expr, error) {
	p := &condParser{toks: tokenize(cond), sels: sels}
	if len(p.toks) == 0 {
		return nil, fmt.Errorf("empty condition")
	}
	e, err := p.or()
	if err != nil {
		return nil, fmt.Errorf("condition %q: %w", clip(cond), err)
	}
	if p.pos < len(p.toks) {
		return nil, fmt.Errorf("condition %q: unexpected %q", clip(cond), clip(p.toks[p.pos]))
	}
	return e, nil
}

// clip shortens rule text quoted in an error, so a hostile rule cannot make its lint error
// megabytes long.
func clip(s string) string {
	const max = 120
	if len(s) <= max {
		return s
	}
	cut := max
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

func tokenize(s string) []string {
	var toks []string
	var cur strings.Builder
	flush := func() {
		if cur.Len() > 0 {
			toks = append(toks, cur.String())
			cur.Reset()
		}
	}
	for _, r := range s {
		switch {
		case r == '(' || r == ')':
			flush()
			toks = append(toks, string(r))
		case unicode.IsSpace(r):
			flush()
		default:
			cur.WriteRune(r)
		}
	}
	flush()
	return toks
}

// maxConditionDepth bounds how deeply parentheses and `not` nest in a condition: the parser
// recurses once per level, and real rules nest a handful deep.
const maxConditionDepth = 100

type condParser struct {
	toks  []string
	pos   int
	sels  map[string]*selection
	depth int // parentheses and nots open at pos
}

// enter counts one more level of nesting, refusing more than maxConditionDepth.
func (p *condParser) enter() error {
	p.depth++
	if p.depth > maxConditionDepth {
		return fmt.Errorf("nested more than %d deep (the limit)", maxConditionDepth)
	}
	return nil
}

func (p *condParser) peek() string {
	if p.pos < len(p.toks) {
		return p.toks[p.pos]
	}
	return ""
}

func (p *condParser) or() (expr, error) {
	parts, err := p.list("or", p.and)
	if err != nil || len(parts) == 1 {
		return first(parts), err
	}
	return orExpr(parts), nil
}

func (p *condParser) and() (expr, error) {
	parts, err := p.list("and", p.not)
	if err != nil || len(parts) == 1 {
		return first(parts), err
	}
	return andExpr(parts), nil
}

// list parses operands joined by the operator op.
func (p *condParser) list(op string, operand func() (expr, error)) ([]expr, error) {
	var parts []expr
	for {
		e, err := operand()
		if err != nil {
			return nil, err
		}
		parts = append(parts, e)
		if !strings.EqualFold(p.peek(), op) {
			return parts, nil
		}
		p.pos++
	}
}

func first(parts []expr) expr {
	if len(parts) == 0 {
		return nil
	}
	return parts[0]
}

func (p *condParser) not() (expr, error) {
	if strings.EqualFold(p.peek(), "not") {
		p.pos++
		if err := p.enter(); err != nil {
			return nil, err
		}
		e, err := p.not()
		if err != nil {
			return nil, err
		}
		p.depth--
		return notExpr{e}, nil
	}
	return p.primary()
}

func (p *condParser) primary() (expr, error) {
	t := p.peek()
	switch {
	case t == "":
		return nil, fmt.Errorf("unexpected end")
	case t == "(":
		p.pos++
		if err := p.enter(); err != nil {
			return nil, err
		}
		e, err := p.or()
		if err != nil {
			return nil, err
		}
		if p.peek() != ")" {
			return nil, fmt.Errorf("missing )")
		}
		p.pos++
		p.depth--
		return e, nil
	case t == ")":
		return nil, fmt.Errorf("unexpected )")
	case isKeyword(t):
		return nil, fmt.Errorf("unexpected %q", t)
	}
	if p.pos+1 < len(p.toks) && strings.EqualFold(p.toks[p.pos+1], "of") {
		return p.quantifier()
	}
	p.pos++
	sel, ok := p.sels[t]
	if !ok {
		return nil, fmt.Errorf("no selection named %q", t)
	}
	return selRef{sel}, nil
}

// quantifier parses "1 of x*", "any of them", "all of x*".
func (p *condParser) quantifier() (expr, error) {
	q := strings.ToLower(p.toks[p.pos])
	p.pos += 2
	target := p.peek()
	if target == "" || target == "(" || target == ")" || isKeyword(target) {
		return nil, fmt.Errorf("%s of: missing selection pattern", q)
	}
	p.pos++
	var names []string
	for name := range p.sels {
		if strings.EqualFold(target, "them") {
			if !strings.HasPrefix(name, "_") { // "them" excludes names starting with _
				names = append(names, name)
			}
			continue
		}
		if ok, _ := path.Match(target, name); ok {
			names = append(names, name)
		}
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("%s of %s: no selection matches", q, target)
	}
	sort.Strings(names)
	var members []expr
	for _, n := range names {
		members = append(members, selRef{p.sels[n]})
	}
	switch q {
	case "1", "any":
		return orExpr(members), nil
	case "all":
		return andExpr(members), nil
	}
	return nil, fmt.Errorf("unsupported quantifier %q (use 1, any or all)", q)
}

func isKeyword(t string) bool {
	switch strings.ToLower(t) {
	case "and", "or", "not", "of":
		return true
	}
	return false
}
