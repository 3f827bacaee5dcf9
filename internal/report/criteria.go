package report

import (
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/muaibench/muaibench/internal/config"
)

// Status is a success criterion's verdict.
type Status string

// The verdicts, best first.
const (
	Pass        Status = "PASS"
	Acceptable  Status = "ACCEPTABLE"
	Fail        Status = "FAIL"
	NotMeasured Status = "NOT MEASURED"
)

// Verdict is one criterion judged for one engine and model.
type Verdict struct {
	Criterion  string   `json:"criterion"`
	Subject    string   `json:"subject"`
	Target     string   `json:"target"`
	Acceptable string   `json:"acceptable"`
	Measured   string   `json:"measured"`
	Value      *float64 `json:"value,omitempty"`
	// Basis says what was measured, or why nothing was.
	Basis  string `json:"basis"`
	Status Status `json:"status"`
}

// Worst returns the worst verdict among measured criteria: FAIL, then
// ACCEPTABLE, then PASS; NOT MEASURED when none was measured.
func Worst(vs []Verdict) Status {
	worst := NotMeasured
	for _, v := range vs {
		switch {
		case v.Status == Fail:
			return Fail
		case v.Status == Acceptable:
			worst = Acceptable
		case v.Status == Pass && worst == NotMeasured:
			worst = Pass
		}
	}
	return worst
}

// criterion is one row of the plan's success table.
type criterion struct {
	name  string
	unit  string
	lower bool
	th    config.Threshold
	// measure finds the value for the results of one label.
	measure func(rs []*Loaded) (v float64, basis string, ok bool)
}

// Evaluate judges the results against the success criteria: each
// criterion per engine and model measured, then the engine speedup.
func Evaluate(results []*Loaded, sc config.SuccessCriteria) []Verdict {
	crits := []criterion{
		{"TTFT (P50, shortest prompt)", "ms", true, sc.TTFTMs, measureTTFT},
		{"output tokens/s per request", "tok/s", false, sc.TokensPerS, measureTPS},
		{"peak memory", "GB", true, sc.MemoryGB, measureMemory},
		{"throughput with batching", "req/s", false, sc.ThroughputRPS, measureThroughput},
		{"memory leak", "MB/hour", true, sc.MemoryLeakMBPerHour, measureLeak},
	}
	var out []Verdict
	for _, label := range labels(results) {
		rs := ofLabel(results, label)
		for _, c := range crits {
			v, basis, ok := c.measure(rs)
			vd := verdict(c.name, label, c.unit, c.lower, c.th, v, basis, ok)
			if d := latestDrift(rs); c.name == "memory leak" && d != nil {
				// The memory suite judged the slope with its interval;
				// a point estimate alone would flip on noise.
				if vd.Value != nil {
					vd.Measured = fmt.Sprintf("%+.1f MB/hour [%+.1f, %+.1f]", d.SlopeMBPerHour, d.CILowMBPerHour, d.CIHighMBPerHour)
				}
				switch d.Verdict {
				case "pass":
					vd.Status = Pass
				case "acceptable":
					vd.Status = Acceptable
				case "fail":
					vd.Status = Fail
				case "inconclusive":
					// Too few readings to tell growth from noise: no
					// verdict rather than one the point estimate flips.
					vd.Status = NotMeasured
					vd.Basis = "inconclusive: " + d.Reason
				}
			}
			out = append(out, vd)
		}
	}
	v, basis, ok := measureSpeedup(results, sc.Speedup)
	subject := sc.Speedup.Engine + " over " + sc.Speedup.Baseline
	out = append(out, verdict("engine speedup (request throughput)", subject, "×", false, sc.Speedup.Threshold, v, basis, ok))
	return out
}

func verdict(name, subject, unit string, lower bool, th config.Threshold, v float64, basis string, ok bool) Verdict {
	op := "≥"
	if lower {
		op = "≤"
	}
	out := Verdict{
		Criterion:  name,
		Subject:    subject,
		Target:     fmt.Sprintf("%s %s %s", op, strconv.FormatFloat(th.Target, 'g', -1, 64), unit),
		Acceptable: fmt.Sprintf("%s %s %s", op, strconv.FormatFloat(th.Acceptable, 'g', -1, 64), unit),
		Basis:      basis,
		Status:     NotMeasured,
	}
	if !ok {
		return out
	}
	out.Value = &v
	out.Measured = num(v, 1) + " " + unit
	meets := func(bound float64) bool {
		if lower {
			return v <= bound
		}
		return v >= bound
	}
	switch {
	case meets(th.Target):
		out.Status = Pass
	case meets(th.Acceptable):
		out.Status = Acceptable
	default:
		out.Status = Fail
	}
	return out
}

// labels returns the engine · model labels in order of first appearance.
func labels(results []*Loaded) []string {
	var out []string
	for _, l := range results {
		if !slices.Contains(out, l.Label()) {
			out = append(out, l.Label())
		}
	}
	return out
}

func ofLabel(results []*Loaded, label string) []*Loaded {
	var out []*Loaded
	for _, l := range results {
		if l.Label() == label {
			out = append(out, l)
		}
	}
	return out
}

