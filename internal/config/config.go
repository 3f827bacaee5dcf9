// Package config is muaibench's configuration: the benchmarking plan's
// YAML schema (benchmark.latency, memory, throughput, stress, report) plus
// the engines to drive, with defaults and strict validation.
package config

import (
	"strconv"
	"time"
)

// Config is the whole file.
type Config struct {
	Benchmark Benchmark          `yaml:"benchmark" json:"benchmark"`
	Engines   map[string]*Engine `yaml:"engines" json:"engines"`
}

// Benchmark holds the plan's sections.
type Benchmark struct {
	// Engine names the entry of Engines to benchmark; "embedded" (the
	// default) is the built-in engine, launched as a child process.
	Engine string `yaml:"engine" json:"engine"`
	// Model is the model name sent in requests when the engine entry does
	// not fix one.
	Model      string     `yaml:"model" json:"model"`
	Latency    Latency    `yaml:"latency" json:"latency"`
	Memory     Memory     `yaml:"memory" json:"memory"`
	Throughput Throughput `yaml:"throughput" json:"throughput"`
	Stress     Stress     `yaml:"stress" json:"stress"`
	Report     Report     `yaml:"report" json:"report"`
	SLO        SLO        `yaml:"slo" json:"slo"`
	// SuccessCriteria is the plan's table of targets a report judges.
	SuccessCriteria SuccessCriteria `yaml:"success_criteria" json:"success_criteria"`
	Run             Run             `yaml:"run" json:"run"`
}

// SuccessCriteria is the plan's success table: each criterion has a
// target and a looser acceptable bound. Lower is better for TTFT, memory
// and leak; higher is better for the rest.
type SuccessCriteria struct {
	TTFTMs        Threshold `yaml:"ttft_ms" json:"ttft_ms"`
	TokensPerS    Threshold `yaml:"tokens_per_s" json:"tokens_per_s"`
	MemoryGB      Threshold `yaml:"memory_gb" json:"memory_gb"`
	ThroughputRPS Threshold `yaml:"throughput_rps" json:"throughput_rps"`
	// Speedup compares the request throughput of Engine with Baseline's.
	Speedup             Speedup   `yaml:"speedup" json:"speedup"`
	MemoryLeakMBPerHour Threshold `yaml:"memory_leak_mb_per_hour" json:"memory_leak_mb_per_hour"`
}

// Threshold is one criterion's bounds: meeting Target passes, meeting
// only Acceptable is acceptable, anything else fails.
type Threshold struct {
	Target     float64 `yaml:"target" json:"target"`
	Acceptable float64 `yaml:"acceptable" json:"acceptable"`
}

// Speedup is the engine-comparison criterion (the plan's vLLM speedup over
// the PyTorch baseline); engines are matched by result engine name.
type Speedup struct {
	Threshold `yaml:",inline" json:",inline"`
	Engine    string `yaml:"engine" json:"engine"`
	Baseline  string `yaml:"baseline" json:"baseline"`
}

// Run is `muaibench run`: the phases it runs, in order.
type Run struct {
	// Phases are latency, memory, throughput and stress.
	Phases []string `yaml:"phases" json:"phases"`
}

// Latency is the single-request latency suite (L1–L4).
type Latency struct {
	WarmupRuns int `yaml:"warmup_runs" json:"warmup_runs"`
	TestRuns   int `yaml:"test_runs" json:"test_runs"`
	// InputLengths and OutputLengths pair up into scenarios L1, L2, ...
	InputLengths  []int `yaml:"input_lengths" json:"input_lengths"`
	OutputLengths []int `yaml:"output_lengths" json:"output_lengths"`
	// RunsByInputLength overrides TestRuns for some input lengths (the
	// plan runs its 2048-token scenario 10 times).
	RunsByInputLength map[int]int `yaml:"runs_by_input_length" json:"runs_by_input_length,omitempty"`
	// QuickRuns is the number of measured runs per scenario with --quick.
	QuickRuns int `yaml:"quick_runs" json:"quick_runs"`
	// API is "completions" or "chat".
	API    string `yaml:"api" json:"api"`
	Stream bool   `yaml:"stream" json:"stream"`
	// Timeout bounds one request.
	Timeout     time.Duration `yaml:"timeout" json:"timeout"`
	Temperature float64       `yaml:"temperature" json:"temperature"`
	Seed        int64         `yaml:"seed" json:"seed"`
}

