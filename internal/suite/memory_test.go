package suite

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/muaibench/muaibench/internal/config"
	"github.com/muaibench/muaibench/internal/engine"
	"github.com/muaibench/muaibench/internal/report"
)

// memClient is a fake engine client: it answers at once with the output
// length asked for, calling onDo first.
type memClient struct {
	calls atomic.Int64
	onDo  func(ctx context.Context, req engine.Request)
	// maxPrompt, when set, fails longer prompts as an engine would.
	maxPrompt int
}

func (c *memClient) Do(ctx context.Context, req engine.Request) (*engine.Response, error) {
	c.calls.Add(1)
	if c.onDo != nil {
		c.onDo(ctx, req)
	}
	in, _ := strconv.Atoi(req.Prompt)
	if c.maxPrompt > 0 && in+req.MaxTokens > c.maxPrompt {
		return &engine.Response{Status: 400}, fmt.Errorf("engine: HTTP 400: %d tokens exceed the context", in+req.MaxTokens)
	}
	return &engine.Response{
		Chunks: []engine.Chunk{{At: time.Millisecond, Text: "x", Tokens: req.MaxTokens}},
		End:    2 * time.Millisecond, Status: 200, FinishReason: "length",
		Usage: &engine.Usage{PromptTokens: in, CompletionTokens: req.MaxTokens},
	}, nil
}

// The fake engine's prompts are their token counts, so it knows them.
func countPrompts(tokens, _ int) (string, error) { return strconv.Itoa(tokens), nil }

// fakeClock advances by step every time it is read.
type fakeClock struct {
	mu   sync.Mutex
	t    time.Time
	step time.Duration
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(c.step)
	return c.t
}

func (c *fakeClock) peek() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func memConfig() *config.Config {
	cfg := config.Default()
	m := &cfg.Benchmark.Memory
	m.LoadIterations, m.InferenceRequests, m.LeakIterations, m.LeakWarmup = 3, 4, 60, 2
	m.SampleInterval = time.Hour // the monitor samples at the start and on demand only
	return cfg
}

func TestMemoryLoadMediansAndUnavailable(t *testing.T) {
	var launches, stops atomic.Int64
	rss := []int64{300, 100, 200, 500, 400, 600} // per launch, in MiB
	o := MemoryOptions{
		Config: memConfig(),
		Parts:  MemoryParts{Load: true},
		Unavailable: func(q string) string {
			if q == "int4" {
				return "no int4 here"
			}
			return ""
		},
		Launch: func(ctx context.Context, q string) (*MemoryEngine, error) {
			n := launches.Add(1)
			return &MemoryEngine{PID: int(n), ReadyTime: time.Duration(n) * time.Second, WeightBytes: 42,
				Stop: func() { stops.Add(1) }}, nil
		},
		Read: func(ctx context.Context, e *MemoryEngine) (MemoryReading, error) {
			return MemoryReading{RSS: rss[e.PID-1] << 20, PeakRSS: rss[e.PID-1] << 21, Source: "fake", GPUReason: "no GPU: fake"}, nil
		},
		LoadSettle: -1,
	}
	res, err := Memory(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	if launches.Load() != 6 || stops.Load() != 6 {
		t.Errorf("got %d launches, %d stops; want 6 of each (3 per available quantization)", launches.Load(), stops.Load())
	}
	if len(res.Scenarios) != 3 {
		t.Fatalf("got %d scenarios, want M1 M2 M3", len(res.Scenarios))
	}
	m1, m2, m3 := res.Scenarios[0], res.Scenarios[1], res.Scenarios[2]
	if m1.Name != "M1 fp32" || m1.Memory.RSSBytes != 200<<20 || m1.Memory.PeakRSSBytes != 400<<20 || m1.Memory.ReadySeconds != 2 || m1.Memory.Iterations != 3 || m1.Memory.WeightBytes != 42 {
		t.Errorf("got M1 %+v, want medians 200 MiB, peak 400 MiB, ready 2s over 3 launches", *m1.Memory)
	}
	if m2.Name != "M2 int8" || m2.Memory.RSSBytes != 500<<20 || m2.Memory.GPU != "no GPU: fake" {
		t.Errorf("got M2 %+v, want median 500 MiB and the GPU reason", *m2.Memory)
	}
	if m3.Name != "M3 int4" || m3.Skipped != "not available: no int4 here" {
		t.Errorf("got M3 %q skipped %q, want not available with the reason", m3.Name, m3.Skipped)
	}
	var buf strings.Builder
	if err := report.WriteMemoryTable(&buf, res); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"M1 fp32", "200.0", "not available", "no GPU: fake"} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, buf.String())
		}
	}
}

