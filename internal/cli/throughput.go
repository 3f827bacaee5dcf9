package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/muaibench/muaibench/internal/config"
	"github.com/muaibench/muaibench/internal/engine"
	"github.com/muaibench/muaibench/internal/load"
	"github.com/muaibench/muaibench/internal/report"
	"github.com/muaibench/muaibench/internal/suite"
	"github.com/muaibench/muaibench/internal/workload"
	"github.com/spf13/cobra"
	"golang.org/x/sys/unix"
)

type throughputFlags struct {
	configPath     string
	target         targetFlags
	allConcurrency bool
	allBatch       bool
	dynamic        bool
	sweep          bool
	all            bool
	concurrency    string
	batchSizes     string
	duration       time.Duration
	warmup         time.Duration
	inputLength    int
	outputLength   int
	probes         int
	outputDir      string
}

func newThroughputCmd() *cobra.Command {
	var tf throughputFlags
	cmd := &cobra.Command{
		Use:   "throughput",
		Short: "Measure throughput under load: concurrency, batch size, dynamic batching, rate sweep (T1–T7)",
		Long: `throughput drives the engine with many requests at once and reports requests/s,
output and total tokens/s, goodput under the configured SLOs (benchmark.slo),
mean/P95/P99 latency and TTFT, and error rate per scenario:

  --all-concurrency   T1–T5: closed loop with 1, 2, 4, 8, 16 concurrent requests
                      (throughput.concurrent_requests); names the saturation point
                      and the scaling efficiency
  --all-batch-sizes   T6: one request of B prompts at a time, B = 1, 2, 4, 8
  --dynamic-batching  T7: concurrency 4 against the engine's own batching; for the
                      embedded engine also against a second one with --no-batching,
                      elsewhere against one request at a time; reports the gain
  --rate-sweep        open-loop Poisson arrivals: searches for the highest request
                      rate served within the SLOs, reporting every probe

With none of them, T1–T7 run. Each scenario runs for --duration (60 s) after
a warm-up (5 s) that is left out of the figures. Open-loop latency counts
from each request's scheduled send time and the dispatch lag is reported, so
a client or engine that falls behind cannot hide it; the client's own CPU
is in every result, with a warning when it may have been the bottleneck.

The result goes to data/benchmarks/throughput_results_<engine>_<timestamp>.json,
every request's record to the .jsonl beside it as it completes. Ctrl-C stops
cleanly, keeps what finished and exits 130.`,
		Example: `  muaibench throughput --all-concurrency
  muaibench throughput --all-batch-sizes --duration 30s
  muaibench throughput --dynamic-batching
  muaibench throughput --engine http://127.0.0.1:8000 --model Qwen/Qwen2.5-0.5B --rate-sweep`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runThroughput(cmd, &tf) },
	}
	fs := cmd.Flags()
	fs.StringVar(&tf.configPath, "config", defaultConfigPath(), "configuration file")
	tf.target.register(cmd)
	fs.BoolVar(&tf.allConcurrency, "all-concurrency", false, "T1–T5: every concurrency of throughput.concurrent_requests")
	fs.BoolVar(&tf.allBatch, "all-batch-sizes", false, "T6: every batch size of throughput.batch_sizes")
	fs.BoolVar(&tf.dynamic, "dynamic-batching", false, "T7: concurrency 4 with and without the engine's batching")
	fs.BoolVar(&tf.sweep, "rate-sweep", false, "search for the highest request rate served within the SLOs")
	fs.BoolVar(&tf.all, "all", false, "T1–T7 and the rate sweep")
	fs.StringVar(&tf.concurrency, "concurrency", "", "comma-separated concurrencies (overrides throughput.concurrent_requests)")
	fs.StringVar(&tf.batchSizes, "batch-sizes", "", "comma-separated batch sizes (overrides throughput.batch_sizes)")
	fs.DurationVar(&tf.duration, "duration", 0, "measured time per scenario (overrides throughput.duration)")
	fs.DurationVar(&tf.warmup, "warmup", -1, "warm-up before each scenario (overrides throughput.warmup)")
	fs.IntVar(&tf.inputLength, "input-length", 0, "prompt tokens (overrides throughput.input_length)")
	fs.IntVar(&tf.outputLength, "output-length", 0, "output tokens (overrides throughput.output_length)")
	fs.IntVar(&tf.probes, "probes", 0, "rates the sweep tries (overrides throughput.sweep_probes)")
	fs.StringVar(&tf.outputDir, "output-dir", "", "where results go (overrides report.output_dir)")
	return cmd
}

