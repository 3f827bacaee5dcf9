package suite

import (
	"context"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/muaibench/muaibench/internal/config"
	"github.com/muaibench/muaibench/internal/engine"
	"github.com/muaibench/muaibench/internal/engine/enginetest"
	"github.com/muaibench/muaibench/internal/load"
	"github.com/muaibench/muaibench/internal/metrics"
	"github.com/muaibench/muaibench/internal/report"
	"github.com/muaibench/muaibench/internal/sysinfo"
)

// loadConfig is a configuration for short load runs.
func loadConfig() *config.Config {
	cfg := config.Default()
	t := &cfg.Benchmark.Throughput
	t.ConcurrentRequests, t.BatchSizes = []int{1, 2}, []int{1, 3}
	t.Duration, t.Warmup, t.InputLength, t.OutputLength, t.SweepProbes = 300*time.Millisecond, 50*time.Millisecond, 16, 4, 2
	cfg.Benchmark.Stress.Window = 100 * time.Millisecond
	cfg.Benchmark.Stress.StallTimeout = 5 * time.Second
	return cfg
}

func fakeClient(t testing.TB, o enginetest.Options) (*enginetest.Server, engine.Client) {
	srv := enginetest.NewServer(t, o)
	return srv, engine.NewOpenAI(engine.OpenAIOptions{BaseURL: srv.URL, Dialect: engine.DialectVLLM})
}

var noGPU = &sysinfo.Info{CPUCores: 2}

func TestThroughputAgainstFakeEngine(t *testing.T) {
	t.Parallel()
	srv, client := fakeClient(t, enginetest.Options{TTFT: 5 * time.Millisecond, ITL: 2 * time.Millisecond, PromptTokens: 16})
	var ticks int
	res, err := Throughput(context.Background(), ThroughputOptions{
		Config: loadConfig(), Client: client, Engine: report.EngineInfo{Name: "fake", Model: "fake-model"},
		Prompts: prompts, System: noGPU,
		Concurrency: true, Batch: true, Dynamic: true, Sweep: true,
		Progress: func(string, load.Snapshot) { ticks++ },
	})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, s := range res.Scenarios {
		names = append(names, s.Name)
	}
	if got, want := strings.Join(names, " "), "T1 T2 T6-b1 T6-b3 T7 T7-ref sweep-1 sweep-2"; got != want {
		t.Fatalf("got scenarios %s, want %s", got, want)
	}
	for _, s := range res.Scenarios {
		m := s.Summary
		if m.Requests == 0 || m.Errors != 0 || m.RequestThroughput <= 0 || m.TTFT.Min < 5 {
			t.Errorf("%s: got %d requests, %d errors, %.1f req/s, TTFT min %.1f ms; want a clean run, TTFT ≥ 5 ms", s.Name, m.Requests, m.Errors, m.RequestThroughput, m.TTFT.Min)
		}
		if s.Load == nil || s.Generator == nil || s.Figures == nil || s.Generator.Cores == 0 {
			t.Fatalf("%s: got load %v generator %v figures %v, want all three", s.Name, s.Load, s.Generator, s.Figures)
		}
	}
	t6 := res.Scenarios[3]
	if t6.Load.Batch != 3 || t6.Summary.OutputTokens != 3*4*t6.Summary.Succeeded || math.Abs(t6.Figures.SequencesPerS-3*t6.Summary.RequestThroughput) > 1e-9 {
		t.Errorf("T6-b3: got batch %d, %d output tokens for %d requests, %.2f seq/s; want 3 prompts of 4 tokens each", t6.Load.Batch, t6.Summary.OutputTokens, t6.Summary.Succeeded, t6.Figures.SequencesPerS)
	}
	an := res.Throughput
	if an == nil || an.PeakScenario == "" || an.Saturation == "" || an.BatchingGain == nil || an.RateSweep == nil || len(an.RateSweep.Probes) != 2 {
		t.Fatalf("got analysis %+v, want peak, saturation, batching gain and two probes", an)
	}
	if an.BatchingGain.Gain <= 1 || !strings.Contains(an.BatchingGain.Reference, "one request at a time") {
		t.Errorf("got batching gain %+v, want > 1 against one request at a time", an.BatchingGain)
	}
	if p := an.RateSweep.Probes[0]; !p.Pass || an.RateSweep.BestRatePerS < p.RatePerS || res.Scenarios[6].Load.Mode != "open" {
		t.Errorf("got probes %+v best %g; want the first to pass at the measured capacity", an.RateSweep.Probes, an.RateSweep.BestRatePerS)
	}
	if res.Scenarios[0].Figures.ScalingEfficiency != 1 {
		t.Errorf("T1 scaling efficiency %g, want 1", res.Scenarios[0].Figures.ScalingEfficiency)
	}
	if ticks == 0 || res.Interrupted || res.Client.CPUSeconds <= 0 {
		t.Errorf("got %d progress calls, interrupted %v, client CPU %g", ticks, res.Interrupted, res.Client.CPUSeconds)
	}
	if body := srv.LastBody(); body == nil {
		t.Error("the engine saw no request")
	}
}

