package report

import (
	"fmt"
	"strings"
)

// column is one figure of a scenario table.
type column struct {
	head string
	cell func(s *Scenario) string
}

func stat(get func(s *Scenario) (float64, int)) func(s *Scenario) string {
	return func(s *Scenario) string {
		v, n := get(s)
		return num(v, n)
	}
}

var (
	colRuns = column{"ok/runs", func(s *Scenario) string {
		return fmt.Sprintf("%d/%d", s.Summary.Succeeded, s.Summary.Requests)
	}}
	colErrors  = column{"errors", func(s *Scenario) string { return fmt.Sprint(s.Summary.Errors) }}
	colTTFT50  = column{"TTFT p50 ms", stat(func(s *Scenario) (float64, int) { return s.Summary.TTFT.P50, s.Summary.TTFT.N })}
	colTTFT95  = column{"TTFT p95 ms", stat(func(s *Scenario) (float64, int) { return s.Summary.TTFT.P95, s.Summary.TTFT.N })}
	colTTFT99  = column{"TTFT p99 ms", stat(func(s *Scenario) (float64, int) { return s.Summary.TTFT.P99, s.Summary.TTFT.N })}
	colITL50   = column{"ITL p50 ms", stat(func(s *Scenario) (float64, int) { return s.Summary.ITL.P50, s.Summary.ITL.N })}
	colITL99   = column{"ITL p99 ms", stat(func(s *Scenario) (float64, int) { return s.Summary.ITL.P99, s.Summary.ITL.N })}
	colTPOT    = column{"TPOT mean ms", stat(func(s *Scenario) (float64, int) { return s.Summary.TPOT.Mean, s.Summary.TPOT.N })}
	colE2E50   = column{"E2E p50 ms", stat(func(s *Scenario) (float64, int) { return s.Summary.E2E.P50, s.Summary.E2E.N })}
	colE2E95   = column{"E2E p95 ms", stat(func(s *Scenario) (float64, int) { return s.Summary.E2E.P95, s.Summary.E2E.N })}
	colE2E99   = column{"E2E p99 ms", stat(func(s *Scenario) (float64, int) { return s.Summary.E2E.P99, s.Summary.E2E.N })}
	colTPS     = column{"tok/s per request", stat(func(s *Scenario) (float64, int) { return s.Summary.OutputTPS.Mean, s.Summary.OutputTPS.N })}
	colRPS     = column{"req/s", stat(func(s *Scenario) (float64, int) { return s.Summary.RequestThroughput, s.Summary.Succeeded })}
	colOutTPS  = column{"output tok/s", stat(func(s *Scenario) (float64, int) { return s.Summary.OutputThroughput, s.Summary.Succeeded })}
	colTotTPS  = column{"total tok/s", stat(func(s *Scenario) (float64, int) { return s.Summary.TotalThroughput, s.Summary.Succeeded })}
	colGoodput = column{"goodput req/s", stat(func(s *Scenario) (float64, int) { return s.Summary.Goodput, s.Summary.Succeeded })}
	colLag99   = column{"send lag p99 ms", stat(func(s *Scenario) (float64, int) { return s.Summary.SendLag.P99, s.Summary.SendLag.N })}
)