func runThroughput(cmd *cobra.Command, tf *throughputFlags) error {
	ctx := cmd.Context()
	stderr := cmd.ErrOrStderr()
	f, err := loadConfig(tf.configPath)
	if err != nil {
		return err
	}
	b := &f.Config.Benchmark
	t := &b.Throughput
	if err := applyList(&t.ConcurrentRequests, tf.concurrency, "--concurrency"); err != nil {
		return usageErr(err)
	}
	if err := applyList(&t.BatchSizes, tf.batchSizes, "--batch-sizes"); err != nil {
		return usageErr(err)
	}
	if tf.duration != 0 {
		t.Duration = tf.duration
	}
	if tf.warmup >= 0 {
		t.Warmup = tf.warmup
	}
	if tf.inputLength != 0 {
		t.InputLength = tf.inputLength
	}
	if tf.outputLength != 0 {
		t.OutputLength = tf.outputLength
	}
	if tf.probes != 0 {
		t.SweepProbes = tf.probes
	}
	if tf.outputDir != "" {
		b.Report.OutputDir = tf.outputDir
	}
	if err := f.Validate(); err != nil {
		return usageErr(err)
	}
	if err := f.CheckOutputDir(); err != nil {
		return usageErr(err)
	}
	o := suite.ThroughputOptions{
		Concurrency: tf.allConcurrency || tf.all || tf.concurrency != "",
		Batch:       tf.allBatch || tf.all || tf.batchSizes != "",
		Dynamic:     tf.dynamic || tf.all,
		Sweep:       tf.sweep || tf.all,
	}
	if !o.Concurrency && !o.Batch && !o.Dynamic && !o.Sweep {
		o.Concurrency, o.Batch, o.Dynamic = true, true, true
	}

	tg, err := openTarget(ctx, f, &tf.target, stderr)
	if err != nil {
		return err
	}
	defer tg.Close()
	gen, err := workload.New(tg.tok, workload.Options{Seed: b.Latency.Seed})
	if err != nil {
		return err
	}
	base := filepath.Join(b.Report.OutputDir, fmt.Sprintf("throughput_results_%s_%s", safeName(tg.info.Name), time.Now().Format("20060102_150405")))
	records, err := report.CreateRecords(base + ".jsonl")
	if err != nil {
		return usageErr(err)
	}
	defer records.Close()

	o.Config, o.Client, o.Engine = f.Config, tg.client, tg.info
	o.Prompts = func(tokens, index int) (string, error) { return gen.PromptAt(uint64(index), tokens) }
	o.Count = func(s string) int { return len(tg.tok.Encode(s)) }
	o.ContextLen, o.Records, o.Progress = tg.contextLen, records, newLiveLine(stderr).update
	if tg.info.Name == "embedded" && tg.proc != nil {
		o.Unbatched = func(ctx context.Context) (engine.Client, func(), error) {
			return launchUnbatched(ctx, f.Config, tg, stderr)
		}
	}
	res, err := suite.Throughput(ctx, o)
	if err != nil {
		return err
	}
	return writeLoadResult(cmd, res, base)
}

// launchUnbatched starts a second embedded engine like the target but
// with --no-batching, for T7's reference.
func launchUnbatched(ctx context.Context, cfg *config.Config, tg *target, stderr io.Writer) (engine.Client, func(), error) {
	e := *cfg.Engines["embedded"]
	e.Model = tg.info.Model
	argv, err := launchTemplate(&e)
	if err != nil {
		return nil, nil, err
	}
	e.Launch = append(append([]string(nil), argv...), "--no-batching")
	proc, err := launchEntry(ctx, cfg, "embedded-no-batching", &e, "", stderr)
	if err != nil {
		return nil, nil, err
	}
	client := engine.NewOpenAI(engine.OpenAIOptions{BaseURL: proc.URL, Dialect: tg.client.Dialect()})
	return client, func() { proc.Stop() }, nil
}

// writeLoadResult writes a throughput or stress result and its table, and
// turns an interruption into exit code 130.
func writeLoadResult(cmd *cobra.Command, res *report.Result, base string, more ...string) error {
	res.RecordsFile = filepath.Base(base + ".jsonl")
	if err := report.WriteFile(base+".json", res); err != nil {
		return err
	}
	out := cmd.OutOrStdout()
	if err := report.WriteLoadTable(out, res); err != nil {
		return err
	}
	fmt.Fprintf(out, "result: %s.json\nrecords: %s.jsonl\n", base, base)
	for _, m := range more {
		fmt.Fprintln(out, m)
	}
	if res.Interrupted {
		return &exitError{code: exitInterrupted, err: fmt.Errorf("interrupted; the result holds what finished")}
	}
	return nil
}

// applyList replaces dst with the comma-separated positive numbers of s.
func applyList(dst *[]int, s, flag string) error {
	if s == "" {
		return nil
	}
	var out []int
	for _, p := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(p))
		if err != nil || n < 1 {
			return fmt.Errorf("%s: %q is not a positive number", flag, p)
		}
		out = append(out, n)
	}
	*dst = out
	return nil
}

// liveLine is the load runs' progress line on stderr: rewritten in place
// about once a second on a terminal, one line every 10 s elsewhere.
type liveLine struct {
	w    io.Writer
	tty  bool
	last time.Time
}

func newLiveLine(w io.Writer) *liveLine {
	l := &liveLine{w: w}
	if f, ok := w.(*os.File); ok {
		_, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
		l.tty = err == nil
	}
	return l
}

func (l *liveLine) update(scenario string, s load.Snapshot) {
	line := fmt.Sprintf("%s %s  %.1f req/s  %.0f tok/s  %d errors  %d in flight", scenario,
		s.Elapsed.Truncate(time.Second), s.RequestsPerS, s.OutputTokensPerS, s.Errors, s.InFlight)
	if s.TargetRate > 0 {
		line += fmt.Sprintf("  (offered %.1f/s)", s.TargetRate)
	}
	if s.Warmup {
		line += "  warm-up"
	}
	if s.Final {
		line = fmt.Sprintf("%s: %d requests, %d errors in %s", scenario, s.Completed, s.Errors, s.Elapsed.Round(time.Millisecond))
	}
	switch {
	case l.tty:
		fmt.Fprintf(l.w, "\r\033[K%s", line)
		if s.Final {
			fmt.Fprintln(l.w)
		}
	case s.Final || s.Now.Sub(l.last) >= 10*time.Second:
		fmt.Fprintln(l.w, line)
		l.last = s.Now
	}
}
