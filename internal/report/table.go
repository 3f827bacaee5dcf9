package report

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// WriteTable renders the latency scenarios of r as a terminal table,
// followed by the warnings.
func WriteTable(w io.Writer, r *Result) error {
	fmt.Fprintf(w, "%s · engine %s (%s) · model %s", r.Suite, r.Engine.Name, r.Engine.URL, r.Engine.Model)
	if r.Engine.Weights != "" {
		fmt.Fprintf(w, " · weights %s", r.Engine.Weights)
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "scenario\tin→out\truns\tok\terr\tTTFT p50\tp95\tp99\tITL p50\tp99\tTPOT mean\tE2E p50\tp99\ttok/s mean\t")
	fmt.Fprintln(tw, "\t\t\t\t\tms\tms\tms\tms\tms\tms\tms\tms\t\t")
	for _, s := range r.Scenarios {
		io := fmt.Sprintf("%d→%d", s.InputTokens, s.OutputTokens)
		if s.Skipped != "" {
			fmt.Fprintf(tw, "%s\t%s\t-\t-\t-\tskipped\t\t\t\t\t\t\t\t\t\n", s.Name, io)
			continue
		}
		m := s.Summary
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n",
			s.Name, io, m.Requests, m.Succeeded, m.Errors,
			num(m.TTFT.P50, m.TTFT.N), num(m.TTFT.P95, m.TTFT.N), num(m.TTFT.P99, m.TTFT.N),
			num(m.ITL.P50, m.ITL.N), num(m.ITL.P99, m.ITL.N),
			num(m.TPOT.Mean, m.TPOT.N),
			num(m.E2E.P50, m.E2E.N), num(m.E2E.P99, m.E2E.N),
			num(m.OutputTPS.Mean, m.OutputTPS.N))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, s := range r.Scenarios {
		if s.Skipped != "" {
			fmt.Fprintf(w, "%s skipped: %s\n", s.Name, s.Skipped)
		}
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

// num formats a figure for the table; "-" when there were no samples.
func num(v float64, n int) string {
	if n == 0 {
		return "-"
	}
	switch {
	case v >= 100:
		return fmt.Sprintf("%.0f", v)
	case v >= 10:
		return fmt.Sprintf("%.1f", v)
	default:
		return strings.TrimRight(strings.TrimRight(fmt.Sprintf("%.2f", v), "0"), ".")
	}
}
