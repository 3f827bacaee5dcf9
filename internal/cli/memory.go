package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"

	"github.com/muaibench/muaibench/internal/config"
	"github.com/muaibench/muaibench/internal/report"
	"github.com/muaibench/muaibench/internal/suite"
	"github.com/muaibench/muaibench/internal/workload"
	"github.com/spf13/cobra"
)

type memoryFlags struct {
	configPath     string
	target         targetFlags
	parts          suite.MemoryParts
	quantizations  string
	loadIterations int
	iterations     int
	leakDuration   time.Duration
	requests       int
	quick          bool
	outputDir      string
}

func newMemoryCmd() *cobra.Command {
	var mf memoryFlags
	cmd := &cobra.Command{
		Use:   "memory",
		Short: "Measure engine memory: load per quantization, inference, KV cache, leaks (M1–M6)",
		Long: `memory measures the memory of the engine's process tree (RSS, peak RSS and
PSS from /proc; GPU memory, utilisation and power from NVML when there is a
GPU) while sampling the engine's Prometheus /metrics and muaibench's own Go
runtime as time series.

  --all-quantizations  M1–M3: launch the engine at each of memory.quantizations
                       (fp32, int8, int4), load_iterations times each, and
                       report the median memory after load and time to ready
  --inference          M4: memory before, peak and after inference_requests
                       requests
  --kv-cache           M5: KV cache bytes per token and for the plan's lengths,
                       from the engine's metrics or estimated from the
                       architecture
  --leak-detection     M6: leak_iterations requests (or --leak-duration), the
                       memory read after each, a least-squares slope in MB/hour
                       with its 95% confidence interval and a verdict against
                       success_criteria.memory_leak_mb_per_hour

With none of them, all four run. M1–M3 need an engine muaibench launches:
the embedded one, or an engine with a launch: command in the config.

The result goes to data/benchmarks/memory_results_<engine>_<timestamp>.json.`,
		Example: `  muaibench memory --all-quantizations
  muaibench memory --leak-detection --iterations 200
  muaibench memory --inference --kv-cache --engine vllm-local
  muaibench memory --quick`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runMemory(cmd, &mf) },
	}
	fs := cmd.Flags()
	fs.StringVar(&mf.configPath, "config", defaultConfigPath(), "configuration file")
	mf.target.register(cmd)
	fs.BoolVar(&mf.parts.Load, "all-quantizations", false, "M1–M3: memory after load at each quantization")
	fs.BoolVar(&mf.parts.Inference, "inference", false, "M4: memory before, peak and after requests")
	fs.BoolVar(&mf.parts.KVCache, "kv-cache", false, "M5: KV cache memory")
	fs.BoolVar(&mf.parts.Leak, "leak-detection", false, "M6: leak detection")
	fs.StringVar(&mf.quantizations, "quantizations", "", "comma-separated quantizations for M1–M3 (overrides memory.quantizations)")
	fs.IntVar(&mf.loadIterations, "load-iterations", 0, "launches per quantization (overrides memory.load_iterations)")
	fs.IntVar(&mf.iterations, "iterations", 0, "M6 iterations (overrides memory.leak_iterations)")
	fs.DurationVar(&mf.leakDuration, "leak-duration", 0, "run M6 this long instead of a number of iterations, e.g. 1h")
	fs.IntVar(&mf.requests, "requests", 0, "M4 requests (overrides memory.inference_requests)")
	fs.BoolVar(&mf.quick, "quick", false, "a smoke test: one launch per quantization, 3 M4 requests, 30 M6 iterations of short requests after 3 warm-up (too short for a leak verdict)")
	fs.StringVar(&mf.outputDir, "output-dir", "", "where results go (overrides report.output_dir)")
	return cmd
}

func runMemory(cmd *cobra.Command, mf *memoryFlags) error {
	ctx := cmd.Context()
	stderr := cmd.ErrOrStderr()
	f, err := loadConfig(mf.configPath)
	if err != nil {
		return err
	}
	b := &f.Config.Benchmark
	m := &b.Memory
	if mf.quick {
		m.LoadIterations, m.InferenceRequests, m.LeakIterations, m.LeakWarmup, m.LeakWarmupMax = 1, 3, 30, 3, 0
		m.OutputLength = min(m.OutputLength, 16)
	}
	if mf.quantizations != "" {
		m.Quantizations = strings.Split(mf.quantizations, ",")
	}
	for _, o := range []struct {
		v   int
		dst *int
	}{{mf.loadIterations, &m.LoadIterations}, {mf.iterations, &m.LeakIterations}, {mf.requests, &m.InferenceRequests}} {
		if o.v != 0 {
			*o.dst = o.v
		}
	}
	if mf.leakDuration != 0 {
		m.LeakDuration = mf.leakDuration
	}
	if mf.outputDir != "" {
		b.Report.OutputDir = mf.outputDir
	}
	if err := f.Validate(); err != nil {
		return usageErr(err)
	}
	if err := f.CheckOutputDir(); err != nil {
		return usageErr(err)
	}
	parts := mf.parts
	if parts == (suite.MemoryParts{}) {
		parts = suite.MemoryParts{Load: true, Inference: true, KVCache: true, Leak: true}
	}
	name, entry, err := resolveEntry(f, &mf.target)
	if err != nil {
		return err
	}
	opts := suite.MemoryOptions{
		Config: f.Config,
		Parts:  parts,
		Engine: report.EngineInfo{Name: name, URL: entry.URL, Model: entry.Model, Dialect: entry.Dialect, Launched: launchable(name, entry)},
		Log:    stderr,
		Open: func(ctx context.Context) (*suite.MemoryEngine, error) {
			return openMemoryTarget(ctx, f, &mf.target, entry, stderr)
		},
	}
	if mf.quick {
		opts.NoLeakVerdict = "a --quick smoke test: 30 short requests after 3 warm-up cannot tell warm-up from a leak; run memory --leak-detection"
	}
	if launchable(name, entry) {
		opts.Unavailable = func(q string) string {
			_, why := quantizationValue(name, entry, q)
			return why
		}
		opts.Launch = func(ctx context.Context, q string) (*suite.MemoryEngine, error) {
			v, _ := quantizationValue(name, entry, q)
			start := time.Now()
			p, err := launchEntry(ctx, f.Config, name, entry, v, stderr)
			if err != nil {
				return nil, err
			}
			e := &suite.MemoryEngine{URL: p.URL, PID: p.PID, ReadyTime: time.Since(start), Stop: func() { p.Stop() }}
			if cards, err := fetchModels(ctx, p.URL, ""); err == nil && len(cards) > 0 {
				e.WeightBytes = cardFacts(cards[0], entry).weightBytes
			}
			return e, nil
		}
	}

	res, err := suite.Memory(ctx, opts)
	if err != nil {
		return err
	}
	stamp := time.Now().Format("20060102_150405")
	path := filepath.Join(b.Report.OutputDir, fmt.Sprintf("memory_results_%s_%s.json", safeName(res.Engine.Name), stamp))
	if err := report.WriteFile(path, res); err != nil {
		return err
	}
	if err := report.WriteMemoryTable(cmd.OutOrStdout(), res); err != nil {
		return err
	}
	fmt.Fprintf(cmd.OutOrStdout(), "result: %s\n", path)
	if res.Interrupted {
		return &exitError{code: exitInterrupted, err: fmt.Errorf("interrupted; the result holds what finished")}
	}
	return nil
}