// Memory is the memory suite (M1–M6).
type Memory struct {
	Quantizations  []string      `yaml:"quantizations" json:"quantizations"`
	LoadIterations int           `yaml:"load_iterations" json:"load_iterations"`
	LeakIterations int           `yaml:"leak_iterations" json:"leak_iterations"`
	SampleInterval time.Duration `yaml:"sample_interval" json:"sample_interval"`
	// InferenceRequests is the number of requests M4 sends.
	InferenceRequests int `yaml:"inference_requests" json:"inference_requests"`
	// InputLength and OutputLength shape the requests of M4 and M6.
	InputLength  int `yaml:"input_length" json:"input_length"`
	OutputLength int `yaml:"output_length" json:"output_length"`
	// LeakWarmup is the number of M6 iterations run before the slope's
	// samples start (caches, pools and the heap settle first).
	LeakWarmup int `yaml:"leak_warmup" json:"leak_warmup"`
	// LeakWarmupMax lets the warm-up go on past LeakWarmup, up to this
	// many iterations, until memory is steady (a garbage-collected
	// engine's heap grows to its collector's target first); 0 keeps the
	// warm-up at LeakWarmup.
	LeakWarmupMax int `yaml:"leak_warmup_max" json:"leak_warmup_max"`
	// LeakDuration, when set, runs M6 for this long instead of
	// LeakIterations iterations.
	// The verdict's thresholds are success_criteria.memory_leak_mb_per_hour.
	LeakDuration time.Duration `yaml:"leak_duration" json:"leak_duration,omitempty"`
}

// Throughput is the throughput suite (T1–T7).
type Throughput struct {
	ConcurrentRequests []int         `yaml:"concurrent_requests" json:"concurrent_requests"`
	BatchSizes         []int         `yaml:"batch_sizes" json:"batch_sizes"`
	Duration           time.Duration `yaml:"duration" json:"duration"`
	InputLength        int           `yaml:"input_length" json:"input_length"`
	OutputLength       int           `yaml:"output_length" json:"output_length"`
	// Warmup is sent before each scenario and left out of its figures.
	Warmup time.Duration `yaml:"warmup" json:"warmup"`
	// SweepProbes bounds the rate sweep's search (--rate-sweep).
	SweepProbes int `yaml:"sweep_probes" json:"sweep_probes"`
}

// Stress is the stress suite (S1–S5).
type Stress struct {
	Duration time.Duration `yaml:"duration" json:"duration"`
	// Load is the sustained load in percent of measured capacity.
	Load   int           `yaml:"load" json:"load"`
	Window time.Duration `yaml:"window" json:"window"`
	// Capacity is the engine's capacity in requests/s that loads are
	// fractions of; 0 measures it first (closed loop at the largest
	// throughput concurrency).
	Capacity float64 `yaml:"capacity" json:"capacity"`
	// StallTimeout is the watchdog: no request completing for this long
	// while some are in flight is a hang.
	StallTimeout time.Duration `yaml:"stall_timeout" json:"stall_timeout"`
}

// Report says where results go and in which format.
type Report struct {
	OutputDir string `yaml:"output_dir" json:"output_dir"`
	ReportDir string `yaml:"report_dir" json:"report_dir"`
	// Format is json, csv, md or html.
	Format string `yaml:"format" json:"format"`
}

// SLO is the service-level objectives a request must meet to count
// towards goodput; zero means no objective.
type SLO struct {
	TTFT time.Duration `yaml:"ttft" json:"ttft,omitempty"`
	TPOT time.Duration `yaml:"tpot" json:"tpot,omitempty"`
	E2E  time.Duration `yaml:"e2e" json:"e2e,omitempty"`
}

// Engine is one engine to drive.
type Engine struct {
	// API is the protocol; "openai" is the only one so far.
	API string `yaml:"api" json:"api"`
	// URL is the engine's base URL; empty for the embedded engine, which
	// is launched on a free loopback port.
	URL string `yaml:"url" json:"url"`
	// Model is the model name to request.
	Model string `yaml:"model" json:"model"`
	// APIKeyEnv names the environment variable holding the API key. The
	// key itself never appears in a file muaibench writes.
	APIKeyEnv string `yaml:"api_key_env" json:"api_key_env,omitempty"`
	// Tokenizer is "gpt2" or the path of a Hugging Face tokenizer.json.
	Tokenizer string `yaml:"tokenizer" json:"tokenizer"`
	// Dialect is the engine's flavour of the OpenAI API: openai, vllm,
	// sglang, llamacpp, ollama, tgi, mii or trtllm.
	Dialect string `yaml:"dialect" json:"dialect"`
	// Launch is the command that starts the engine, run without a shell,
	// with the placeholders {port}, {host}, {model} and {quantization};
	// an engine with a launch command has no url (it gets a free port).
	Launch []string `yaml:"launch" json:"launch,omitempty"`
	// ReadyPath is polled until the launched engine answers 200 (default
	// /health; /v1/models for engines without one).
	ReadyPath string `yaml:"ready_path" json:"ready_path,omitempty"`
	// ReadyTimeout bounds the wait for a launched engine (default 10m).
	ReadyTimeout time.Duration `yaml:"ready_timeout" json:"ready_timeout,omitempty"`
	// Quantizations maps the plan's quantization names (fp32, int8, int4)
	// to the value the launch command takes for {quantization}; "" leaves
	// the argument out. Without it the plan's name is passed as it is;
	// with it, a quantization it does not list is not available.
	Quantizations map[string]string `yaml:"quantizations" json:"quantizations,omitempty"`
	// KVCacheDtype is the embedded engine's KV cache format, fp32 (the
	// default) or fp16, passed to its serve as --kv-cache-dtype; other
	// engines take theirs in their launch command.
	KVCacheDtype string `yaml:"kv_cache_dtype" json:"kv_cache_dtype,omitempty"`
	// KVLayout is the model's KV cache geometry, for estimating KV memory
	// when the engine does not report it; the embedded engine's comes from
	// its model card.
	KVLayout *KVLayout `yaml:"kv_layout" json:"kv_layout,omitempty"`
}

