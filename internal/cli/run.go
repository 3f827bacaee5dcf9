package cli

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/muaibench/muaibench/internal/infer/kernels"
	"github.com/muaibench/muaibench/internal/report"
	"github.com/muaibench/muaibench/internal/sysinfo"
	"github.com/spf13/cobra"
)

type runFlags struct {
	configPath string
	target     targetFlags
	quick      bool
	repeat     int
	phases     string
	outputDir  string
	reportDir  string
	failOn     string
}

func newRunCmd() *cobra.Command {
	var rf runFlags
	cmd := &cobra.Command{
		Use:   "run",
		Short: "Run the whole plan: environment check, every enabled suite, then the reports",
		Long: `run is the one command for the whole plan: the environment check (CPU,
memory, GPU and driver, memory bandwidth, the engine reachable), then every
phase that benchmark.run.phases enables (latency, memory, throughput,
stress), then the reports: HTML with its charts (PNG and SVG), Markdown, CSV
and JSON in report.report_dir, judged against benchmark.success_criteria.

--quick runs a few requests per scenario: a first look at an engine in a few
minutes (on the embedded engine, under five minutes on two cores).
--repeat N runs each suite N times and reports the coefficient of variation
of its key metrics, flagging any above 10%.`,
		Example: `  muaibench run --quick
  muaibench run --config config/benchmark.yaml --repeat 3
  muaibench run --engine http://127.0.0.1:8000 --model gpt2 --quick --fail-on fail`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runRun(cmd, &rf) },
	}
	fs := cmd.Flags()
	fs.StringVar(&rf.configPath, "config", defaultConfigPath(), "configuration file")
	rf.target.register(cmd)
	fs.BoolVar(&rf.quick, "quick", false, "a few requests per scenario: the whole plan in minutes")
	fs.IntVar(&rf.repeat, "repeat", 1, "run each suite this many times and report the variation")
	fs.StringVar(&rf.phases, "phases", "", "comma-separated phases to run (overrides benchmark.run.phases)")
	fs.StringVar(&rf.outputDir, "output-dir", "", "where results go (overrides report.output_dir)")
	fs.StringVar(&rf.reportDir, "report-dir", "", "where reports go (overrides report.report_dir)")
	fs.StringVar(&rf.failOn, "fail-on", "", "exit 3 when a criterion is at or below this verdict: fail or acceptable")
	return cmd
}

// phaseOutcome is what one phase left: result files, or why it did not run.
type phaseOutcome struct {
	name    string
	results []string
	notRun  string
}

