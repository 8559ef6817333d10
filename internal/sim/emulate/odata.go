package emulate

import (
	"fmt"
	"strings"
	"time"
)

// timeCond is one `field op value` comparison of a $filter.
type timeCond struct {
	field string // lower-case property name
	op    string // ge gt le lt
	t     time.Time
}

func (c timeCond) holds(v time.Time) bool {
	switch c.op {
	case "ge":
		return !v.Before(c.t)
	case "gt":
		return v.After(c.t)
	case "le":
		return !v.After(c.t)
	case "lt":
		return v.Before(c.t)
	}
	return false
}

// filterNode is a parsed $filter: a conjunction of time comparisons and, for sign-ins, a
// set of accepted signInEventTypes (nil when the filter names none).
type filterNode struct {
	conds []timeCond
	types map[string]bool
}

// filterSyntax is what the emulator accepts of OData $filter for one API: comparisons
// of its time properties with DateTimeOffset literals joined by `and`, and, when
// eventTypes is set, `signInEventTypes/any(t: t eq '…' [or t eq '…'])` clauses, which
// may be joined by `or` with each other. Everything else is a 400, as Graph answers
// for what an API does not support.
type filterSyntax struct {
	timeFields map[string]bool // lower-case property names
	quoted     bool            // ARM: the literal is a quoted string ('2026-…Z')
	eventTypes bool
	eqFields   map[string]bool // lower-case properties compared with `eq 'value'` (ARM)
	typeName   string          // for messages: microsoft.graph.signIn
}

type filterParser struct {
	syn  filterSyntax
	toks []string
	pos  int
	eqs  map[string]string
}

// parseFilter parses src; the error's text is the message of the 400 answer.
func parseFilter(src string, syn filterSyntax) (filterNode, map[string]string, error) {
	toks, err := tokenize(src)
	if err != nil {
		return filterNode{}, nil, err
	}
	p := &filterParser{syn: syn, toks: toks, eqs: map[string]string{}}
	n, err := p.disjunction()
	if err != nil {
		return filterNode{}, nil, err
	}
	if p.pos < len(p.toks) {
		return filterNode{}, nil, fmt.Errorf("Invalid filter clause: syntax error at position %d in '%s'.", p.pos, src)
	}
	return n, p.eqs, nil
}

func tokenize(src string) ([]string, error) {
	var toks []string
	for i := 0; i < len(src); {
		c := src[i]
		switch {
		case c == ' ' || c == '\t':
			i++
		case c == '(' || c == ')' || c == ':':
			toks = append(toks, string(c))
			i++
		case c == '\'':
			j := i + 1
			for j < len(src) && src[j] != '\'' {
				j++
			}
			if j >= len(src) {
				return nil, fmt.Errorf("Invalid filter clause: unterminated string literal at position %d in '%s'.", i, src)
			}
			toks = append(toks, src[i:j+1])
			i = j + 1
		case c >= '0' && c <= '9':
			// A DateTimeOffset literal holds ':' itself.
			j := i
			for j < len(src) && src[j] != ' ' && src[j] != ')' && src[j] != '(' {
				j++
			}
			toks = append(toks, src[i:j])
			i = j
		default:
			j := i
			for j < len(src) && !strings.ContainsRune(" \t():'", rune(src[j])) {
				j++
			}
			toks = append(toks, src[i:j])
			i = j
		}
	}
	return toks, nil
}

func (p *filterParser) peek() string {
	if p.pos < len(p.toks) {
		return p.toks[p.pos]
	}
	return ""
}

func (p *filterParser) next() string {
	t := p.peek()
	if p.pos < len(p.toks) {
		p.pos++
	}
	return t
}

func (p *filterParser) expect(tok string) error {
	if got := p.next(); !strings.EqualFold(got, tok) {
		return fmt.Errorf("Invalid filter clause: expected '%s' but found '%s'.", tok, got)
	}
	return nil
}

// disjunction := conjunction ('or' conjunction)*; `or` only between event-type sets.
func (p *filterParser) disjunction() (filterNode, error) {
	n, err := p.conjunction()
	if err != nil {
		return n, err
	}
	for strings.EqualFold(p.peek(), "or") {
		p.next()
		m, err := p.conjunction()
		if err != nil {
			return n, err
		}
		if len(n.conds) > 0 || len(m.conds) > 0 || n.types == nil || m.types == nil {
			return n, fmt.Errorf("Invalid filter clause: 'or' is supported only between signInEventTypes conditions.")
		}
		for t := range m.types {
			n.types[t] = true
		}
	}
	return n, nil
}

