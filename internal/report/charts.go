package report

import (
	"fmt"
	"math"
	"slices"
	"strconv"
)

// Chart is a chart of a report, independent of how it is drawn: inline
// SVG in the HTML (charts_svg.go) or PNG and SVG files (charts_plot.go).
// Both kinds share a categorical x axis.
type Chart struct {
	// Name is the file name without extension, e.g. latency_comparison.
	Name   string `json:"name"`
	Title  string `json:"title"`
	XLabel string `json:"x_label"`
	YLabel string `json:"y_label"`
	// Lines draws each series as a line through the categories; else
	// grouped bars.
	Lines      bool          `json:"lines,omitempty"`
	Categories []string      `json:"categories"`
	Series     []ChartSeries `json:"series"`
}

// ChartSeries is one series; Values align with the chart's Categories,
// NaN where the series has no value.
type ChartSeries struct {
	Name   string    `json:"name"`
	Values []float64 `json:"-"`
}

// Palette is the series colours, in order (Observable's 10, which stay
// distinct for colour-blind readers).
var Palette = []string{"#4269d0", "#efb118", "#ff725c", "#6cc5b0", "#3ca951", "#ff8ab7", "#a463f2", "#97bbf5", "#9c6b4e", "#9498a0"}

// max is the largest finite value, 0 when none.
func (c *Chart) max() float64 {
	m := 0.0
	for _, s := range c.Series {
		for _, v := range s.Values {
			if finite(v) && v > m {
				m = v
			}
		}
	}
	return m
}

// suiteChart is the chart of a suite's section, or nil.
func suiteChart(suite string, rs []*Loaded) *Chart {
	switch suite {
	case "latency":
		return latencyChart(rs)
	case "throughput":
		return throughputChart(rs)
	case "memory":
		return memoryChart(rs)
	case "stress":
		return stressChart(rs)
	}
	return nil
}

// stressChart is completed requests/s per window over time, one line per
// scenario: a crash, a hang or a slow drift shows as the line falling.
func stressChart(rs []*Loaded) *Chart {
	c := &Chart{Name: "stress_timeline", Title: "Completed requests per second over time", XLabel: "window end (s since the scenario began)", YLabel: "requests/s", Lines: true}
	var ends []float64
	for _, l := range rs {
		for _, s := range l.Scenarios {
			for _, w := range s.Windows {
				if !slices.Contains(ends, w.EndS) {
					ends = append(ends, w.EndS)
				}
			}
		}
	}
	slices.Sort(ends)
	for _, e := range ends {
		c.Categories = append(c.Categories, strconv.FormatFloat(e, 'f', 0, 64))
	}
	for _, l := range rs {
		for _, s := range l.Scenarios {
			if len(s.Windows) == 0 {
				continue
			}
			ser := ChartSeries{Name: l.Label() + " " + s.Name, Values: make([]float64, len(ends))}
			for j := range ser.Values {
				ser.Values[j] = math.NaN()
			}
			for _, w := range s.Windows {
				ser.Values[slices.Index(ends, w.EndS)] = w.RequestsPerS
			}
			c.Series = append(c.Series, ser)
		}
	}
	if len(c.Series) == 0 {
		return nil
	}
	return c
}

// collect builds a chart whose categories are the scenarios (named by
// name(l, i)) and whose series are given by the metrics, per label.
func collect(c *Chart, rs []*Loaded, name func(l *Loaded, i int) string, metrics []figureSpec) *Chart {
	for _, l := range rs {
		for i, s := range l.Scenarios {
			if s.Skipped != "" || slices.Contains(c.Categories, name(l, i)) {
				continue
			}
			for _, m := range metrics {
				if v, ok := m.get(l, i); ok && finite(v) {
					c.Categories = append(c.Categories, name(l, i))
					break
				}
			}
		}
	}
	for _, label := range labels(rs) {
		for _, m := range metrics {
			sname := label
			if len(metrics) > 1 {
				sname += " " + m.name
			}
			ser := ChartSeries{Name: sname, Values: make([]float64, len(c.Categories))}
			for j := range ser.Values {
				ser.Values[j] = math.NaN()
			}
			found := false
			for _, l := range ofLabel(rs, label) {
				for i, s := range l.Scenarios {
					if s.Skipped != "" {
						continue
					}
					if v, ok := m.get(l, i); ok && finite(v) {
						ser.Values[slices.Index(c.Categories, name(l, i))] = v
						found = true
					}
				}
			}
			if found {
				c.Series = append(c.Series, ser)
			}
		}
	}
	if len(c.Categories) == 0 || len(c.Series) == 0 {
		return nil
	}
	return c
}

