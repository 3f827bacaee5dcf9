package report

import (
	"fmt"
	"io"
	"text/tabwriter"
)

// WriteLoadTable renders a throughput or stress result as a terminal
// table: one row per scenario, then the suite's conclusions, the health
// checks and the warnings.
func WriteLoadTable(w io.Writer, r *Result) error {
	fmt.Fprintf(w, "%s · engine %s (%s) · model %s", r.Suite, r.Engine.Name, r.Engine.URL, r.Engine.Model)
	if r.Engine.Weights != "" {
		fmt.Fprintf(w, " · weights %s", r.Engine.Weights)
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "scenario\tload\treqs\terr%\treq/s\tseq/s\tout tok/s\ttot tok/s\tgoodput/s\tE2E mean\tp95\tp99\tTTFT mean\tp95\tp99\tlag p99\tclient CPU\t")
	fmt.Fprintln(tw, "\t\t\t\t\t\t\t\t\tms\tms\tms\tms\tms\tms\tms\t%\t")
	for _, s := range r.Scenarios {
		if s.Skipped != "" {
			fmt.Fprintf(tw, "%s\t-\t-\t-\tskipped\t\t\t\t\t\t\t\t\t\t\t\t\t\n", s.Name)
			continue
		}
		m, f, g := s.Summary, s.Figures, s.Generator
		if f == nil {
			f = &LoadFigures{}
		}
		lag, cpu := "-", "-"
		if g != nil {
			lag, cpu = num(g.DispatchLagP99Ms, m.Requests), fmt.Sprintf("%.0f", g.CPUPercent)
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%.1f\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n",
			s.Name, loadLabel(s.Load), m.Requests, 100*f.ErrorRate,
			num(m.RequestThroughput, m.Succeeded), num(f.SequencesPerS, m.Succeeded),
			num(m.OutputThroughput, m.Succeeded), num(m.TotalThroughput, m.Succeeded), num(m.Goodput, m.Succeeded),
			num(m.E2E.Mean, m.E2E.N), num(m.E2E.P95, m.E2E.N), num(m.E2E.P99, m.E2E.N),
			num(m.TTFT.Mean, m.TTFT.N), num(m.TTFT.P95, m.TTFT.N), num(m.TTFT.P99, m.TTFT.N), lag, cpu)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if a := r.Throughput; a != nil {
		if a.PeakScenario != "" {
			fmt.Fprintf(w, "peak: %.4g requests/s in %s; %s\n", a.PeakRequestsPerS, a.PeakScenario, a.Saturation)
		}
		if g := a.BatchingGain; g != nil {
			fmt.Fprintf(w, "dynamic batching (T7): %.4g requests/s at concurrency %d vs %.4g against %s: gain ×%.2f\n",
				g.BatchedRPS, g.Concurrency, g.ReferenceRPS, g.Reference, g.Gain)
		}
		if sw := a.RateSweep; sw != nil {
			fmt.Fprintf(w, "rate sweep (%s):\n", sw.Criterion)
			for _, p := range sw.Probes {
				verdict := "fail"
				if p.Pass {
					verdict = "pass"
				}
				fmt.Fprintf(w, "  %s %.4g/s: %s, achieved %.4g/s: %s\n", p.Scenario, p.RatePerS, verdict, p.AchievedRPS, p.Reason)
			}
			fmt.Fprintf(w, "  highest rate sustained within the SLOs: %.4g requests/s\n", sw.BestRatePerS)
		}
	}
	if st := r.Stress; st != nil {
		fmt.Fprintf(w, "capacity: %.4g requests/s (%s); windows of %gs\n", st.CapacityRPS, st.CapacitySource, st.WindowS)
	}
	for _, s := range r.Scenarios {
		if len(s.Health) == 0 {
			continue
		}
		fmt.Fprintf(w, "%s health (%d windows):", s.Name, len(s.Windows))
		for _, h := range s.Health {
			fmt.Fprintf(w, " %s %s;", h.Check, h.Status)
		}
		fmt.Fprintln(w)
		for _, h := range s.Health {
			fmt.Fprintf(w, "  %s: %s\n", h.Check, h.Detail)
		}
	}
	for _, s := range r.Scenarios {
		for _, k := range s.Summary.ErrorKindsSorted() {
			fmt.Fprintf(w, "%s errors: %d × %s, e.g. %s\n", s.Name, s.Summary.ErrorKinds[k], k, s.Summary.ErrorSamples[k])
		}
	}
	for _, warn := range r.Warnings {
		fmt.Fprintf(w, "warning: %s\n", warn)
	}
	if r.Interrupted {
		fmt.Fprintln(w, "interrupted: the result holds what finished before the stop")
	}
	return nil
}

// loadLabel is a scenario's load in a few characters: c=4, c=1 b=8,
// 12.5/s.
func loadLabel(l *LoadSpec) string {
	if l == nil {
		return "-"
	}
	s := fmt.Sprintf("c=%d", l.Concurrency)
	if l.Mode == "open" {
		s = fmt.Sprintf("%.4g/s", l.RatePerS)
	}
	if l.Batch > 1 {
		s += fmt.Sprintf(" b=%d", l.Batch)
	}
	return s
}