// shortestLatency finds the measured latency scenario with the shortest
// prompt in the latest latency result.
func shortestLatency(rs []*Loaded) (*Loaded, *Scenario) {
	var bestL *Loaded
	var best *Scenario
	for _, l := range rs {
		if l.Suite != "latency" {
			continue
		}
		for i := range l.Scenarios {
			s := &l.Scenarios[i]
			if s.Skipped != "" || s.Summary.TTFT.N == 0 {
				continue
			}
			if best == nil || s.InputTokens < best.InputTokens ||
				s.InputTokens == best.InputTokens && l.Started.After(bestL.Started) {
				bestL, best = l, s
			}
		}
	}
	return bestL, best
}

func measureTTFT(rs []*Loaded) (float64, string, bool) {
	l, s := shortestLatency(rs)
	if s == nil {
		return 0, "no latency result", false
	}
	return s.Summary.TTFT.P50, fmt.Sprintf("P50 TTFT of %s (%d→%d tokens, %d requests) in %s",
		s.Name, s.InputTokens, s.OutputTokens, s.Summary.TTFT.N, filepath.Base(l.Path)), true
}

func measureTPS(rs []*Loaded) (float64, string, bool) {
	l, s := shortestLatency(rs)
	if s == nil || s.Summary.OutputTPS.N == 0 {
		return 0, "no latency result", false
	}
	return s.Summary.OutputTPS.Mean, fmt.Sprintf("mean output tokens/s of %s (%d→%d tokens, output tokens / E2E) in %s",
		s.Name, s.InputTokens, s.OutputTokens, filepath.Base(l.Path)), true
}

func measureMemory(rs []*Loaded) (float64, string, bool) {
	best, where, found := 0.0, "", false
	for _, l := range rs {
		for i := range l.Scenarios {
			if v, ok := peakBytes(l, i); ok && v > best {
				best, where, found = v, l.Scenarios[i].Name+" in "+filepath.Base(l.Path), true
			}
		}
		if v, ok := peakOf(l.ResultExtras); ok && v > best {
			best, where, found = v, filepath.Base(l.Path), true
		}
	}
	if !found {
		return 0, "no memory measurement (run muaibench memory)", false
	}
	return best / 1e9, "highest peak memory of the engine, " + where + ", GB = 10⁹ bytes", true
}

func measureThroughput(rs []*Loaded) (float64, string, bool) {
	best, where, found := 0.0, "", false
	for _, l := range rs {
		if l.Suite != "throughput" {
			continue
		}
		for i := range l.Scenarios {
			s := &l.Scenarios[i]
			if s.Skipped != "" || s.Summary.Succeeded == 0 {
				continue
			}
			v := s.Summary.RequestThroughput
			if s.Figures != nil && s.Figures.SequencesPerS > v {
				v = s.Figures.SequencesPerS // a batched request completes several prompts
			}
			if v > best {
				best, where, found = v, fmt.Sprintf("%s (%s) in %s", s.Name, loadText(s.Load), filepath.Base(l.Path)), true
			}
		}
	}
	if !found {
		return 0, "no throughput result (run muaibench throughput)", false
	}
	return best, "peak completed requests (prompts of a batch counted) per second, " + where, true
}

func measureLeak(rs []*Loaded) (float64, string, bool) {
	for _, l := range slices.Backward(rs) {
		for _, s := range l.Scenarios {
			if s.Memory != nil && s.Memory.Drift != nil {
				d := s.Memory.Drift
				return d.SlopeMBPerHour, fmt.Sprintf("%s: slope of %s over %.0f s, %.0f%% interval [%+.2f, %+.2f] MB/hour (the suite's own verdict: %s) in %s",
					s.Name, d.Quantity, d.DurationSeconds, 100*d.Level, d.CILowMBPerHour, d.CIHighMBPerHour, d.Verdict, filepath.Base(l.Path)), true
			}
		}
		exs := append([]Extras{l.ResultExtras}, l.Extras...)
		for _, ex := range exs {
			if v, key, ok := leakOf(ex); ok {
				return v, fmt.Sprintf("%s in %s", key, filepath.Base(l.Path)), true
			}
		}
	}
	return 0, "no leak measurement (run muaibench memory --leak-detection)", false
}

func measureSpeedup(results []*Loaded, sp config.Speedup) (float64, string, bool) {
	peak := func(engine string) (float64, bool) {
		var rs []*Loaded
		for _, l := range results {
			if strings.EqualFold(l.Engine.Name, engine) {
				rs = append(rs, l)
			}
		}
		v, _, ok := measureThroughput(rs)
		return v, ok
	}
	a, okA := peak(sp.Engine)
	b, okB := peak(sp.Baseline)
	if !okA || !okB || b == 0 {
		var have []string
		for _, l := range results {
			if l.Suite == "throughput" && !slices.Contains(have, l.Engine.Name) {
				have = append(have, l.Engine.Name)
			}
		}
		if len(have) == 0 {
			have = []string{"none"}
		}
		return 0, fmt.Sprintf("needs throughput results of engines %q and %q; have %s", sp.Engine, sp.Baseline, strings.Join(have, ", ")), false
	}
	return a / b, fmt.Sprintf("peak requests/s of %s (%s) over %s (%s)", sp.Engine, num(a, 1), sp.Baseline, num(b, 1)), true
}
