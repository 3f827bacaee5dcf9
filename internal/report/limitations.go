package report

import (
	"fmt"
	"path/filepath"
	"strings"
)

// Thresholds of the warnings the report derives.
const (
	clientCPULimit = 80.0 // percent of one core used by the client
	sendLagLimit   = 10.0 // ms of P99 send lag
	fewSamples     = 10   // below this, tail percentiles are the maximum
)

// limitations lists what limits how far the results can be trusted, each
// derived from the results themselves.
func limitations(results []*Loaded, vari *Table) []string {
	var out []string
	seen := map[string]bool{}
	add := func(s string) {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	for _, l := range results {
		name := filepath.Base(l.Path)
		if l.Engine.Weights == "synthetic" {
			add(fmt.Sprintf("%s ran with synthetic weights: speed and memory are those of the model's shape, the generated text is meaningless", l.Label()))
		}
		if !l.System.GPU.Available && l.System.GPU.Reason != "" {
			add(fmt.Sprintf("measured without a GPU (%s): not comparable with GPU engines", l.System.GPU.Reason))
		}
		if l.Interrupted {
			add(fmt.Sprintf("%s was interrupted: it holds only what finished", name))
		}
		if l.Run != nil && l.Run.Quick {
			add(fmt.Sprintf("%s is a --quick run: few requests per scenario", name))
		}
		var few []string
		for _, s := range l.Scenarios {
			if s.Skipped != "" {
				add(fmt.Sprintf("%s %s (%s) skipped: %s", l.Suite, s.Name, l.Label(), s.Skipped))
				continue
			}
			if s.Summary.Succeeded > 0 && s.Summary.Succeeded < fewSamples {
				few = append(few, s.Name)
			}
			if s.Summary.SendLag.N > 0 && s.Summary.SendLag.P99 > sendLagLimit {
				add(fmt.Sprintf("%s %s: P99 send lag %s ms: the client could not send on time, so the load was lower than asked (client-bound)", l.Suite, s.Name, num(s.Summary.SendLag.P99, 1)))
			}
		}
		if len(few) > 0 {
			add(fmt.Sprintf("%s %s: fewer than %d requests per scenario (%s): P95/P99 are close to the maximum", l.Suite, l.Label(), fewSamples, strings.Join(few, ", ")))
		}
		for _, s := range l.Scenarios {
			if g := s.Generator; g != nil && g.Bottleneck {
				add(fmt.Sprintf("%s %s: the load generator fell behind or ran out of CPU (%.0f%% of %d cores, dispatch lag P99 %s ms): client-bound, the engine may do better", l.Suite, s.Name, g.CPUPercent, g.Cores, num(g.DispatchLagP99Ms, 1)))
			}
			if g := s.Generator; g != nil && g.Stalled {
				add(fmt.Sprintf("%s %s: the engine stalled (no progress while requests were in flight)", l.Suite, s.Name))
			}
			if s.Memory != nil && s.Memory.Drift != nil && s.Memory.Drift.DurationSeconds < 600 {
				add(fmt.Sprintf("%s %s: the leak slope comes from %.0f s of samples; a heap or cache still warming up looks like a leak over so short a time (run memory --leak-duration 1h)",
					l.Suite, s.Name, s.Memory.Drift.DurationSeconds))
			}
			for _, h := range s.Health {
				if h.Status == "fail" {
					add(fmt.Sprintf("%s %s: health check %s failed: %s", l.Suite, s.Name, h.Check, h.Detail))
				}
			}
		}
		if l.Client.CPUPercent > clientCPULimit {
			add(fmt.Sprintf("%s: the benchmark client used %.0f%% of a core: it may have been the bottleneck (client-bound)", name, l.Client.CPUPercent))
		}
		for _, w := range l.Warnings {
			add(fmt.Sprintf("%s %s: %s", l.Suite, l.Label(), w))
		}
	}
	if vari != nil {
		n := 0
		for _, s := range vari.Status {
			if s == "flag" {
				n++
			}
		}
		if n > 0 {
			add(fmt.Sprintf("%d metrics vary by more than %.0f%% across repetitions (see Reproducibility)", n, CVLimit))
		}
	} else {
		add("each suite ran once: run-to-run variation is not measured (muaibench run --repeat N)")
	}
	return out
}