// KVLayout is what a model's KV cache holds per token:
// 2 (keys and values) × Layers × KVHeads × HeadDim × BytesPerValue.
type KVLayout struct {
	Layers        int `yaml:"layers" json:"layers"`
	KVHeads       int `yaml:"kv_heads" json:"kv_heads"`
	HeadDim       int `yaml:"head_dim" json:"head_dim"`
	BytesPerValue int `yaml:"bytes_per_value" json:"bytes_per_value"`
}

// BytesPerToken is the KV cache bytes one token takes.
func (k KVLayout) BytesPerToken() int64 {
	return 2 * int64(k.Layers) * int64(k.KVHeads) * int64(k.HeadDim) * int64(k.BytesPerValue)
}

// Default returns the plan's defaults.
func Default() *Config {
	return &Config{
		Benchmark: Benchmark{
			Engine: "embedded",
			Model:  "gpt2",
			Latency: Latency{
				WarmupRuns:        5,
				TestRuns:          20,
				InputLengths:      []int{128, 512, 1024, 2048},
				OutputLengths:     []int{64, 128, 256, 512},
				RunsByInputLength: map[int]int{2048: 10},
				QuickRuns:         3,
				API:               "completions",
				Stream:            true,
				Timeout:           5 * time.Minute,
				Seed:              1,
			},
			Memory: Memory{
				Quantizations:  []string{"fp32", "int8", "int4"},
				LoadIterations: 5,
				LeakIterations: 100,
				SampleInterval: time.Second,

				InferenceRequests: 10,
				InputLength:       128,
				OutputLength:      64,
				LeakWarmup:        50,
				LeakWarmupMax:     300,
			},
			Throughput: Throughput{
				ConcurrentRequests: []int{1, 2, 4, 8, 16},
				BatchSizes:         []int{1, 2, 4, 8},
				Duration:           60 * time.Second,
				InputLength:        128,
				OutputLength:       128,
				Warmup:             5 * time.Second,
				SweepProbes:        6,
			},
			Stress: Stress{Duration: time.Hour, Load: 50, Window: 10 * time.Second, StallTimeout: time.Minute},
			Report: Report{OutputDir: "data/benchmarks", ReportDir: "reports", Format: "json"},
			SLO:    SLO{TTFT: 300 * time.Millisecond},
			SuccessCriteria: SuccessCriteria{
				TTFTMs:              Threshold{Target: 200, Acceptable: 300},
				TokensPerS:          Threshold{Target: 30, Acceptable: 20},
				MemoryGB:            Threshold{Target: 2, Acceptable: 3},
				ThroughputRPS:       Threshold{Target: 100, Acceptable: 50},
				Speedup:             Speedup{Threshold: Threshold{Target: 2, Acceptable: 1.5}, Engine: "vllm", Baseline: "pytorch"},
				MemoryLeakMBPerHour: Threshold{Target: 0, Acceptable: 10},
			},
			Run: Run{Phases: []string{"latency", "memory", "throughput", "stress"}},
		},
		Engines: map[string]*Engine{
			"embedded": embeddedDefaults(),
		},
	}
}

// Scenario is one latency scenario: a prompt length, an output length and
// how many measured runs.
type Scenario struct {
	Name         string `json:"name"`
	InputTokens  int    `json:"input_tokens"`
	OutputTokens int    `json:"output_tokens"`
	Runs         int    `json:"runs"`
}

// Scenarios pairs the input and output lengths into L1, L2, ... with the
// number of runs each; quick uses QuickRuns.
func (l *Latency) Scenarios(quick bool) []Scenario {
	var out []Scenario
	for i, in := range l.InputLengths {
		runs := l.TestRuns
		if r, ok := l.RunsByInputLength[in]; ok {
			runs = r
		}
		if quick {
			runs = min(runs, l.QuickRuns)
		}
		out = append(out, Scenario{
			Name:         "L" + strconv.Itoa(i+1),
			InputTokens:  in,
			OutputTokens: l.OutputLengths[i],
			Runs:         runs,
		})
	}
	return out
}

// embeddedDefaults is the embedded engine's entry; its model is
// benchmark.model unless the entry names one.
func embeddedDefaults() *Engine {
	return &Engine{API: "openai", Tokenizer: "gpt2", Dialect: "vllm"}
}

// fillEngineDefaults gives entries the file left partly empty their
// defaults: the api is openai, and the embedded engine keeps its
// tokenizer and dialect when the file only changes its model.
func (c *Config) fillEngineDefaults() {
	for name, e := range c.Engines {
		if e == nil {
			continue
		}
		if e.API == "" {
			e.API = "openai"
		}
		if name == "embedded" && e.URL == "" {
			d := embeddedDefaults()
			if e.Tokenizer == "" {
				e.Tokenizer = d.Tokenizer
			}
			if e.Dialect == "" {
				e.Dialect = d.Dialect
			}
		}
	}
}