// The load generator's and the memory suite's typed figures.
var (
	colLoad = column{"load", func(s *Scenario) string { return loadText(s.Load) }}
	colSeqs = column{"sequences/s", func(s *Scenario) string {
		if s.Figures == nil || s.Summary.Succeeded == 0 {
			return "-"
		}
		return num(s.Figures.SequencesPerS, 1)
	}}
	colErrRate = column{"error rate", func(s *Scenario) string {
		if s.Figures == nil {
			return "-"
		}
		return fmt.Sprintf("%.1f%%", 100*s.Figures.ErrorRate)
	}}
	colScaling = column{"scaling eff.", func(s *Scenario) string {
		if s.Figures == nil || s.Figures.ScalingEfficiency == 0 {
			return "-"
		}
		return fmt.Sprintf("%.2f", s.Figures.ScalingEfficiency)
	}}
	colClient = column{"client", func(s *Scenario) string {
		g := s.Generator
		switch {
		case g == nil:
			return "-"
		case g.Stalled:
			return "engine stalled"
		case g.Bottleneck:
			return fmt.Sprintf("BOUND (%.0f%% CPU)", g.CPUPercent)
		}
		return fmt.Sprintf("ok (%.0f%% CPU)", g.CPUPercent)
	}}
	colHealth = column{"health", func(s *Scenario) string {
		var bad []string
		for _, h := range s.Health {
			if h.Status == "fail" {
				bad = append(bad, h.Check)
			}
		}
		switch {
		case len(s.Health) == 0:
			return "-"
		case len(bad) == 0:
			return "pass"
		}
		return "FAIL: " + strings.Join(bad, ", ")
	}}
	colQuant  = column{"quantization", func(s *Scenario) string { return memText(s, func(m *MemoryFigures) string { return m.Quantization }) }}
	colMemRSS = column{"RSS", func(s *Scenario) string { return memBytes(s, func(m *MemoryFigures) int64 { return m.RSSBytes }) }}
	colMemHWM = column{"peak RSS", func(s *Scenario) string { return memBytes(s, func(m *MemoryFigures) int64 { return m.PeakRSSBytes }) }}
	colMemPSS = column{"PSS", func(s *Scenario) string { return memBytes(s, func(m *MemoryFigures) int64 { return m.PSSBytes }) }}
	colMemGPU = column{"GPU", func(s *Scenario) string {
		return memText(s, func(m *MemoryFigures) string {
			if m.GPU != "" {
				return "-"
			}
			return bytesText(float64(max(m.GPUMemoryBytes, m.GPUPeakBytes)))
		})
	}}
	colMemDelta = column{"growth", func(s *Scenario) string {
		return memText(s, func(m *MemoryFigures) string {
			if m.BeforeRSSBytes == 0 {
				return "-"
			}
			return fmt.Sprintf("%+.1f MiB", float64(m.DeltaRSSBytes)/(1<<20))
		})
	}}
	colReady = column{"ready s", func(s *Scenario) string {
		return memText(s, func(m *MemoryFigures) string {
			if m.ReadySeconds == 0 {
				return "-"
			}
			return fmt.Sprintf("%.2f", m.ReadySeconds)
		})
	}}
	colMemMore = column{"KV cache / drift", func(s *Scenario) string {
		return memText(s, func(m *MemoryFigures) string {
			var parts []string
			if m.KV != nil {
				parts = append(parts, fmt.Sprintf("KV %.0f bytes/token", m.KV.BytesPerToken))
			}
			if d := m.Drift; d != nil {
				parts = append(parts, fmt.Sprintf("drift %+.1f MB/h [%+.1f, %+.1f]: %s", d.SlopeMBPerHour, d.CILowMBPerHour, d.CIHighMBPerHour, d.Verdict))
			}
			return strings.Join(parts, "; ")
		})
	}}
)

// suiteColumns are the figures shown for a suite; unknown suites get the
// general set.
func suiteColumns(suite string) []column {
	switch suite {
	case "latency":
		return []column{colRuns, colTTFT50, colTTFT95, colTTFT99, colITL50, colITL99, colTPOT, colE2E50, colE2E99, colTPS}
	case "throughput":
		return []column{colLoad, colRuns, colErrRate, colRPS, colSeqs, colOutTPS, colGoodput, colTTFT50, colTTFT95, colE2E50, colE2E95, colScaling, colClient}
	case "stress":
		return []column{colLoad, colRuns, colErrRate, colRPS, colOutTPS, colTTFT95, colE2E50, colE2E95, colClient, colHealth}
	case "memory":
		return []column{colQuant, colReady, colMemRSS, colMemHWM, colMemPSS, colMemGPU, colMemDelta, colMemMore}
	}
	return []column{colLoad, colRuns, colErrors, colTTFT50, colE2E50, colTPS, colRPS, colOutTPS}
}

// loadText describes how a scenario's load was generated.
func loadText(l *LoadSpec) string {
	if l == nil {
		return "-"
	}
	var parts []string
	if l.Mode == "open" {
		parts = append(parts, fmt.Sprintf("%s/s", num(l.RatePerS, 1)))
		if l.Profile != "" {
			parts = append(parts, l.Profile)
		}
	} else {
		parts = append(parts, fmt.Sprintf("c=%d", l.Concurrency))
	}
	if l.Batch > 1 {
		parts = append(parts, fmt.Sprintf("batch %d", l.Batch))
	}
	if l.Engine != "" {
		parts = append(parts, l.Engine)
	}
	return strings.Join(parts, " ")
}

func memText(s *Scenario, f func(m *MemoryFigures) string) string {
	if s.Memory == nil {
		return "-"
	}
	if v := f(s.Memory); v != "" {
		return v
	}
	return "-"
}

func memBytes(s *Scenario, f func(m *MemoryFigures) int64) string {
	return memText(s, func(m *MemoryFigures) string {
		if v := f(m); v > 0 {
			return bytesText(float64(v))
		}
		return ""
	})
}