func TestMemoryLoadWithoutALauncher(t *testing.T) {
	res, err := Memory(context.Background(), MemoryOptions{Config: memConfig(), Parts: MemoryParts{Load: true}})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range res.Scenarios {
		if !strings.Contains(s.Skipped, "muaibench did not launch this engine") {
			t.Errorf("%s: got skipped %q, want the reason it cannot be launched", s.Name, s.Skipped)
		}
	}
}

func TestLeakVerdict(t *testing.T) {
	tests := []struct {
		low, high float64
		want      string
	}{
		{-3, 2, "pass"},
		{-30, -20, "pass"},
		{1, 9, "acceptable"},
		{10, 30, "fail"},
		{-5, 40, "inconclusive"},
		{5, 12, "inconclusive"},
	}
	for _, tt := range tests {
		if got, why := LeakVerdict(tt.low, tt.high, 0, 10); got != tt.want || why == "" {
			t.Errorf("LeakVerdict(%g, %g): got %s (%s), want %s", tt.low, tt.high, got, why, tt.want)
		}
	}
}

// leakRun runs M6 against a fake engine whose memory is base plus rate
// MB/hour times the elapsed fake time, plus noise MB of seeded noise.
func leakRun(t *testing.T, rateMBPerHour, noiseMB float64, step time.Duration) *report.DriftFigures {
	t.Helper()
	clock := &fakeClock{t: time.Unix(1e9, 0), step: step}
	t0 := clock.peek()
	rng := rand.New(rand.NewPCG(7, 8))
	var stops atomic.Int64
	cfg := memConfig()
	res, err := Memory(context.Background(), MemoryOptions{
		Config: cfg,
		Parts:  MemoryParts{Leak: true},
		Open: func(context.Context) (*MemoryEngine, error) {
			return &MemoryEngine{Client: &memClient{}, Prompts: countPrompts, Info: report.EngineInfo{Name: "fake", Model: "m"},
				Stop: func() { stops.Add(1) }}, nil
		},
		Read: func(context.Context, *MemoryEngine) (MemoryReading, error) {
			h := clock.peek().Sub(t0).Hours()
			mb := 500 + rateMBPerHour*h + noiseMB*rng.NormFloat64()
			return MemoryReading{RSS: int64(mb * 1e6), Source: "/proc: fake", GPUReason: "no GPU: fake"}, nil
		},
		Now: clock.Now,
	})
	if err != nil {
		t.Fatal(err)
	}
	if stops.Load() != 1 {
		t.Errorf("got %d stops of the engine, want 1", stops.Load())
	}
	m6 := res.Scenarios[len(res.Scenarios)-1]
	if m6.Name != "M6" || m6.Memory == nil || m6.Memory.Drift == nil {
		t.Fatalf("got %+v, want M6 with a drift", m6)
	}
	if m6.Memory.Iterations != cfg.Benchmark.Memory.LeakIterations || m6.Summary.Succeeded != cfg.Benchmark.Memory.LeakIterations {
		t.Errorf("got %d samples of %d requests, want %d", m6.Memory.Iterations, m6.Summary.Succeeded, cfg.Benchmark.Memory.LeakIterations)
	}
	return m6.Memory.Drift
}

func TestMemoryLeakDetection(t *testing.T) {
	tests := []struct {
		name        string
		rate, noise float64
		step        time.Duration
		want        string
	}{
		{"leaking", 50, 1, 20 * time.Second, "fail"},
		{"flat", 0, 1, 20 * time.Second, "pass"},
		{"slow growth", 5, 0.01, 20 * time.Second, "acceptable"},
		{"too short to tell", 0, 5, 100 * time.Millisecond, "inconclusive"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := leakRun(t, tt.rate, tt.noise, tt.step)
			if d.Verdict != tt.want {
				t.Errorf("got %s (%s), slope %.2f CI [%.2f, %.2f] MB/hour; want %s", d.Verdict, d.Reason, d.SlopeMBPerHour, d.CILowMBPerHour, d.CIHighMBPerHour, tt.want)
			}
			if tt.want != "inconclusive" && (d.CILowMBPerHour > tt.rate || d.CIHighMBPerHour < tt.rate) {
				t.Errorf("got CI [%.2f, %.2f] MB/hour, want it to cover the true %g", d.CILowMBPerHour, d.CIHighMBPerHour, tt.rate)
			}
			if d.TargetMBPerHour != 0 || d.AcceptableMBPerHour != 10 {
				t.Errorf("got thresholds %g/%g, want the plan's 0/10", d.TargetMBPerHour, d.AcceptableMBPerHour)
			}
		})
	}
}

