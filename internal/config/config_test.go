package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestShippedFileEqualsDefaults(t *testing.T) {
	f, err := Load(filepath.Join("..", "..", "config", "benchmark.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(Default(), f.Config); diff != "" {
		t.Errorf("config/benchmark.yaml differs from Default() (-default +file):\n%s", diff)
	}
}

func TestParseOverridesDefaults(t *testing.T) {
	f, err := Parse("x.yaml", []byte(`
benchmark:
  latency:
    warmup_runs: 0
    input_lengths: [16]
    output_lengths: [8]
    timeout: 2s
engines:
  vllm:
    api: openai
    url: http://127.0.0.1:8000
    model: m
    dialect: vllm
`))
	if err != nil {
		t.Fatal(err)
	}
	l := f.Config.Benchmark.Latency
	if l.WarmupRuns != 0 || l.TestRuns != 20 || l.Timeout != 2*time.Second {
		t.Errorf("got warmup %d runs %d timeout %s, want 0 20 2s", l.WarmupRuns, l.TestRuns, l.Timeout)
	}
	if _, ok := f.Config.Engines["embedded"]; !ok {
		t.Error("the embedded engine entry was dropped when the file added another")
	}
	if got := f.Line("engines.vllm.url"); got != 11 {
		t.Errorf("got line %d for engines.vllm.url, want 11", got)
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, yaml, want string
	}{
		{"unknown key", "benchmark:\n  latency:\n    warmup: 3\n",
			`config: t.yaml:3: benchmark.latency.warmup: unknown key "warmup"`},
		{"wrong type", "benchmark:\n  latency:\n    test_runs: many\n",
			"config: t.yaml:3: benchmark.latency.test_runs: wrong type"},
		{"negative runs", "benchmark:\n  latency:\n    warmup_runs: -1\n",
			"config: t.yaml:3: benchmark.latency.warmup_runs: must be >= 0, got -1"},
		{"empty lengths", "benchmark:\n  latency:\n    input_lengths: []\n    output_lengths: []\n",
			"config: t.yaml:3: benchmark.latency.input_lengths: must list at least one value"},
		{"zero length", "benchmark:\n  latency:\n    input_lengths: [128, 0]\n    output_lengths: [1, 2]\n",
			"config: t.yaml:3: benchmark.latency.input_lengths[1]: must be >= 1, got 0"},
		{"unpaired lengths", "benchmark:\n  latency:\n    output_lengths: [1]\n",
			"config: t.yaml:3: benchmark.latency.output_lengths: must have one entry per input length (4), got 1"},
		{"bad api", "benchmark:\n  latency:\n    api: grpc\n",
			`config: t.yaml:3: benchmark.latency.api: must be one of [completions chat], got "grpc"`},
		{"bad duration", "benchmark:\n  throughput:\n    duration: soon\n",
			"config: t.yaml:3: benchmark.throughput.duration: wrong type"},
		{"bad quantization", "benchmark:\n  memory:\n    quantizations: [fp32, int3]\n",
			`config: t.yaml:3: benchmark.memory.quantizations[1]: must be one of [fp32 fp16 int8 int4], got "int3"`},
		{"engine without url", "engines:\n  vllm:\n    api: openai\n    model: m\n",
			"config: engines.vllm.url: must be set"},
		{"bad url", "engines:\n  vllm:\n    api: openai\n    url: 127.0.0.1:8000\n",
			`config: t.yaml:4: engines.vllm.url: must be an http:// or https:// URL, got "127.0.0.1:8000"`},
		{"unknown engine", "benchmark:\n  engine: tgi\n",
			"config: t.yaml:2: benchmark.engine: names no entry of engines"},
		{"bad yaml", "benchmark:\n  latency: [\n",
			"config: t.yaml:2: (file): did not find expected node content"},
		{"bad kv cache dtype", "engines:\n  embedded:\n    kv_cache_dtype: int8\n",
			`config: t.yaml:3: engines.embedded.kv_cache_dtype: must be one of [fp32 fp16], got "int8"`},
		{"kv cache dtype off the embedded engine", "engines:\n  vllm:\n    url: http://127.0.0.1:8000\n    kv_cache_dtype: fp16\n",
			`config: t.yaml:4: engines.vllm.kv_cache_dtype: applies only to the embedded engine that muaibench launches`},
		{"first error in file order", "benchmark:\n  latency:\n    test_runs: 0\n  stress:\n    load: 0\n",
			"config: t.yaml:3: benchmark.latency.test_runs"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("t.yaml", []byte(tt.yaml))
			if err == nil {
				t.Fatalf("got no error, want %q", tt.want)
			}
			if !strings.HasPrefix(err.Error(), tt.want) {
				t.Errorf("got %q, want prefix %q", err, tt.want)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error spans several lines: %q", err)
			}
		})
	}
}

func TestScenarios(t *testing.T) {
	l := Default().Benchmark.Latency
	want := []Scenario{{"L1", 128, 64, 20}, {"L2", 512, 128, 20}, {"L3", 1024, 256, 20}, {"L4", 2048, 512, 10}}
	if diff := cmp.Diff(want, l.Scenarios(false)); diff != "" {
		t.Errorf("full (-want +got):\n%s", diff)
	}
	for _, s := range l.Scenarios(true) {
		if s.Runs != 3 {
			t.Errorf("quick %s: got %d runs, want 3", s.Name, s.Runs)
		}
	}
}

func TestCheckOutputDir(t *testing.T) {
	dir := t.TempDir()
	f, _ := Load("")
	f.Config.Benchmark.Report.OutputDir = filepath.Join(dir, "a", "b")
	if err := f.CheckOutputDir(); err != nil {
		t.Fatalf("got %v, want a fresh directory to be writable", err)
	}
	blocker := filepath.Join(dir, "file")
	os.WriteFile(blocker, nil, 0o644)
	f.Config.Benchmark.Report.OutputDir = filepath.Join(blocker, "sub")
	if err := f.CheckOutputDir(); err == nil || !strings.Contains(err.Error(), "benchmark.report.output_dir: not writable") {
		t.Errorf("got %v, want a not-writable error", err)
	}
}

func FuzzParse(f *testing.F) {
	data, _ := os.ReadFile(filepath.Join("..", "..", "config", "benchmark.yaml"))
	f.Add(data)
	f.Add([]byte("benchmark:\n  latency:\n    warmup_runs: -1\n"))
	f.Add([]byte("engines:\n  x: [1, 2]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		_, err := Parse("fuzz.yaml", data)
		if err != nil && strings.Contains(err.Error(), "\n") {
			t.Errorf("multi-line error: %q", err)
		}
	})
}