func runRun(cmd *cobra.Command, rf *runFlags) error {
	ctx := cmd.Context()
	out, stderr := cmd.OutOrStdout(), cmd.ErrOrStderr()
	began := time.Now()
	f, err := loadConfig(rf.configPath)
	if err != nil {
		return err
	}
	b := &f.Config.Benchmark
	if rf.outputDir != "" {
		b.Report.OutputDir = rf.outputDir
	}
	if rf.reportDir != "" {
		b.Report.ReportDir = rf.reportDir
	}
	if rf.phases != "" {
		b.Run.Phases = strings.Split(rf.phases, ",")
		for i := range b.Run.Phases {
			b.Run.Phases[i] = strings.TrimSpace(b.Run.Phases[i])
		}
	}
	if err := f.Validate(); err != nil {
		return usageErr(err)
	}
	if rf.repeat < 1 {
		return usageErr(fmt.Errorf("--repeat: must be >= 1, got %d", rf.repeat))
	}
	if err := checkFailOn(rf.failOn); err != nil {
		return err
	}
	if err := f.CheckOutputDir(); err != nil {
		return usageErr(err)
	}

	fmt.Fprintln(out, "== environment")
	env := envReport{System: sysinfo.Collect(), Kernels: kernels.Impl()}
	bw := 1 << 30
	if rf.quick {
		bw = 256 << 20
	}
	env.BandwidthBS = kernels.ReadBandwidth(bw, time.Second)
	t, err := openTarget(ctx, f, &rf.target, stderr)
	if err != nil {
		return err
	}
	env.Engine = t.info.URL
	env.EngineOK = fmt.Sprintf("ok: serves %s (%s, dialect %s, context %d)", t.info.Model, t.info.Name, t.info.Dialect, t.contextLen)
	writeEnv(out, &env)

	run := &report.RunInfo{ID: time.Now().Format("20060102_150405"), Repeats: rf.repeat, Quick: rf.quick}
	var outcomes []phaseOutcome
	closeTarget := sync.OnceFunc(t.Close)
	defer closeTarget()
	for i, name := range b.Run.Phases {
		fmt.Fprintf(out, "== %s\n", name)
		if name != "latency" && !slices.Contains(b.Run.Phases[i:], "latency") {
			// The other suites launch their own engines: free the cores
			// and memory the run's engine holds.
			closeTarget()
		}
		o := phaseOutcome{name: name}
		runner := phase(name)
		if runner == nil {
			o.notRun = fmt.Sprintf("the %s suite is not part of this build of muaibench yet", name)
			fmt.Fprintf(out, "not run: %s\n", o.notRun)
			outcomes = append(outcomes, o)
			continue
		}
		phaseStart := time.Now()
		for rep := 1; rep <= rf.repeat && ctx.Err() == nil; rep++ {
			r := *run
			r.Repetition = rep
			var prior []string
			for _, o := range outcomes {
				prior = append(prior, o.results...)
			}
			paths, err := runner(ctx, phaseEnv{f: f, tf: &rf.target, t: t, run: &r, quick: rf.quick, prior: prior, out: out, stderr: stderr})
			if err != nil && ctx.Err() == nil {
				// One phase failing leaves the others and the report.
				o.notRun = fmt.Sprintf("failed: %s", strings.ReplaceAll(err.Error(), "\n", " "))
				fmt.Fprintf(out, "%s %s\n", name, o.notRun)
				break
			}
			o.results = append(o.results, paths...)
		}
		fmt.Fprintf(out, "%s: %s\n", name, time.Since(phaseStart).Round(time.Second))
		outcomes = append(outcomes, o)
		if ctx.Err() != nil {
			break
		}
	}
	closeTarget()

	fmt.Fprintln(out, "== reports")
	var inputs, notes []string
	for _, o := range outcomes {
		inputs = append(inputs, o.results...)
		if o.notRun != "" {
			notes = append(notes, fmt.Sprintf("phase %s not run: %s", o.name, o.notRun))
		}
	}
	if len(inputs) == 0 {
		return fmt.Errorf("run: no phase produced a result")
	}
	results, loadNotes, err := report.LoadResults(inputs)
	if err != nil {
		return err
	}
	doc := report.Build(results, report.BuildOptions{
		Title:    "muaibench run " + run.ID,
		Criteria: &b.SuccessCriteria,
		Notes:    append(notes, loadNotes...),
	})
	base := filepath.Join(b.Report.ReportDir, "benchmark_report_"+run.ID)
	charts := filepath.Join(b.Report.ReportDir, "charts")
	for _, format := range []string{"html", "md", "csv", "json"} {
		// The HTML's call draws the charts; the Markdown links them.
		written, err := writeReport(out, doc, results, format, base+"."+format, charts, format == "html")
		if err != nil {
			return err
		}
		for _, p := range written {
			fmt.Fprintf(out, "wrote %s\n", p)
		}
	}
	writeVerdicts(out, doc.Criteria)
	if doc.Variation != nil {
		flagged := 0
		for _, s := range doc.Variation.Status {
			if s == "flag" {
				flagged++
			}
		}
		fmt.Fprintf(out, "reproducibility: %d of %d metrics vary by more than %.0f%% across %d repetitions\n",
			flagged, len(doc.Variation.Rows), report.CVLimit, rf.repeat)
	}
	fmt.Fprintf(out, "done in %s\n", time.Since(began).Round(time.Second))
	if ctx.Err() != nil {
		return &exitError{code: exitInterrupted, err: fmt.Errorf("interrupted; the results hold what finished")}
	}
	return failOn(rf.failOn, doc.Criteria)
}
