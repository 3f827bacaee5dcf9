package report

import (
	"math/rand/v2"
	"path/filepath"
	"testing"
	"time"

	"github.com/muaibench/muaibench/internal/config"
	"github.com/muaibench/muaibench/internal/metrics"
	"github.com/muaibench/muaibench/internal/sysinfo"
)

// t0 is the fixtures' clock.
var t0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

func testSystem() sysinfo.Info {
	return sysinfo.Info{Hostname: "bench-1", OS: "Debian GNU/Linux 12", Kernel: "6.1.0", Arch: "amd64",
		CPUModel: "Test CPU", CPUCores: 2, CPUFeatures: []string{"avx2"}, MemoryBytes: 24 << 30,
		GoVersion: "go1.26.8", GOMAXPROCS: 2, GPU: sysinfo.GPUInfo{Reason: "no GPU: no NVIDIA driver"}}
}

// latencyFixture is a latency result whose records are drawn from a
// seeded RNG around the given TTFT and TPOT, written with its records
// under dir.
func latencyFixture(t *testing.T, dir, file, engineName, model string, ttft, tpot float64, seed uint64) *Result {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, seed))
	res := &Result{
		Schema: Schema, Suite: "latency", Started: t0, Finished: t0.Add(time.Minute),
		System:      testSystem(),
		Engine:      EngineInfo{Name: engineName, URL: "http://127.0.0.1:8000", Dialect: "vllm", Model: model, Launched: true, Weights: "synthetic", Tokenizer: "gpt2"},
		Client:      ClientInfo{CPUSeconds: 0.1, WallSeconds: 60, CPUPercent: 0.2},
		Definitions: Definitions, RecordsFile: file + ".jsonl",
	}
	rw, err := CreateRecords(filepath.Join(dir, file+".jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer rw.Close()
	for k, sc := range []config.Scenario{
		{Name: "L1", InputTokens: 128, OutputTokens: 64, Runs: 12},
		{Name: "L2", InputTokens: 512, OutputTokens: 128, Runs: 12},
		{Name: "L3", InputTokens: 1024, OutputTokens: 256, Runs: 12},
	} {
		if k == 2 {
			res.Scenarios = append(res.Scenarios, Scenario{Scenario: sc, Skipped: "1024 prompt + 256 output tokens exceed the model's context of 1024"})
			continue
		}
		agg := metrics.NewAggregator(metrics.SLO{TTFT: 300 * time.Millisecond}, true)
		start := t0
		for i := range sc.Runs {
			f := float64(k*3 + 1)
			r := metrics.Record{Scenario: sc.Name, Index: i, Start: start, RequestedPromptTokens: sc.InputTokens, RequestedOutputTokens: sc.OutputTokens,
				PromptTokens: sc.InputTokens, OutputTokens: sc.OutputTokens, TokenSource: "usage", Chunks: sc.OutputTokens}
			r.TTFTMs = ttft * f * (0.9 + 0.2*rng.Float64())
			r.TPOTMs = tpot * (0.9 + 0.2*rng.Float64())
			r.ITLMs = []float64{r.TPOTMs, r.TPOTMs * 1.1}
			r.E2EMs = r.TTFTMs + r.TPOTMs*float64(sc.OutputTokens-1)
			r.OutputTPS = float64(sc.OutputTokens) / (r.E2EMs / 1000)
			start = start.Add(time.Duration(r.E2EMs * float64(time.Millisecond)))
			if err := rw.Write(&r); err != nil {
				t.Fatal(err)
			}
			agg.Add(&r)
		}
		res.Scenarios = append(res.Scenarios, Scenario{Scenario: sc, Summary: agg.Close()})
	}
	res.Warnings = []string{"L2: the engine sent no usage for 0 requests; a fixture warning"}
	if err := WriteFile(filepath.Join(dir, file+".json"), res); err != nil {
		t.Fatal(err)
	}
	return res
}

// throughputFixture is a concurrency sweep that saturates at 4.
func throughputFixture(t *testing.T, dir, file string) {
	t.Helper()
	res := &Result{
		Schema: Schema, Suite: "throughput", Started: t0, Finished: t0.Add(time.Minute),
		System:      testSystem(),
		Engine:      EngineInfo{Name: "embedded", Dialect: "vllm", Model: "gpt2", Launched: true, Weights: "synthetic", Tokenizer: "gpt2"},
		Definitions: Definitions,
	}
	for i, c := range []int{1, 2, 4, 8} {
		rps := []float64{2, 3.6, 5.0, 5.2}[i]
		sum := metrics.Summary{Requests: 20 * c, Succeeded: 20 * c, WallSeconds: float64(20*c) / rps, RequestThroughput: rps,
			OutputThroughput: rps * 128, TotalThroughput: rps * 256, Goodput: rps * []float64{1, 1, 0.95, 0.5}[i], GoodRequests: int(float64(20*c) * []float64{1, 1, 0.95, 0.5}[i]),
			TTFT: metrics.Stats{N: 20 * c, P50: 100 * float64(c), P95: 130 * float64(c)}, E2E: metrics.Stats{N: 20 * c, P50: 500 * float64(c), P95: 600 * float64(c)}}
		res.Scenarios = append(res.Scenarios, Scenario{
			Scenario: config.Scenario{Name: "T" + string(rune('1'+i)), InputTokens: 128, OutputTokens: 128},
			Summary:  sum,
			Load:     &LoadSpec{Mode: "closed", Concurrency: c, Batch: 1, WarmupS: 2, DurationS: 10},
		})
	}
	if err := WriteFile(filepath.Join(dir, file+".json"), res); err != nil {
		t.Fatal(err)
	}
}

// memoryFixture measures fp32 and int8 after load, then a leak run.
func memoryFixture(t *testing.T, dir, file string) {
	t.Helper()
	res := &Result{
		Schema: Schema, Suite: "memory", Started: t0, Finished: t0.Add(time.Minute),
		System:      testSystem(),
		Engine:      EngineInfo{Name: "embedded", Model: "gpt2", Launched: true, Weights: "synthetic", Tokenizer: "gpt2"},
		Definitions: Definitions,
	}
	for _, m := range []struct {
		name, quant string
		rss, peak   int64
	}{{"M1", "fp32", 620 << 20, 640 << 20}, {"M2", "int8", 230 << 20, 250 << 20}} {
		res.Scenarios = append(res.Scenarios, Scenario{Scenario: config.Scenario{Name: m.name},
			Memory: &MemoryFigures{Source: "proc", Quantization: m.quant, Iterations: 1, RSSBytes: m.rss, PeakRSSBytes: m.peak, ReadySeconds: 1.5, GPU: "no GPU: test"}})
	}
	res.Scenarios = append(res.Scenarios, Scenario{Scenario: config.Scenario{Name: "M6", InputTokens: 16, OutputTokens: 8},
		Memory: &MemoryFigures{Source: "proc", Iterations: 100, RSSBytes: 650 << 20, GPU: "no GPU: test",
			Drift: &DriftFigures{Quantity: "rss", DurationSeconds: 3600, SlopeMBPerHour: 0.4, CILowMBPerHour: -1.2, CIHighMBPerHour: 2.0, Level: 0.95, Verdict: "pass", Reason: "the interval reaches 0"}}})
	if err := WriteFile(filepath.Join(dir, file+".json"), res); err != nil {
		t.Fatal(err)
	}
}

// stressFixture is a sustained load whose throughput falls in its last
// window, with a failed health check.
func stressFixture(t *testing.T, dir, file string) {
	t.Helper()
	res := &Result{
		Schema: Schema, Suite: "stress", Started: t0, Finished: t0.Add(time.Minute),
		System:      testSystem(),
		Engine:      EngineInfo{Name: "embedded", Model: "gpt2", Launched: true, Weights: "synthetic", Tokenizer: "gpt2"},
		Definitions: Definitions,
	}
	sc := Scenario{Scenario: config.Scenario{Name: "S1", InputTokens: 128, OutputTokens: 128},
		Summary: metrics.Summary{Requests: 40, Succeeded: 40, RequestThroughput: 2, OutputThroughput: 256},
		Load:    &LoadSpec{Mode: "open", RatePerS: 2, Profile: "constant, poisson arrivals", Concurrency: 64},
		Health: []HealthCheck{{Check: "crash", Status: "pass"},
			{Check: "latency_degradation", Status: "fail", Detail: "P95 latency slope +80 ms/s"}}}
	for i, rps := range []float64{2, 2.1, 1.9, 0.8} {
		sc.Windows = append(sc.Windows, Window{Scenario: "S1", Index: i, StartS: float64(5 * i), EndS: float64(5*i + 5), RequestsPerS: rps})
	}
	res.Scenarios = append(res.Scenarios, sc)
	if err := WriteFile(filepath.Join(dir, file+".json"), res); err != nil {
		t.Fatal(err)
	}
}

// fixtures writes the fixture results into a temporary directory and
// loads them back as the report would.
func fixtures(t *testing.T) []*Loaded {
	t.Helper()
	dir := t.TempDir()
	latencyFixture(t, dir, "latency_a", "embedded", "gpt2", 40, 20, 1)
	latencyFixture(t, dir, "latency_b", "vllm", "gpt2|fast", 10, 5, 2)
	throughputFixture(t, dir, "throughput_a")
	memoryFixture(t, dir, "memory_a")
	stressFixture(t, dir, "stress_a")
	rs, notes, err := LoadResults([]string{filepath.Join(dir, "*.json")})
	if err != nil || len(notes) != 0 {
		t.Fatalf("got notes %v, err %v", notes, err)
	}
	return rs
}