// kvServer serves /metrics with muaibench_kv_cache_bytes_used set while
// a request runs and muaibench_kv_cache_bytes_reserved_total counting,
// as the embedded engine reports them: whole blocks reserved for prompt +
// max_tokens at admission. An instant request holds its blocks for no
// time at all: only the counter shows it.
func kvServer(t *testing.T, perToken int64, block int, expose, instant bool) (*httptest.Server, *memClient) {
	var used, reserved atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !expose {
			fmt.Fprintln(w, "# TYPE other_gauge gauge\nother_gauge 1")
			return
		}
		fmt.Fprintf(w, "# TYPE muaibench_kv_cache_bytes_used gauge\nmuaibench_kv_cache_bytes_used{model=\"m\"} %d\n", used.Load())
		fmt.Fprintf(w, "# TYPE muaibench_kv_cache_bytes_reserved_total counter\nmuaibench_kv_cache_bytes_reserved_total{model=\"m\"} %d\n", reserved.Load())
		fmt.Fprintln(w, "# TYPE muaibench_kv_cache_bytes_capacity gauge\nmuaibench_kv_cache_bytes_capacity{model=\"m\"} 1e9")
	}))
	t.Cleanup(srv.Close)
	c := &memClient{onDo: func(ctx context.Context, req engine.Request) {
		in, _ := strconv.Atoi(req.Prompt)
		n := int64((in+req.MaxTokens+block-1)/block*block) * perToken
		reserved.Add(n)
		if instant {
			return
		}
		used.Store(n)
		select { // long enough for several scrapes
		case <-time.After(60 * time.Millisecond):
		case <-ctx.Done():
		}
		used.Store(0)
	}}
	return srv, c
}

func TestMemoryKVCache(t *testing.T) {
	const perToken = 73728 // gpt2: 2 × 12 × 12 × 64 × 4
	layout := &config.KVLayout{Layers: 12, KVHeads: 12, HeadDim: 64, BytesPerValue: 4}
	for _, tc := range []struct{ expose, instant bool }{{true, false}, {true, true}, {false, false}} {
		expose := tc.expose
		t.Run(fmt.Sprintf("metrics=%v/instant=%v", expose, tc.instant), func(t *testing.T) {
			srv, client := kvServer(t, perToken, 16, expose, tc.instant)
			cfg := memConfig()
			cfg.Benchmark.Latency.InputLengths = []int{128, 512, 1024}
			cfg.Benchmark.Latency.OutputLengths = []int{64, 128, 256}
			res, err := Memory(context.Background(), MemoryOptions{
				Config: cfg,
				Parts:  MemoryParts{KVCache: true},
				Open: func(context.Context) (*MemoryEngine, error) {
					return &MemoryEngine{Client: client, Prompts: countPrompts, URL: srv.URL, ContextLen: 1024,
						KVBlockTokens: 16, KVLayout: layout}, nil
				},
			})
			if err != nil {
				t.Fatal(err)
			}
			kv := res.Scenarios[0].Memory.KV
			if kv == nil || math.Abs(kv.BytesPerToken-perToken) > 1e-9 || kv.Estimated == expose {
				t.Fatalf("got %+v, want %d bytes/token, estimated %v", kv, perToken, !expose)
			}
			want := []report.KVLength{
				{Tokens: 192, Bytes: 192 * perToken, Measured: expose},
				{Tokens: 640, Bytes: 640 * perToken, Measured: expose},
				{Tokens: 1280, Bytes: 1280 * perToken},
			}
			if expose {
				want[2].Note = "longer than the model's context of 1024 tokens"
			}
			for i, w := range want {
				if kv.Lengths[i] != w {
					t.Errorf("length %d: got %+v, want %+v", i, kv.Lengths[i], w)
				}
			}
			if !expose && !strings.Contains(kv.Basis, "2 × 12 layers × 12 kv heads × 64 head size × 4 bytes") {
				t.Errorf("got basis %q, want the architecture formula", kv.Basis)
			}
		})
	}
}

