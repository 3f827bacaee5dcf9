package report

import (
	"encoding/csv"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strconv"
)

// csvColumns are the fixed columns of the CSV export; each scenario's
// extra fields follow, in name order.
var csvColumns = []struct {
	name string
	get  func(l *Loaded, s *Scenario) string
}{
	{"file", func(l *Loaded, _ *Scenario) string { return filepath.Base(l.Path) }},
	{"suite", func(l *Loaded, _ *Scenario) string { return l.Suite }},
	{"engine", func(l *Loaded, _ *Scenario) string { return l.Engine.Name }},
	{"model", func(l *Loaded, _ *Scenario) string { return l.Engine.Model }},
	{"weights", func(l *Loaded, _ *Scenario) string { return l.Engine.Weights }},
	{"scenario", func(_ *Loaded, s *Scenario) string { return s.Name }},
	{"input_tokens", func(_ *Loaded, s *Scenario) string { return strconv.Itoa(s.InputTokens) }},
	{"output_tokens", func(_ *Loaded, s *Scenario) string { return strconv.Itoa(s.OutputTokens) }},
	{"skipped", func(_ *Loaded, s *Scenario) string { return s.Skipped }},
	{"requests", func(_ *Loaded, s *Scenario) string { return strconv.Itoa(s.Summary.Requests) }},
	{"succeeded", func(_ *Loaded, s *Scenario) string { return strconv.Itoa(s.Summary.Succeeded) }},
	{"errors", func(_ *Loaded, s *Scenario) string { return strconv.Itoa(s.Summary.Errors) }},
	{"ttft_p50_ms", func(_ *Loaded, s *Scenario) string { return csvNum(s.Summary.TTFT.P50, s.Summary.TTFT.N) }},
	{"ttft_p95_ms", func(_ *Loaded, s *Scenario) string { return csvNum(s.Summary.TTFT.P95, s.Summary.TTFT.N) }},
	{"ttft_p99_ms", func(_ *Loaded, s *Scenario) string { return csvNum(s.Summary.TTFT.P99, s.Summary.TTFT.N) }},
	{"itl_p50_ms", func(_ *Loaded, s *Scenario) string { return csvNum(s.Summary.ITL.P50, s.Summary.ITL.N) }},
	{"itl_p99_ms", func(_ *Loaded, s *Scenario) string { return csvNum(s.Summary.ITL.P99, s.Summary.ITL.N) }},
	{"tpot_mean_ms", func(_ *Loaded, s *Scenario) string { return csvNum(s.Summary.TPOT.Mean, s.Summary.TPOT.N) }},
	{"e2e_p50_ms", func(_ *Loaded, s *Scenario) string { return csvNum(s.Summary.E2E.P50, s.Summary.E2E.N) }},
	{"e2e_p95_ms", func(_ *Loaded, s *Scenario) string { return csvNum(s.Summary.E2E.P95, s.Summary.E2E.N) }},
	{"e2e_p99_ms", func(_ *Loaded, s *Scenario) string { return csvNum(s.Summary.E2E.P99, s.Summary.E2E.N) }},
	{"output_tokens_per_s_mean", func(_ *Loaded, s *Scenario) string {
		return csvNum(s.Summary.OutputTPS.Mean, s.Summary.OutputTPS.N)
	}},
	{"requests_per_s", func(_ *Loaded, s *Scenario) string { return csvNum(s.Summary.RequestThroughput, s.Summary.Succeeded) }},
	{"output_tokens_per_s_total", func(_ *Loaded, s *Scenario) string { return csvNum(s.Summary.OutputThroughput, s.Summary.Succeeded) }},
	{"goodput_requests_per_s", func(_ *Loaded, s *Scenario) string { return csvNum(s.Summary.Goodput, s.Summary.Succeeded) }},
	{"send_lag_p99_ms", func(_ *Loaded, s *Scenario) string { return csvNum(s.Summary.SendLag.P99, s.Summary.SendLag.N) }},
	{"output_token_mismatches", func(_ *Loaded, s *Scenario) string { return strconv.Itoa(s.Summary.OutputMismatches) }},
}

// WriteCSV writes one row per scenario of every result: the fixed
// figures, then every extra field any scenario has. Numbers are plain
// (no units, full precision to 0.001), empty where there were no samples.
func WriteCSV(w io.Writer, results []*Loaded) error {
	var extra []string
	for _, l := range results {
		for _, ex := range l.Extras {
			for _, k := range ex.Keys() {
				if !slices.Contains(extra, k) {
					extra = append(extra, k)
				}
			}
		}
	}
	slices.Sort(extra)
	cw := csv.NewWriter(w)
	head := make([]string, 0, len(csvColumns)+len(extra))
	for _, c := range csvColumns {
		head = append(head, c.name)
	}
	cw.Write(append(head, extra...))
	for _, l := range results {
		for i := range l.Scenarios {
			s := &l.Scenarios[i]
			row := make([]string, 0, len(head)+len(extra))
			for _, c := range csvColumns {
				row = append(row, c.get(l, s))
			}
			for _, k := range extra {
				switch v := l.extra(i)[k].(type) {
				case float64:
					row = append(row, strconv.FormatFloat(v, 'f', -1, 64))
				case nil:
					row = append(row, "")
				default:
					row = append(row, fmt.Sprint(v))
				}
			}
			cw.Write(row)
		}
	}
	cw.Flush()
	return cw.Error()
}

func csvNum(v float64, n int) string {
	if n == 0 {
		return ""
	}
	return strconv.FormatFloat(v, 'f', 3, 64)
}
