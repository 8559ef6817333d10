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

// rejectCycles removes the rules on correlation cycles from rs and reports each cycle.
func (rs *RuleSet) rejectCycles() []*LoadError {
	cycles := correlationCycles(rs.rules)
	if len(cycles) == 0 {
		return nil
	}
	drop := map[string]bool{}
	var errs []*LoadError
	for _, ids := range cycles {
		for _, id := range ids {
			drop[id] = true
		}
		first := rs.byID[ids[0]]
		errs = append(errs, &LoadError{File: first.File, Line: first.Line, Reason: cycleReason(ids)})
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