func latencyChart(rs []*Loaded) *Chart {
	c := &Chart{Name: "latency_comparison", Title: "Time to first token by scenario", XLabel: "scenario (prompt → output tokens)", YLabel: "TTFT (ms)"}
	name := func(l *Loaded, i int) string {
		s := &l.Scenarios[i]
		return fmt.Sprintf("%s %d→%d", s.Name, s.InputTokens, s.OutputTokens)
	}
	return collect(c, rs, name, []figureSpec{
		{name: "P50", get: func(l *Loaded, i int) (float64, bool) {
			t := l.Scenarios[i].Summary.TTFT
			return t.P50, t.N > 0
		}},
		{name: "P95", get: func(l *Loaded, i int) (float64, bool) {
			t := l.Scenarios[i].Summary.TTFT
			return t.P95, t.N > 0
		}},
	})
}

func throughputChart(rs []*Loaded) *Chart {
	c := &Chart{Name: "throughput_scaling", Title: "Request throughput as load grows", YLabel: "completed requests/s", Lines: true}
	c.XLabel = "scenario"
	if len(rs) > 0 && len(rs[0].Scenarios) > 0 && rs[0].Scenarios[0].Load != nil {
		c.XLabel = "load (c = concurrent requests)"
	} else if len(rs) > 0 {
		if k := scalingKey(rs[0]); k != "" {
			c.XLabel = k
		}
	}
	name := func(l *Loaded, i int) string { return scalingLabel(l, i, scalingKey(l)) }
	c.YLabel = "completed prompts/s (requests/s × batch)"
	return collect(c, rs, name, []figureSpec{{name: "prompts/s", get: func(l *Loaded, i int) (float64, bool) {
		s := &l.Scenarios[i]
		if s.Figures != nil && s.Figures.SequencesPerS > 0 {
			return s.Figures.SequencesPerS, true
		}
		return s.Summary.RequestThroughput, s.Summary.Succeeded > 0
	}}})
}

func memoryChart(rs []*Loaded) *Chart {
	c := &Chart{Name: "memory_usage", Title: "Peak memory by scenario", XLabel: "scenario", YLabel: "peak memory (MiB)"}
	name := func(l *Loaded, i int) string {
		s := &l.Scenarios[i]
		if s.Memory != nil && s.Memory.Quantization != "" {
			return s.Name + " " + s.Memory.Quantization
		}
		return s.Name
	}
	return collect(c, rs, name, []figureSpec{{name: "peak", get: func(l *Loaded, i int) (float64, bool) {
		v, ok := peakBytes(l, i)
		return v / (1 << 20), ok
	}}})
}

// niceTicks returns about n round tick values from 0 to at least max.
func niceTicks(max float64, n int) []float64 {
	if max <= 0 || !finite(max) {
		return []float64{0, 1}
	}
	raw := max / float64(n)
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	step := mag
	for _, m := range []float64{1, 2, 2.5, 5, 10} {
		if m*mag >= raw {
			step = m * mag
			break
		}
	}
	var ticks []float64
	for v := 0.0; ; v += step {
		ticks = append(ticks, v)
		if v >= max {
			break
		}
	}
	return ticks
}

// tickLabels thins the category labels to at most about 12, so that a
// long time axis stays readable; the others are empty.
func tickLabels(cats []string) []string {
	step := (len(cats) + 11) / 12
	out := make([]string, len(cats))
	for i, c := range cats {
		if step <= 1 || i%step == 0 {
			out[i] = c
		}
	}
	return out
}