func TestMemoryInference(t *testing.T) {
	var reads atomic.Int64
	client := &memClient{}
	res, err := Memory(context.Background(), MemoryOptions{
		Config: memConfig(),
		Parts:  MemoryParts{Inference: true},
		Open: func(context.Context) (*MemoryEngine, error) {
			return &MemoryEngine{Client: client, Prompts: countPrompts}, nil
		},
		Read: func(context.Context, *MemoryEngine) (MemoryReading, error) {
			n := reads.Add(1)
			return MemoryReading{RSS: 100<<20 + (n-1)*(8<<20), Source: "fake", GPUReason: "no GPU: fake"}, nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	m := res.Scenarios[0]
	if m.Name != "M4" || client.calls.Load() != 4 || m.Summary.Succeeded != 4 {
		t.Fatalf("got %s with %d requests (%d ok), want M4 with 4", m.Name, client.calls.Load(), m.Summary.Succeeded)
	}
	if m.Memory.BeforeRSSBytes != 100<<20 || m.Memory.AfterRSSBytes != 108<<20 || m.Memory.DeltaRSSBytes != 8<<20 || m.Memory.PeakRSSBytes != 108<<20 {
		t.Errorf("got %+v, want before 100 MiB, after and peak 108 MiB", *m.Memory)
	}
}

func TestMemoryInterruptStopsTheEngine(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stops atomic.Int64
	client := &memClient{}
	client.onDo = func(context.Context, engine.Request) {
		if client.calls.Load() == 20 {
			cancel()
		}
	}
	res, err := Memory(ctx, MemoryOptions{
		Config: memConfig(),
		Parts:  MemoryParts{Leak: true},
		Open: func(context.Context) (*MemoryEngine, error) {
			return &MemoryEngine{Client: client, Prompts: countPrompts, Stop: func() { stops.Add(1) }}, nil
		},
		Read: func(context.Context, *MemoryEngine) (MemoryReading, error) { return MemoryReading{RSS: 1 << 20}, nil },
	})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Interrupted || stops.Load() != 1 {
		t.Errorf("got interrupted %v, %d stops; want true, 1", res.Interrupted, stops.Load())
	}
}

// A garbage-collected engine's memory climbs to its collector's target
// and stays: the warm-up waits it out and M6 passes. A leak never gets
// steady: the warm-up stops at its maximum and M6 fails.
func TestMemoryLeakWarmupWaitsForSteadyMemory(t *testing.T) {
	tests := []struct {
		name       string
		rss        func(read int64) int64
		wantWarmup int
		steady     bool
		verdict    string
	}{
		{"collector ramp", func(n int64) int64 { return 500<<20 + min(n, 50)*(12<<20) }, 59, true, "pass"},
		{"leak", func(n int64) int64 { return 500<<20 + n*(12<<20) }, 80, false, "fail"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var reads atomic.Int64
			cfg := memConfig()
			cfg.Benchmark.Memory.LeakWarmupMax = 80
			clock := &fakeClock{t: time.Unix(1e9, 0), step: 10 * time.Second}
			res, err := Memory(context.Background(), MemoryOptions{
				Config: cfg,
				Parts:  MemoryParts{Leak: true},
				Open: func(context.Context) (*MemoryEngine, error) {
					return &MemoryEngine{Client: &memClient{}, Prompts: countPrompts}, nil
				},
				Read: func(context.Context, *MemoryEngine) (MemoryReading, error) {
					return MemoryReading{RSS: tt.rss(reads.Add(1) - 1), Source: "/proc: fake", GPUReason: "no GPU: fake"}, nil
				},
				Now: clock.Now,
			})
			if err != nil {
				t.Fatal(err)
			}
			d := res.Scenarios[0].Memory.Drift
			// Read 0 is the availability check; warm-up read i is read i+1.
			if d.Warmup != tt.wantWarmup || d.WarmupSteady != tt.steady || d.Verdict != tt.verdict {
				t.Errorf("got warm-up %d steady %v verdict %s (%s); want %d %v %s", d.Warmup, d.WarmupSteady, d.Verdict, d.Reason, tt.wantWarmup, tt.steady, tt.verdict)
			}
		})
	}
}

// A length the engine refuses gets a note, not a failed run.
func TestMemoryKVCacheRefusedLength(t *testing.T) {
	srv, client := kvServer(t, 1024, 16, true, false)
	client.maxPrompt = 1024
	cfg := memConfig()
	cfg.Benchmark.Latency.InputLengths = []int{128, 1024}
	cfg.Benchmark.Latency.OutputLengths = []int{64, 256}
	res, err := Memory(context.Background(), MemoryOptions{
		Config: cfg,
		Parts:  MemoryParts{KVCache: true},
		Open: func(context.Context) (*MemoryEngine, error) {
			return &MemoryEngine{Client: client, Prompts: countPrompts, URL: srv.URL, KVBlockTokens: 16}, nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	kv := res.Scenarios[0].Memory.KV
	if !kv.Lengths[0].Measured || kv.BytesPerToken != 1024 {
		t.Errorf("got %+v, want 192 tokens measured at 1024 bytes/token", kv)
	}
	if l := kv.Lengths[1]; l.Measured || !strings.HasPrefix(l.Note, "the request failed: engine: HTTP 400") || l.Bytes != 1280*1024 {
		t.Errorf("got %+v, want the refusal noted and the bytes extrapolated", l)
	}
}
