package cli

import (
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/muaibench/muaibench/internal/config"
	"github.com/muaibench/muaibench/internal/report"
	"github.com/muaibench/muaibench/internal/suite"
	"github.com/muaibench/muaibench/internal/workload"
	"github.com/spf13/cobra"
)

type latencyFlags struct {
	configPath string
	target     targetFlags
	allLengths bool
	lengths    string
	quick      bool
	runs       int
	warmup     int
	api        string
	noStream   bool
	outputDir  string
}

func newLatencyCmd() *cobra.Command {
	var lf latencyFlags
	cmd := &cobra.Command{
		Use:   "latency",
		Short: "Measure single-request latency: TTFT, ITL, TPOT, E2E (L1–L4)",
		Long: `latency sends one request at a time, with prompts of exact token lengths and
forced output lengths (max_tokens + ignore_eos + min_tokens where the engine
has it), and reports TTFT, ITL, TPOT, E2E latency and output tokens/s per
scenario with mean, stddev, min, max, P50, P90, P95 and P99.

The plan's scenarios: L1 128→64 ×20, L2 512→128 ×20, L3 1024→256 ×20,
L4 2048→512 ×10, each after 5 warm-up requests. Scenarios longer than the
model's context are skipped with the reason.

The result goes to data/benchmarks/latency_results_<engine>_<timestamp>.json,
every request's record to the .jsonl file beside it as it completes. Ctrl-C
stops cleanly and keeps what finished.`,
		Example: `  muaibench latency --quick
  muaibench latency --all-lengths
  muaibench latency --engine http://127.0.0.1:8000 --model Qwen/Qwen2.5-0.5B --tokenizer tokenizer.json --lengths 128,512`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runLatency(cmd, &lf) },
	}
	fs := cmd.Flags()
	fs.StringVar(&lf.configPath, "config", defaultConfigPath(), "configuration file")
	lf.target.register(cmd)
	fs.BoolVar(&lf.allLengths, "all-lengths", false, "run every scenario of the config (the default when --lengths is not given)")
	fs.StringVar(&lf.lengths, "lengths", "", "comma-separated input lengths to run, a subset of the config's input_lengths, e.g. 128,512")
	fs.BoolVar(&lf.quick, "quick", false, "a few runs per scenario (latency.quick_runs) and one warm-up")
	fs.IntVar(&lf.runs, "runs", 0, "measured runs per scenario (overrides the config)")
	fs.IntVar(&lf.warmup, "warmup", -1, "warm-up runs before each scenario (overrides the config)")
	fs.StringVar(&lf.api, "api", "", "completions or chat (overrides the config)")
	fs.BoolVar(&lf.noStream, "no-stream", false, "send non-streaming requests (TTFT then equals E2E)")
	fs.StringVar(&lf.outputDir, "output-dir", "", "where results go (overrides report.output_dir)")
	return cmd
}

func runLatency(cmd *cobra.Command, lf *latencyFlags) error {
	ctx := cmd.Context()
	stderr := cmd.ErrOrStderr()
	f, err := loadConfig(lf.configPath)
	if err != nil {
		return err
	}
	b := &f.Config.Benchmark
	if lf.runs != 0 {
		b.Latency.TestRuns, b.Latency.QuickRuns, b.Latency.RunsByInputLength = lf.runs, lf.runs, nil
	}
	if lf.warmup >= 0 {
		b.Latency.WarmupRuns = lf.warmup
	}
	if lf.api != "" {
		b.Latency.API = lf.api
	}
	if lf.noStream {
		b.Latency.Stream = false
	}
	if lf.outputDir != "" {
		b.Report.OutputDir = lf.outputDir
	}
	if err := f.Validate(); err != nil {
		return usageErr(err)
	}
	scenarios, err := pickScenarios(&b.Latency, lf.lengths, lf.quick)
	if err != nil {
		return usageErr(err)
	}
	if err := f.CheckOutputDir(); err != nil {
		return usageErr(err)
	}
	warmup := b.Latency.WarmupRuns
	if lf.quick {
		warmup = min(warmup, 1)
	}

	t, err := openTarget(ctx, f, &lf.target, stderr)
	if err != nil {
		return err
	}
	defer t.Close()

	gen, err := workload.New(t.tok, workload.Options{Seed: b.Latency.Seed})
	if err != nil {
		return err
	}
	stamp := time.Now().Format("20060102_150405")
	base := filepath.Join(b.Report.OutputDir, fmt.Sprintf("latency_results_%s_%s", safeName(t.info.Name), stamp))
	records, err := report.CreateRecords(base + ".jsonl")
	if err != nil {
		return usageErr(err)
	}
	defer records.Close()

	res, err := suite.Latency(ctx, suite.LatencyOptions{
		Config:    f.Config,
		Scenarios: scenarios,
		Warmup:    warmup,
		Client:    t.client,
		Engine:    t.info,
		Prompts: func(tokens, index int) (string, error) {
			return gen.PromptAt(uint64(index), tokens)
		},
		Count:      func(s string) int { return len(t.tok.Encode(s)) },
		ContextLen: t.contextLen,
		Records:    records,
		Progress:   newProgress(stderr),
	})
	if err != nil {
		return err
	}
	res.RecordsFile = filepath.Base(base + ".jsonl")
	if err := report.WriteFile(base+".json", res); err != nil {
		return err
	}
	if err := report.WriteTable(cmd.OutOrStdout(), res); err != nil {
		return err
	}
	fmt.Fprintf(cmd.OutOrStdout(), "result: %s.json\nrecords: %s.jsonl\n", base, base)
	if res.Interrupted {
		return &exitError{code: exitInterrupted, err: fmt.Errorf("interrupted; the result holds what finished")}
	}
	return nil
}

// pickScenarios applies --lengths and --quick to the config's scenarios.
func pickScenarios(l *config.Latency, lengths string, quick bool) ([]config.Scenario, error) {
	all := l.Scenarios(quick)
	if lengths == "" {
		return all, nil
	}
	var out []config.Scenario
	for _, s := range strings.Split(lengths, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil {
			return nil, fmt.Errorf("--lengths: %q is not a number", s)
		}
		found := false
		for _, sc := range all {
			if sc.InputTokens == n {
				out = append(out, sc)
				found = true
			}
		}
		if !found {
			return nil, fmt.Errorf("--lengths: %d is not one of the config's input_lengths %v", n, l.InputLengths)
		}
	}
	return out, nil
}

func safeName(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' {
			return r
		}
		return '_'
	}, s)
}
