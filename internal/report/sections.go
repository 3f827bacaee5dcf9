package report

import (
	"fmt"
	"slices"
	"strings"
)

// suiteOrder is the plan's order of suites; others follow by name.
var suiteOrder = []string{"latency", "memory", "throughput", "engines", "optimize", "stress"}

var suiteTitles = map[string]string{
	"latency":    "Latency (L1–L4)",
	"memory":     "Memory (M1–M6)",
	"throughput": "Throughput (T1–T7)",
	"engines":    "Engine comparison",
	"optimize":   "Optimizations",
	"stress":     "Stress (S1–S5)",
}

// suites returns the suites present, in the plan's order.
func suites(results []*Loaded) []string {
	var names []string
	for _, l := range results {
		if !slices.Contains(names, l.Suite) {
			names = append(names, l.Suite)
		}
	}
	rank := func(s string) int {
		if i := slices.Index(suiteOrder, s); i >= 0 {
			return i
		}
		return len(suiteOrder)
	}
	slices.SortStableFunc(names, func(a, b string) int {
		if ra, rb := rank(a), rank(b); ra != rb {
			return ra - rb
		}
		return strings.Compare(a, b)
	})
	return names
}

func ofSuite(results []*Loaded, suite string) []*Loaded {
	var out []*Loaded
	for _, l := range results {
		if l.Suite == suite {
			out = append(out, l)
		}
	}
	return out
}

func sections(results []*Loaded) []Section {
	var out []Section
	for _, suite := range suites(results) {
		rs := ofSuite(results, suite)
		title := suiteTitles[suite]
		if title == "" {
			title = suite
		}
		sec := Section{Suite: suite, Title: title, Tables: []Table{scenarioTable(suite, rs)}}
		if c := suiteChart(suite, rs); c != nil {
			sec.Charts = append(sec.Charts, c)
		}
		out = append(out, sec)
	}
	return out
}

// scenarioTable renders the scenarios of the results of one suite: the
// suite's figures, then every extra field a scenario carries.
func scenarioTable(suite string, rs []*Loaded) Table {
	cols := suiteColumns(suite)
	var extraKeys []string
	for _, l := range rs {
		for _, ex := range l.Extras {
			for _, k := range ex.Keys() {
				if !slices.Contains(extraKeys, k) {
					extraKeys = append(extraKeys, k)
				}
			}
		}
	}
	slices.Sort(extraKeys)
	t := Table{Title: suiteTitles[suite], Columns: []string{"engine", "model", "scenario", "in→out"}}
	if t.Title == "" {
		t.Title = suite
	}
	t.Columns = append(t.Columns, extraKeys...)
	for _, c := range cols {
		t.Columns = append(t.Columns, c.head)
	}
	for _, l := range rs {
		for i := range l.Scenarios {
			s := &l.Scenarios[i]
			row := []string{l.Engine.Name, l.Engine.Model, s.Name, fmt.Sprintf("%d→%d", s.InputTokens, s.OutputTokens)}
			ex := l.extra(i)
			for _, k := range extraKeys {
				row = append(row, extraText(k, ex[k]))
			}
			status := ""
			for j, c := range cols {
				switch {
				case s.Skipped != "" && j == 0:
					row = append(row, "skipped: "+s.Skipped)
				case s.Skipped != "":
					row = append(row, "")
				default:
					row = append(row, c.cell(s))
				}
			}
			if s.Skipped != "" {
				status = "skipped"
			} else if s.Summary.Errors > 0 {
				status = "flag"
			}
			t.Rows = append(t.Rows, row)
			t.Status = append(t.Status, status)
		}
	}
	return t
}

// comparisons sets the labels (engine · model) measured in one suite side
// by side when there are several: per scenario, the key figures of each
// and their ratio to the first.
func comparisons(results []*Loaded) []Table {
	var out []Table
	for _, suite := range suites(results) {
		rs := ofSuite(results, suite)
		var labels []string
		for _, l := range rs {
			if !slices.Contains(labels, l.Label()) {
				labels = append(labels, l.Label())
			}
		}
		if len(labels) < 2 {
			continue
		}
		key := keyFigure(suite)
		t := Table{
			Title:   fmt.Sprintf("%s: %s by engine and model (ratio to %s)", suiteTitle(suite), key.name, labels[0]),
			Columns: append([]string{"scenario"}, labels...),
			Note:    key.note,
		}
		var names []string
		for _, l := range rs {
			for _, s := range l.Scenarios {
				if !slices.Contains(names, s.Name) {
					names = append(names, s.Name)
				}
			}
		}
		for _, name := range names {
			row := []string{name}
			base, haveBase := 0.0, false
			for i, label := range labels {
				v, ok := lastFigure(rs, label, name, key.get)
				cell := figure(v, ok)
				if i == 0 {
					base, haveBase = v, ok && v != 0
				} else if ok && haveBase {
					cell += fmt.Sprintf(" (%.2f×)", v/base)
				}
				row = append(row, cell)
			}
			t.Rows = append(t.Rows, row)
		}
		out = append(out, t)
	}
	return out
}

// figureSpec is a scenario's headline figure in a suite.
type figureSpec struct {
	name, note string
	get        func(l *Loaded, i int) (float64, bool)
}

func keyFigure(suite string) figureSpec {
	switch suite {
	case "latency":
		return figureSpec{"TTFT p50 ms", "lower is better", func(l *Loaded, i int) (float64, bool) {
			s := &l.Scenarios[i].Summary
			return s.TTFT.P50, s.TTFT.N > 0
		}}
	case "memory":
		return figureSpec{"peak memory MiB", "lower is better", func(l *Loaded, i int) (float64, bool) {
			v, ok := peakBytes(l, i)
			return v / (1 << 20), ok
		}}
	}
	return figureSpec{"requests/s", "higher is better", func(l *Loaded, i int) (float64, bool) {
		s := &l.Scenarios[i].Summary
		return s.RequestThroughput, s.Succeeded > 0
	}}
}

// lastFigure is the figure of the named scenario in the last result of
// label that has it.
func lastFigure(rs []*Loaded, label, scenario string, get func(l *Loaded, i int) (float64, bool)) (float64, bool) {
	v, found := 0.0, false
	for _, l := range rs {
		if l.Label() != label {
			continue
		}
		for i := range l.Scenarios {
			s := &l.Scenarios[i]
			if s.Name == scenario && s.Skipped == "" {
				if x, ok := get(l, i); ok {
					v, found = x, true
				}
			}
		}
	}
	return v, found
}

func suiteTitle(suite string) string {
	if t := suiteTitles[suite]; t != "" {
		return t
	}
	return suite
}