func TestBatchSendsAPromptList(t *testing.T) {
	t.Parallel()
	srv, client := fakeClient(t, enginetest.Options{PromptTokens: 16})
	cfg := loadConfig()
	cfg.Benchmark.Throughput.BatchSizes = []int{4}
	cfg.Benchmark.Throughput.Duration = 50 * time.Millisecond
	if _, err := Throughput(context.Background(), ThroughputOptions{Config: cfg, Client: client, Engine: report.EngineInfo{Model: "fake-model"},
		Prompts: prompts, System: noGPU, Batch: true}); err != nil {
		t.Fatal(err)
	}
	list, ok := srv.LastBody()["prompt"].([]any)
	if !ok || len(list) != 4 {
		t.Errorf("got prompt %v, want a list of 4", srv.LastBody()["prompt"])
	}
	cfg.Benchmark.Latency.API = "chat"
	_, err := Throughput(context.Background(), ThroughputOptions{Config: cfg, Client: client, Prompts: prompts, System: noGPU, Batch: true})
	if err == nil || !strings.Contains(err.Error(), "needs the completions API") {
		t.Errorf("got %v, want an error: batches need completions", err)
	}
}

func TestThroughputUsesTheUnbatchedReference(t *testing.T) {
	t.Parallel()
	_, client := fakeClient(t, enginetest.Options{TTFT: 2 * time.Millisecond})
	_, slow := fakeClient(t, enginetest.Options{TTFT: 20 * time.Millisecond})
	cfg := loadConfig()
	cfg.Benchmark.Throughput.Duration = 200 * time.Millisecond
	closed := false
	res, err := Throughput(context.Background(), ThroughputOptions{Config: cfg, Client: client, Prompts: prompts, System: noGPU, Dynamic: true,
		Unbatched: func(context.Context) (engine.Client, func(), error) { return slow, func() { closed = true }, nil }})
	if err != nil {
		t.Fatal(err)
	}
	g := res.Throughput.BatchingGain
	if !closed || g == nil || g.Gain < 2 || !strings.Contains(g.Reference, "--no-batching") || res.Scenarios[1].Load.Concurrency != 4 {
		t.Errorf("got gain %+v, reference closed %v; want > 2 against --no-batching at concurrency 4", g, closed)
	}
}

func TestThroughputInterrupted(t *testing.T) {
	t.Parallel()
	_, client := fakeClient(t, enginetest.Options{TTFT: time.Hour})
	ctx, cancel := context.WithCancel(context.Background())
	res, err := Throughput(ctx, ThroughputOptions{Config: loadConfig(), Client: client, Prompts: prompts, System: noGPU, Concurrency: true,
		Progress: func(string, load.Snapshot) { cancel() }})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Interrupted || len(res.Scenarios) != 1 || res.Scenarios[0].Summary.Requests != 0 {
		t.Errorf("got interrupted %v with %d scenarios, want one empty scenario and Interrupted", res.Interrupted, len(res.Scenarios))
	}
}

// scen builds a concurrency scenario with the given throughput and mean
// latency.
func scen(c int, rps, e2e float64) *report.Scenario {
	return &report.Scenario{
		Scenario: config.Scenario{Name: fmt.Sprintf("c%d", c)},
		Summary:  metrics.Summary{Succeeded: 10, RequestThroughput: rps, E2E: metrics.Stats{Mean: e2e}},
		Load:     &report.LoadSpec{Concurrency: c}, Figures: &report.LoadFigures{},
	}
}

func TestAnalyseConcurrency(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		in       []*report.Scenario
		sat      int
		peak     string
		lastEffi float64
	}{
		{"saturates at 4", []*report.Scenario{scen(1, 10, 100), scen(2, 19, 105), scen(4, 30, 130), scen(8, 31, 250), scen(16, 31.5, 500)}, 4, "c16", 31.5 / 160},
		{"never", []*report.Scenario{scen(1, 10, 100), scen(2, 20, 100), scen(4, 40, 100)}, 0, "c4", 1},
		{"flat but latency falls", []*report.Scenario{scen(1, 10, 100), scen(2, 10, 90)}, 0, "c1", 0.5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			an := &report.ThroughputAnalysis{}
			analyseConcurrency(an, tt.in)
			if an.SaturationConcurrency != tt.sat || an.PeakScenario != tt.peak || an.Saturation == "" {
				t.Errorf("got saturation %d (%q) peak %s, want %d %s", an.SaturationConcurrency, an.Saturation, an.PeakScenario, tt.sat, tt.peak)
			}
			if got := tt.in[len(tt.in)-1].Figures.ScalingEfficiency; math.Abs(got-tt.lastEffi) > 1e-9 {
				t.Errorf("got last scaling efficiency %g, want %g", got, tt.lastEffi)
			}
		})
	}
}

func TestJudgeProbe(t *testing.T) {
	t.Parallel()
	mk := func(reqs, errs, good int) *report.Scenario {
		s := &report.Scenario{Summary: metrics.Summary{Requests: reqs, Errors: errs, GoodRequests: good}}
		s.Figures = figures(s.Summary, 1, 0)
		return s
	}
	for _, tt := range []struct {
		s    *report.Scenario
		pass bool
		why  string
	}{
		{mk(100, 0, 97), true, "97.0% of requests met"},
		{mk(100, 2, 98), false, "2.0% of requests failed"},
		{mk(100, 0, 90), false, "only 90.0% of requests met the SLOs"},
		{mk(0, 0, 0), false, "no request"},
	} {
		p := judgeProbe(tt.s, 10)
		if p.Pass != tt.pass || !strings.Contains(p.Reason, tt.why) {
			t.Errorf("got %v %q, want %v and %q", p.Pass, p.Reason, tt.pass, tt.why)
		}
	}
}