// conjunction := unit ('and' unit)*
func (p *filterParser) conjunction() (filterNode, error) {
	n, err := p.unit()
	if err != nil {
		return n, err
	}
	for strings.EqualFold(p.peek(), "and") {
		p.next()
		m, err := p.unit()
		if err != nil {
			return n, err
		}
		n.conds = append(n.conds, m.conds...)
		switch {
		case m.types == nil:
		case n.types == nil:
			n.types = m.types
		default: // a sign-in has one event type, so `and` of two sets is their intersection
			for t := range n.types {
				if !m.types[t] {
					delete(n.types, t)
				}
			}
		}
	}
	return n, nil
}

func (p *filterParser) unit() (filterNode, error) {
	tok := p.peek()
	switch {
	case tok == "(":
		p.next()
		n, err := p.disjunction()
		if err != nil {
			return n, err
		}
		return n, p.expect(")")
	case strings.EqualFold(tok, "signInEventTypes/any"):
		return p.anyClause()
	case tok == "":
		return filterNode{}, fmt.Errorf("Invalid filter clause: the expression ends too early.")
	}
	return p.comparison()
}

func (p *filterParser) anyClause() (filterNode, error) {
	if !p.syn.eventTypes {
		return filterNode{}, fmt.Errorf("Could not find a property named 'signInEventTypes' on type '%s'.", p.syn.typeName)
	}
	p.next()
	if err := p.expect("("); err != nil {
		return filterNode{}, err
	}
	v := p.next()
	if v == "" || v == ")" {
		return filterNode{}, fmt.Errorf("Invalid filter clause: a lambda variable is required in signInEventTypes/any.")
	}
	if err := p.expect(":"); err != nil {
		return filterNode{}, err
	}
	types := map[string]bool{}
	for {
		if got := p.next(); got != v {
			return filterNode{}, fmt.Errorf("Invalid filter clause: could not find a property named '%s' in the lambda expression.", got)
		}
		if err := p.expect("eq"); err != nil {
			return filterNode{}, err
		}
		lit := p.next()
		if len(lit) < 2 || lit[0] != '\'' {
			return filterNode{}, fmt.Errorf("Invalid filter clause: signInEventTypes values are quoted strings, found '%s'.", lit)
		}
		types[lit[1:len(lit)-1]] = true
		if !strings.EqualFold(p.peek(), "or") {
			break
		}
		p.next()
	}
	if err := p.expect(")"); err != nil {
		return filterNode{}, err
	}
	return filterNode{types: types}, nil
}

func (p *filterParser) comparison() (filterNode, error) {
	field := p.next()
	lf := strings.ToLower(field)
	op := strings.ToLower(p.next())
	lit := p.next()
	if p.syn.eqFields[lf] {
		if op != "eq" {
			return filterNode{}, fmt.Errorf("Invalid filter clause: %s supports only 'eq', found '%s'.", field, op)
		}
		if len(lit) < 2 || lit[0] != '\'' {
			return filterNode{}, fmt.Errorf("Invalid filter clause: the value of %s is a quoted string, found '%s'.", field, lit)
		}
		if _, dup := p.eqs[lf]; dup {
			return filterNode{}, fmt.Errorf("Invalid filter clause: %s may appear only once.", field)
		}
		p.eqs[lf] = strings.ToLower(lit[1 : len(lit)-1])
		return filterNode{}, nil
	}
	if !p.syn.timeFields[lf] {
		return filterNode{}, fmt.Errorf("Invalid filter clause: filtering on property '%s' is not supported.", field)
	}
	switch op {
	case "ge", "gt", "le", "lt":
	default:
		return filterNode{}, fmt.Errorf("Invalid filter clause: operator '%s' is not supported on '%s'.", op, field)
	}
	quoted := len(lit) >= 2 && lit[0] == '\''
	if quoted != p.syn.quoted {
		if quoted {
			return filterNode{}, fmt.Errorf("The types 'Edm.DateTimeOffset' and 'Edm.String' are not compatible.")
		}
		return filterNode{}, fmt.Errorf("The value of %s must be a quoted date-time string, found '%s'.", field, lit)
	}
	if quoted {
		lit = lit[1 : len(lit)-1]
	}
	t, err := time.Parse(time.RFC3339Nano, lit)
	if err != nil {
		return filterNode{}, fmt.Errorf("The DateTimeOffset text '%s' should be in format 'yyyy-mm-ddThh:mm:ss('.'s+)?(zzzzzz)?' and each field value is within valid range.", lit)
	}
	return filterNode{conds: []timeCond{{field: lf, op: op, t: t.UTC()}}}, nil
}
