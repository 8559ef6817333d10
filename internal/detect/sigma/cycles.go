package sigma

import (
	"fmt"
	"sort"
	"strings"
)

// Correlation rules name the rules that feed them, and a correlation's alert feeds the
// correlations naming it. A cycle (A names B, B names A, or A itself) would feed itself
// forever when it fires, so cycles are found when rules load and the rules on them refused.

// correlationCycles returns the cycles among rules' correlation references, each as the ids
// of its rules in load order. A rule naming itself counts unless it is a deprecated
// aggregation, whose reference is to its own detection part.
func correlationCycles(rules []*Rule) [][]string {
	edges := correlationEdges(rules)
	var cycles [][]string
	for _, scc := range stronglyConnected(edges) {
		if len(scc) == 1 && !contains(edges[scc[0]], scc[0]) {
			continue
		}
		sort.Ints(scc)
		ids := make([]string, len(scc))
		for k, i := range scc {
			ids[k] = rules[i].ID
		}
		cycles = append(cycles, ids)
	}
	return cycles
}

// maxCorrelationDepth bounds how many correlations a match can feed through one after the
// other (a correlation of a correlation of …): each level is a nested call when one fires.
const maxCorrelationDepth = 32

// tooDeep returns the rules that sit more than maxCorrelationDepth correlations above a
// detection rule, on a set without cycles.
func tooDeep(rules []*Rule) []*Rule {
	edges := correlationEdges(rules)
	depth := make([]int, len(rules))
	var out []*Rule
	// Tarjan emits a component only after every component it reaches: each rule's
	// references have their depth when it is computed.
	for _, scc := range stronglyConnected(edges) {
		for _, v := range scc {
			for _, w := range edges[v] {
				depth[v] = max(depth[v], depth[w]+1)
			}
			if depth[v] > maxCorrelationDepth {
				out = append(out, rules[v])
			}
		}
	}
	return out
}

// correlationEdges lists, for each rule, the rules its correlation names.
func correlationEdges(rules []*Rule) [][]int {
	byRef := map[string]int{}
	for i, r := range rules {
		byRef[r.ID] = i
		if r.Name != "" {
			byRef[r.Name] = i
		}
	}
	edges := make([][]int, len(rules))
	for i, r := range rules {
		if r.correlation == nil {
			continue
		}
		for _, ref := range r.correlation.rules {
			j, ok := byRef[ref]
			if !ok || (j == i && r.condition != nil) {
				continue
			}
			edges[i] = append(edges[i], j)
		}
	}
	return edges
}

func contains(xs []int, x int) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// stronglyConnected is Tarjan's algorithm with an explicit stack, so a long chain of
// correlations cannot overflow the goroutine's stack.
func stronglyConnected(edges [][]int) [][]int {
	n := len(edges)
	index, low := make([]int, n), make([]int, n)
	onStack := make([]bool, n)
	for i := range index {
		index[i] = -1
	}
	var out [][]int
	var sccStack []int
	next := 0
	type frame struct{ v, edge int }
	for root := 0; root < n; root++ {
		if index[root] >= 0 {
			continue
		}
		call := []frame{{root, 0}}
		index[root], low[root] = next, next
		next++
		sccStack = append(sccStack, root)
		onStack[root] = true
		for len(call) > 0 {
			f := &call[len(call)-1]
			if f.edge < len(edges[f.v]) {
				w := edges[f.v][f.edge]
				f.edge++
				switch {
				case index[w] < 0:
					index[w], low[w] = next, next
					next++
					sccStack = append(sccStack, w)
					onStack[w] = true
					call = append(call, frame{w, 0})
				case onStack[w]:
					low[f.v] = min(low[f.v], index[w])
				}
				continue
			}
			v := f.v
			call = call[:len(call)-1]
			if len(call) > 0 {
				p := call[len(call)-1].v
				low[p] = min(low[p], low[v])
			}
			if low[v] == index[v] {
				var scc []int
				for {
					w := sccStack[len(sccStack)-1]
					sccStack = sccStack[:len(sccStack)-1]
					onStack[w] = false
					scc = append(scc, w)
					if w == v {
						break
					}
				}
				out = append(out, scc)
			}
		}
	}
	return out
}

// rejectCycles removes the rules on correlation cycles, and those chained too deep, from rs
// and reports them.
func (rs *RuleSet) rejectCycles() []*LoadError {
	drop := map[string]bool{}
	var errs []*LoadError
	for _, ids := range correlationCycles(rs.rules) {
		for _, id := range ids {
			drop[id] = true
		}
		first := rs.byID[ids[0]]
		errs = append(errs, &LoadError{File: first.File, Line: first.Line, Reason: cycleReason(ids)})
	}
	if len(drop) == 0 {
		for _, r := range tooDeep(rs.rules) {
			drop[r.ID] = true
			errs = append(errs, &LoadError{File: r.File, Line: r.Line,
				Reason: fmt.Sprintf("correlation %s is chained more than %d correlations deep (the limit)", r.ID, maxCorrelationDepth)})
		}
	}
	if len(drop) == 0 {
		return nil
	}
	kept := rs.rules[:0]
	for _, r := range rs.rules {
		if drop[r.ID] {
			delete(rs.byID, r.ID)
			continue
		}
		kept = append(kept, r)
	}
	rs.rules = kept
	return errs
}

func cycleReason(ids []string) string {
	if len(ids) == 1 {
		return fmt.Sprintf("correlation cycle: rule %s names itself", ids[0])
	}
	return fmt.Sprintf("correlation cycle: rules %s name each other; none of them is loaded", strings.Join(ids, ", "))
}
