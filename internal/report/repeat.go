package report

import (
	"fmt"
	"math"
	"slices"
)

// CVLimit is the coefficient of variation, in percent, above which a
// metric is flagged as not reproducible.
const CVLimit = 10.0

// repeatMetrics are the key figures whose spread across repetitions is
// reported.
var repeatMetrics = []struct {
	name string
	get  func(s *Scenario) (float64, bool)
}{
	{"TTFT p50 ms", func(s *Scenario) (float64, bool) { return s.Summary.TTFT.P50, s.Summary.TTFT.N > 0 }},
	{"E2E p50 ms", func(s *Scenario) (float64, bool) { return s.Summary.E2E.P50, s.Summary.E2E.N > 0 }},
	{"tok/s per request", func(s *Scenario) (float64, bool) { return s.Summary.OutputTPS.Mean, s.Summary.OutputTPS.N > 0 }},
	{"req/s", func(s *Scenario) (float64, bool) { return s.Summary.RequestThroughput, s.Summary.Succeeded > 0 }},
}

// CV is the coefficient of variation of xs in percent: sample standard
// deviation over mean. It is NaN for fewer than two values or a zero mean.
func CV(xs []float64) float64 {
	if len(xs) < 2 {
		return math.NaN()
	}
	var sum float64
	for _, x := range xs {
		sum += x
	}
	mean := sum / float64(len(xs))
	if mean == 0 {
		return math.NaN()
	}
	var sq float64
	for _, x := range xs {
		sq += (x - mean) * (x - mean)
	}
	return 100 * math.Sqrt(sq/float64(len(xs)-1)) / math.Abs(mean)
}

// variation computes, for each suite repeated by one run (--repeat), the
// coefficient of variation of each key metric of each scenario across
// the repetitions. Nil when nothing was repeated.
func variation(results []*Loaded) *Table {
	type key struct{ run, suite, label string }
	var keys []key
	groups := map[key][]*Loaded{}
	for _, l := range results {
		if l.Run == nil || l.Run.Repeats < 2 {
			continue
		}
		k := key{l.Run.ID, l.Suite, l.Label()}
		if _, ok := groups[k]; !ok {
			keys = append(keys, k)
		}
		groups[k] = append(groups[k], l)
	}
	if len(keys) == 0 {
		return nil
	}
	t := &Table{
		Title:   "Reproducibility across repetitions",
		Columns: []string{"suite", "engine · model", "scenario", "metric", "repetitions", "mean", "CV %", ""},
		Note:    fmt.Sprintf("coefficient of variation = sample stddev / mean over the repetitions of one run; above %.0f%% is flagged", CVLimit),
	}
	for _, k := range keys {
		rs := groups[k]
		var names []string
		for _, l := range rs {
			for _, s := range l.Scenarios {
				if s.Skipped == "" && !slices.Contains(names, s.Name) {
					names = append(names, s.Name)
				}
			}
		}
		for _, name := range names {
			for _, m := range repeatMetrics {
				var xs []float64
				for _, l := range rs {
					for i := range l.Scenarios {
						if s := &l.Scenarios[i]; s.Name == name && s.Skipped == "" {
							if v, ok := m.get(s); ok {
								xs = append(xs, v)
							}
						}
					}
				}
				cv := CV(xs)
				if math.IsNaN(cv) {
					continue
				}
				var sum float64
				for _, x := range xs {
					sum += x
				}
				flag, status := "", ""
				if cv > CVLimit {
					flag, status = fmt.Sprintf("above %.0f%%", CVLimit), "flag"
				}
				t.Rows = append(t.Rows, []string{k.suite, k.label, name, m.name,
					fmt.Sprint(len(xs)), num(sum/float64(len(xs)), 1), fmt.Sprintf("%.1f", cv), flag})
				t.Status = append(t.Status, status)
			}
		}
	}
	return t
}
