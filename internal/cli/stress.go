package cli

import (
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/muaibench/muaibench/internal/monitor"
	"github.com/muaibench/muaibench/internal/report"
	"github.com/muaibench/muaibench/internal/suite"
	"github.com/muaibench/muaibench/internal/workload"
	"github.com/spf13/cobra"
)

type stressFlags struct {
	configPath   string
	target       targetFlags
	duration     time.Duration
	loadLevel    string
	scenarios    string
	capacity     float64
	window       time.Duration
	stallTimeout time.Duration
	outputDir    string
}

func newStressCmd() *cobra.Command {
	var sf stressFlags
	cmd := &cobra.Command{
		Use:   "stress",
		Short: "Run long, sustained, peak, burst and variable loads and judge the engine's health (S1–S5)",
		Long: `stress loads the engine for a long time with open-loop Poisson arrivals at a
share of its capacity, and judges its health:

  S1  sustained load at --load percent of capacity (default 50) for --duration (1h)
  S2  peak: 100% of capacity for 10 min
  S3  burst: --load percent, spiking to 200% for a tenth of the run, then back
  S4  variable load (--load variable): a sine between 10% and 90% for 24 h
  S5  memory stress: the largest batches and longest prompts, closed loop

Capacity is measured first (closed loop at the largest throughput
concurrency) unless --capacity gives it in requests/s. Every window (10 s)
records throughput, P95 latency, error rate, requests in flight and, for a
launched engine, its resident memory; windows are appended to a .windows.jsonl
file as they close and the result JSON is rewritten at least once a minute,
so an interrupted or killed run keeps everything up to that point.

Health checks: crash (the engine process exited, or stopped accepting
connections), hang (a watchdog: no request completed for
stress.stall_timeout while some were in flight), latency degradation (the
least-squares slope of windowed P95 over the run, more than 10% of its mean
fails), error rate (over 1% fails) and, after S3's burst, the recovery
time until windowed P95 is back within 10% of its level before the burst.

Ctrl-C stops cleanly, writes what finished and exits 130.`,
		Example: `  muaibench stress --duration 1h --load 50
  muaibench stress --scenario S3 --duration 5m --capacity 12
  muaibench stress --load variable --duration 24h
  muaibench stress --scenario all --duration 10m`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runStress(cmd, &sf) },
	}
	fs := cmd.Flags()
	fs.StringVar(&sf.configPath, "config", defaultConfigPath(), "configuration file")
	sf.target.register(cmd)
	fs.DurationVar(&sf.duration, "duration", 0, "length of each scenario (default: the plan's: S1, S5 stress.duration; S2 10m; S3 5m; S4 24h)")
	fs.StringVar(&sf.loadLevel, "load", "", `sustained load in percent of capacity (overrides stress.load), or "variable" for S4`)
	fs.StringVar(&sf.scenarios, "scenario", "", "comma-separated scenarios S1–S5, or all (default S1, or S4 with --load variable)")
	fs.Float64Var(&sf.capacity, "capacity", 0, "the engine's capacity in requests/s, instead of measuring it")
	fs.DurationVar(&sf.window, "window", 0, "window length (overrides stress.window)")
	fs.DurationVar(&sf.stallTimeout, "stall-timeout", 0, "watchdog: no completion this long while requests are in flight is a hang (overrides stress.stall_timeout)")
	fs.StringVar(&sf.outputDir, "output-dir", "", "where results go (overrides report.output_dir)")
	return cmd
}

func runStress(cmd *cobra.Command, sf *stressFlags) error {
	ctx := cmd.Context()
	stderr := cmd.ErrOrStderr()
	f, err := loadConfig(sf.configPath)
	if err != nil {
		return err
	}
	b := &f.Config.Benchmark
	scenarios := []string{"S1"}
	switch sf.loadLevel {
	case "":
	case "variable":
		scenarios = []string{"S4"}
	default:
		n, err := strconv.Atoi(strings.TrimSuffix(sf.loadLevel, "%"))
		if err != nil {
			return usageErr(fmt.Errorf(`--load: %q is neither a percentage nor "variable"`, sf.loadLevel))
		}
		b.Stress.Load = n
	}
	if sf.scenarios != "" {
		scenarios = nil
		for _, s := range strings.Split(sf.scenarios, ",") {
			s = strings.ToUpper(strings.TrimSpace(s))
			if s == "ALL" {
				scenarios = slices.Clone(suite.StressScenarios)
				break
			}
			if !slices.Contains(suite.StressScenarios, s) {
				return usageErr(fmt.Errorf("--scenario: %q is not one of %s or all", s, strings.Join(suite.StressScenarios, ", ")))
			}
			scenarios = append(scenarios, s)
		}
	}
	if sf.capacity < 0 {
		return usageErr(fmt.Errorf("--capacity: must be >= 0 requests/s, got %g", sf.capacity))
	}
	if sf.capacity > 0 {
		b.Stress.Capacity = sf.capacity
	}
	if sf.window > 0 {
		b.Stress.Window = sf.window
	}
	if sf.stallTimeout > 0 {
		b.Stress.StallTimeout = sf.stallTimeout
	}
	if sf.outputDir != "" {
		b.Report.OutputDir = sf.outputDir
	}
	if sf.duration < 0 {
		return usageErr(fmt.Errorf("--duration: must be positive, got %s", sf.duration))
	}
	if err := f.Validate(); err != nil {
		return usageErr(err)
	}
	if err := f.CheckOutputDir(); err != nil {
		return usageErr(err)
	}

	tg, err := openTarget(ctx, f, &sf.target, stderr)
	if err != nil {
		return err
	}
	defer tg.Close()
	gen, err := workload.New(tg.tok, workload.Options{Seed: b.Latency.Seed})
	if err != nil {
		return err
	}
	base := filepath.Join(b.Report.OutputDir, fmt.Sprintf("stress_results_%s_%s", safeName(tg.info.Name), time.Now().Format("20060102_150405")))
	records, err := report.CreateRecords(base + ".jsonl")
	if err != nil {
		return usageErr(err)
	}
	defer records.Close()
	windows, err := report.CreateWindows(base + ".windows.jsonl")
	if err != nil {
		return usageErr(err)
	}
	defer windows.Close()

	o := suite.StressOptions{
		Config: f.Config, Client: tg.client, Engine: tg.info,
		Prompts:    func(tokens, index int) (string, error) { return gen.PromptAt(uint64(index), tokens) },
		Count:      func(s string) int { return len(tg.tok.Encode(s)) },
		ContextLen: tg.contextLen, Scenarios: scenarios, Duration: sf.duration,
		Windows: windows, Records: records, Progress: newLiveLine(stderr).update,
		Checkpoint: func(r *report.Result) error {
			r.Stress.WindowsFile = filepath.Base(base + ".windows.jsonl")
			r.RecordsFile = filepath.Base(base + ".jsonl")
			return report.WriteFile(base+".json", r)
		},
	}
	if p := tg.proc; p != nil {
		o.EngineMemory = func() int64 {
			tm, err := monitor.ReadTree(p.PID)
			if err != nil {
				return 0
			}
			return tm.RSS
		}
		o.EngineAlive = func() error {
			if p.Exited() {
				return fmt.Errorf("the engine process (PID %d) exited", p.PID)
			}
			return nil
		}
	}
	res, err := suite.Stress(ctx, o)
	if err != nil {
		return err
	}
	res.Stress.WindowsFile = filepath.Base(base + ".windows.jsonl")
	return writeLoadResult(cmd, res, base, "windows: "+base+".windows.jsonl")
}
