package cli

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/muaibench/muaibench/internal/config"
	"github.com/muaibench/muaibench/internal/report"
	"github.com/spf13/cobra"
)

// exitCriteria is the exit code when --fail-on finds a criterion at or
// below the level asked.
const exitCriteria = 3

type reportFlags struct {
	configPath string
	inputs     []string
	output     string
	format     string
	chartsDir  string
	noCharts   bool
	title      string
	failOn     string
}

func newReportCmd() *cobra.Command {
	var rf reportFlags
	cmd := &cobra.Command{
		Use:   "report",
		Short: "Build the benchmark report (HTML, CSV, Markdown, JSON) from result files",
		Long: `report reads result files (the JSON that every suite writes) and renders one
report: an executive summary derived from the data (key findings,
highlights, recommendations), the success criteria of the config judged
PASS / ACCEPTABLE / FAIL / NOT MEASURED, latency, memory, throughput and
other suites' tables and charts, comparisons across engines and models,
reproducibility across repetitions, system information, configuration,
known limitations and the metric definitions.

The HTML is one self-contained file: styles inline, charts as inline SVG,
no script, nothing fetched. With html or md the charts are also written as
PNG and SVG files (latency_comparison, memory_usage, throughput_scaling) in
--charts-dir.

--fail-on fail exits 3 when a measured criterion fails; --fail-on acceptable
also when one is only acceptable, so that CI can gate on the report.`,
		Example: `  muaibench report --input 'data/benchmarks/*.json' --output reports/benchmark_report_20260101.html
  muaibench report --input 'data/benchmarks/latency_*.json' --format md --output reports/latency.md
  muaibench report --format csv --output - > results.csv
  muaibench report --fail-on fail`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runReport(cmd, &rf) },
	}
	fs := cmd.Flags()
	fs.StringVar(&rf.configPath, "config", defaultConfigPath(), "configuration file (its success_criteria are judged)")
	fs.StringSliceVar(&rf.inputs, "input", nil, "result files or glob patterns, comma-separated or repeated (default: report.output_dir/*.json)")
	fs.StringVarP(&rf.output, "output", "o", "", "output file, - for stdout (default: report.report_dir/benchmark_report_YYYYMMDD.<format>)")
	fs.StringVar(&rf.format, "format", "", "html, csv, md or json (default: from --output's extension, else html)")
	fs.StringVar(&rf.chartsDir, "charts-dir", "", "where chart files go (default: charts/ beside the output)")
	fs.BoolVar(&rf.noCharts, "no-charts", false, "do not write chart files")
	fs.StringVar(&rf.title, "title", "", "the report's title")
	fs.StringVar(&rf.failOn, "fail-on", "", "exit 3 when a criterion is at or below this verdict: fail or acceptable")
	return cmd
}

func runReport(cmd *cobra.Command, rf *reportFlags) error {
	f, err := loadConfig(rf.configPath)
	if err != nil {
		return err
	}
	if err := checkFailOn(rf.failOn); err != nil {
		return err
	}
	inputs := rf.inputs
	if len(inputs) == 0 {
		inputs = []string{filepath.Join(f.Config.Benchmark.Report.OutputDir, "*.json")}
	}
	results, notes, err := report.LoadResults(inputs)
	if err != nil {
		return usageErr(err)
	}
	for _, n := range notes {
		fmt.Fprintf(cmd.ErrOrStderr(), "note: %s\n", n)
	}
	format, output, err := reportTarget(rf.format, rf.output, f.Config.Benchmark.Report.ReportDir, time.Now())
	if err != nil {
		return usageErr(err)
	}
	doc := report.Build(results, report.BuildOptions{Title: rf.title, Criteria: &f.Config.Benchmark.SuccessCriteria})
	charts := ""
	if !rf.noCharts && output != "-" && (format == "html" || format == "md") {
		charts = rf.chartsDir
		if charts == "" {
			charts = filepath.Join(filepath.Dir(output), "charts")
		}
	}
	written, err := writeReport(cmd.OutOrStdout(), doc, results, format, output, charts, true)
	if err != nil {
		return err
	}
	if output != "-" {
		for _, p := range written {
			fmt.Fprintf(cmd.OutOrStdout(), "wrote %s\n", p)
		}
		writeVerdicts(cmd.OutOrStdout(), doc.Criteria)
	}
	return failOn(rf.failOn, doc.Criteria)
}

