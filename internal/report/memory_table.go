package report

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// WriteMemoryTable renders a memory result's scenarios as a terminal
// table, then the KV cache lengths, the leak verdict and the warnings.
func WriteMemoryTable(w io.Writer, r *Result) error {
	fmt.Fprintf(w, "%s · engine %s", r.Suite, r.Engine.Name)
	if r.Engine.URL != "" {
		fmt.Fprintf(w, " (%s)", r.Engine.URL)
	}
	fmt.Fprintf(w, " · model %s", r.Engine.Model)
	if r.Engine.Weights != "" {
		fmt.Fprintf(w, " · weights %s", r.Engine.Weights)
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "scenario\tquant\tn\tready\tRSS\tpeak RSS\tPSS\tbefore\tafter\tdelta\tGPU\t")
	fmt.Fprintln(tw, "\t\t\ts\tMiB\tMiB\tMiB\tMiB\tMiB\tMiB\tMiB\t")
	var notes []string
	for _, s := range r.Scenarios {
		m := s.Memory
		if s.Skipped != "" || m == nil {
			fmt.Fprintf(tw, "%s\t%s\t-\tnot available\t\t\t\t\t\t\t\t\n", s.Name, memQuant(m))
			notes = append(notes, fmt.Sprintf("%s: %s", s.Name, s.Skipped))
			continue
		}
		gpu := "no GPU"
		if m.GPU == "" {
			gpu = memMiB(max(m.GPUMemoryBytes, m.GPUPeakBytes))
		}
		delta := "-"
		if m.BeforeRSSBytes > 0 {
			delta = fmt.Sprintf("%+.1f", float64(m.DeltaRSSBytes)/(1<<20))
		}
		ready := "-"
		if m.ReadySeconds > 0 {
			ready = fmt.Sprintf("%.2f", m.ReadySeconds)
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n", s.Name, memQuant(m), m.Iterations, ready,
			memMiB(m.RSSBytes), memMiB(m.PeakRSSBytes), memMiB(m.PSSBytes), memMiB(m.BeforeRSSBytes), memMiB(m.AfterRSSBytes), delta, gpu)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, s := range r.Scenarios {
		if s.Memory == nil {
			continue
		}
		if kv := s.Memory.KV; kv != nil {
			kind := "measured"
			if kv.Estimated {
				kind = "estimated"
			}
			fmt.Fprintf(w, "%s KV cache: %.0f bytes/token (%s: %s)\n", s.Name, kv.BytesPerToken, kind, kv.Basis)
			var parts []string
			for _, l := range kv.Lengths {
				p := fmt.Sprintf("%d tokens %s MiB", l.Tokens, memMiB(l.Bytes))
				if l.Measured {
					p += " (measured)"
				}
				parts = append(parts, p)
			}
			if len(parts) > 0 {
				fmt.Fprintf(w, "  %s\n", strings.Join(parts, " · "))
			}
		}
		if d := s.Memory.Drift; d != nil {
			steady := "steady"
			if !d.WarmupSteady {
				steady = "not steady"
			}
			fmt.Fprintf(w, "%s leak: %s slope %+.2f MB/hour, %.0f%% CI [%+.2f, %+.2f] over %d iterations (%.0fs, after %d warm-up, %s), R² %.2f: %s (%s)\n",
				s.Name, d.Quantity, d.SlopeMBPerHour, 100*d.Level, d.CILowMBPerHour, d.CIHighMBPerHour,
				s.Memory.Iterations, d.DurationSeconds, d.Warmup, steady, d.R2, strings.ToUpper(d.Verdict), d.Reason)
		}
		if s.Memory.GPU != "" && s.Skipped == "" {
			notes = memAppendOnce(notes, s.Memory.GPU)
		}
	}
	for _, n := range notes {
		fmt.Fprintln(w, n)
	}
	for _, warn := range r.Warnings {
		fmt.Fprintf(w, "warning: %s\n", warn)
	}
	if r.Interrupted {
		fmt.Fprintln(w, "interrupted: the result holds what finished before the stop")
	}
	return nil
}

func memQuant(m *MemoryFigures) string {
	if m == nil || m.Quantization == "" {
		return "-"
	}
	return m.Quantization
}

func memMiB(b int64) string {
	if b == 0 {
		return "-"
	}
	return fmt.Sprintf("%.1f", float64(b)/(1<<20))
}

func memAppendOnce(s []string, v string) []string {
	for _, x := range s {
		if x == v {
			return s
		}
	}
	return append(s, v)
}
