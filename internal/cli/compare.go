package cli

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/muaibench/muaibench/internal/report"
	"github.com/spf13/cobra"
)

type compareFlags struct {
	baseline, candidate string
	output, format      string
	resamples           int
	confidence          float64
	seed                uint64
	failOnRegression    bool
}

func newCompareCmd() *cobra.Command {
	var cf compareFlags
	cmd := &cobra.Command{
		Use:   "compare",
		Short: "Compare two results: per-metric change with bootstrap confidence intervals",
		Long: `compare sets a candidate result against a baseline, scenario by scenario:
for TTFT (median), TPOT (mean), E2E (median) and output tokens/s per request
(mean) the relative change with a bootstrap confidence interval over the
per-request records (the .jsonl file each result names), whether it is
significant (the interval excludes zero), and regressions marked.
Request throughput, one figure per run, gets the change alone. The
bootstrap is seeded: the same files give the same intervals.`,
		Example: `  muaibench compare --baseline data/benchmarks/latency_results_embedded_A.json --compare data/benchmarks/latency_results_vllm_B.json --output reports/engine_comparison.html
  muaibench compare --baseline a.json --compare b.json --format md --output - --fail-on-regression`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runCompare(cmd, &cf) },
	}
	fs := cmd.Flags()
	fs.StringVar(&cf.baseline, "baseline", "", "the baseline result file (required)")
	fs.StringVar(&cf.candidate, "compare", "", "the result file compared with the baseline (required)")
	fs.StringVarP(&cf.output, "output", "o", "reports/engine_comparison.html", "output file, - for stdout")
	fs.StringVar(&cf.format, "format", "", "html, md or json (default: from --output's extension, else html)")
	fs.IntVar(&cf.resamples, "resamples", 2000, "bootstrap resamples")
	fs.Float64Var(&cf.confidence, "confidence", 0.95, "confidence level of the intervals")
	fs.Uint64Var(&cf.seed, "seed", 1, "seed of the bootstrap")
	fs.BoolVar(&cf.failOnRegression, "fail-on-regression", false, "exit 3 when a regression is found")
	cmd.MarkFlagRequired("baseline")
	cmd.MarkFlagRequired("compare")
	return cmd
}

func runCompare(cmd *cobra.Command, cf *compareFlags) error {
	if cf.confidence <= 0 || cf.confidence >= 1 {
		return usageErr(fmt.Errorf("--confidence: must be between 0 and 1, got %g", cf.confidence))
	}
	if cf.resamples < 100 {
		return usageErr(fmt.Errorf("--resamples: must be >= 100, got %d", cf.resamples))
	}
	format := cf.format
	if format == "" {
		switch strings.TrimPrefix(filepath.Ext(cf.output), ".") {
		case "md", "markdown":
			format = "md"
		case "json":
			format = "json"
		default:
			format = "html"
		}
	}
	if format != "html" && format != "md" && format != "json" {
		return usageErr(fmt.Errorf("--format: must be html, md or json, got %q", format))
	}
	a, err := report.LoadResult(cf.baseline)
	if err != nil {
		return usageErr(fmt.Errorf("--baseline: %w", err))
	}
	b, err := report.LoadResult(cf.candidate)
	if err != nil {
		return usageErr(fmt.Errorf("--compare: %w", err))
	}
	c, err := report.Compare(a, b, report.CompareOptions{Resamples: cf.resamples, Confidence: cf.confidence, Seed: cf.seed})
	if err != nil {
		return usageErr(err)
	}
	var buf bytes.Buffer
	switch format {
	case "html":
		err = report.WriteCompareHTML(&buf, c)
	case "md":
		err = report.WriteCompareMarkdown(&buf, c)
	case "json":
		err = report.WriteCompareJSON(&buf, c)
	}
	if err != nil {
		return fmt.Errorf("compare: %w", err)
	}
	out := cmd.OutOrStdout()
	if cf.output == "-" {
		out.Write(buf.Bytes())
	} else {
		if err := os.MkdirAll(filepath.Dir(cf.output), 0o755); err != nil {
			return usageErr(fmt.Errorf("compare: %w", err))
		}
		if err := os.WriteFile(cf.output, buf.Bytes(), 0o644); err != nil {
			return fmt.Errorf("compare: %w", err)
		}
		for _, ch := range c.Changes {
			if ch.Verdict == "regression" || ch.Verdict == "improvement" {
				fmt.Fprintf(out, "%-11s %s %s: %+.1f%% [%+.1f%%, %+.1f%%]\n", ch.Verdict, ch.Scenario, ch.Metric, ch.Percent, ch.Low, ch.High)
			}
		}
		fmt.Fprintf(out, "%d changes compared, %d regressions\nwrote %s\n", len(c.Changes), c.Regressions(), cf.output)
	}
	if cf.failOnRegression && c.Regressions() > 0 {
		return &exitError{code: exitCriteria, err: fmt.Errorf("compare: %d regressions", c.Regressions())}
	}
	return nil
}