// resolveEntry finds the engine entry the flags and config name, with
// the flags' model applied; a URL flag makes an entry of its own.
func resolveEntry(f *config.File, tf *targetFlags) (string, *config.Engine, error) {
	cfg := f.Config
	name := cfg.Benchmark.Engine
	var entry config.Engine
	switch {
	case strings.HasPrefix(tf.engine, "http://") || strings.HasPrefix(tf.engine, "https://"):
		name, entry = hostName(tf.engine), config.Engine{API: "openai", URL: tf.engine}
	case tf.engine != "":
		e, ok := cfg.Engines[tf.engine]
		if !ok {
			return "", nil, usageErr(fmt.Errorf("--engine %q: not a URL and not an engine of the config (have %s)", tf.engine, engineNames(cfg)))
		}
		name, entry = tf.engine, *e
	default:
		entry = *cfg.Engines[name]
	}
	if tf.model != "" {
		entry.Model = tf.model
	}
	if entry.Model == "" && name == "embedded" {
		entry.Model = cfg.Benchmark.Model
	}
	return name, &entry, nil
}

// openMemoryTarget opens the engine for M4–M6 the way every suite does
// (launching it when muaibench launches it) and adds what the memory
// suite needs: the PID, prompts, and the KV facts of its model card.
func openMemoryTarget(ctx context.Context, f *config.File, tf *targetFlags, entry *config.Engine, stderr io.Writer) (*suite.MemoryEngine, error) {
	t, err := openTarget(ctx, f, tf, stderr)
	if err != nil {
		return nil, err
	}
	gen, err := workload.New(t.tok, workload.Options{Seed: f.Config.Benchmark.Latency.Seed})
	if err != nil {
		t.Close()
		return nil, err
	}
	e := &suite.MemoryEngine{
		Client: t.client, Info: t.info, URL: t.info.URL, ContextLen: t.contextLen,
		Prompts: func(tokens, index int) (string, error) { return gen.PromptAt(uint64(index), tokens) },
		Stop:    t.Close,
	}
	if t.proc != nil {
		e.PID = t.proc.PID
	}
	var c modelCard
	if len(t.info.Card) > 0 && json.Unmarshal(t.info.Card, &c.m) == nil {
		facts := cardFacts(c, entry)
		e.WeightBytes, e.KVBlockTokens, e.KVLayout = facts.weightBytes, facts.blockTokens, facts.layout
	}
	if e.KVLayout == nil {
		e.KVLayout = entry.KVLayout
	}
	return e, nil
}

// facts are what the memory suite reads from a model card.
type facts struct {
	weightBytes int64
	blockTokens int
	layout      *config.KVLayout
}

// cardFacts reads the embedded engine's model card: weight bytes, KV
// block size, the GPT-2 shape and the KV cache's format (fp32 when the
// card does not say); the config's kv_layout wins over the card.
func cardFacts(c modelCard, entry *config.Engine) facts {
	num := func(keys ...string) float64 {
		v, _ := lookup(c.m, keys...).(float64)
		return v
	}
	fs := facts{weightBytes: int64(num("card", "weight_bytes")), blockTokens: int(num("card", "kv_block_tokens"))}
	layers, heads, embd := int(num("card", "shape", "n_layer")), int(num("card", "shape", "n_head")), int(num("card", "shape", "n_embd"))
	switch {
	case entry.KVLayout != nil:
		fs.layout = entry.KVLayout
	case layers > 0 && heads > 0 && embd > 0:
		bytes := 4
		if dt, _ := lookup(c.m, "card", "kv_cache_dtype").(string); dt == "fp16" {
			bytes = 2
		}
		fs.layout = &config.KVLayout{Layers: layers, KVHeads: heads, HeadDim: embd / heads, BytesPerValue: bytes}
	}
	return fs
}