// reportTarget resolves the format and the output path.
func reportTarget(format, output, reportDir string, now time.Time) (string, string, error) {
	if format == "" {
		switch ext := strings.TrimPrefix(filepath.Ext(output), "."); ext {
		case "html", "htm":
			format = "html"
		case "csv", "json":
			format = ext
		case "md", "markdown":
			format = "md"
		default:
			format = "html"
		}
	}
	if !contains(config.Formats, format) {
		return "", "", fmt.Errorf("--format: must be one of %v, got %q", config.Formats, format)
	}
	if output == "" {
		output = filepath.Join(reportDir, "benchmark_report_"+now.Format("20060102")+"."+format)
	}
	return format, output, nil
}

// writeReport renders doc in format to output ("-" is w); Markdown links
// the charts in chartsDir, and with draw the chart files are written
// there. It returns the paths written.
func writeReport(w io.Writer, doc *report.Document, results []*report.Loaded, format, output, chartsDir string, draw bool) ([]string, error) {
	var paths []string
	if chartsDir != "" && draw {
		p, err := report.WriteChartFiles(chartsDir, doc)
		if err != nil {
			return nil, err
		}
		paths = append(paths, p...)
	}
	var buf bytes.Buffer
	var err error
	switch format {
	case "html":
		err = report.WriteHTML(&buf, doc)
	case "md":
		rel := ""
		if chartsDir != "" {
			if r, e := filepath.Rel(filepath.Dir(output), chartsDir); e == nil {
				rel = filepath.ToSlash(r)
			}
		}
		err = report.WriteMarkdown(&buf, doc, rel)
	case "csv":
		err = report.WriteCSV(&buf, results)
	case "json":
		err = report.WriteJSON(&buf, doc)
	}
	if err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	if output == "-" {
		_, err := w.Write(buf.Bytes())
		return paths, err
	}
	if err := os.MkdirAll(filepath.Dir(output), 0o755); err != nil {
		return nil, usageErr(fmt.Errorf("report: %w", err))
	}
	if err := os.WriteFile(output, buf.Bytes(), 0o644); err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	return append([]string{output}, paths...), nil
}

// writeVerdicts prints the success criteria, one line each.
func writeVerdicts(w io.Writer, vs []report.Verdict) {
	for _, v := range vs {
		measured := v.Measured
		switch {
		case measured == "":
			measured = v.Basis
		case v.Status == report.NotMeasured && v.Basis != "":
			// A value without a verdict says why (a quick run's leak
			// slope, say), lest it read as one.
			measured += "; " + v.Basis
		}
		fmt.Fprintf(w, "%-12s %s, %s: %s (target %s)\n", v.Status, v.Criterion, v.Subject, measured, v.Target)
	}
}

func checkFailOn(level string) error {
	if level != "" && level != "fail" && level != "acceptable" {
		return usageErr(fmt.Errorf("--fail-on: must be fail or acceptable, got %q", level))
	}
	return nil
}

// failOn returns the exit error --fail-on asks for, or nil.
func failOn(level string, vs []report.Verdict) error {
	worst := report.Worst(vs)
	if level == "fail" && worst == report.Fail || level == "acceptable" && (worst == report.Fail || worst == report.Acceptable) {
		return &exitError{code: exitCriteria, err: fmt.Errorf("success criteria: worst verdict %s (--fail-on %s)", worst, level)}
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
