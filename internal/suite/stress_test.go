package suite

import (
	"bytes"
	"context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/muaibench/muaibench/internal/engine/enginetest"
	"github.com/muaibench/muaibench/internal/load"
	"github.com/muaibench/muaibench/internal/metrics"
	"github.com/muaibench/muaibench/internal/report"
)

// win builds a measured window of the given P95 latency.
func win(i int, p95 float64, phase string) report.Window {
	return report.Window{Index: i, StartS: float64(i) * 10, EndS: float64(i+1) * 10, Requests: 100, E2EP95Ms: p95, Phase: phase}
}

// TestRecoveryAfterAnInjectedSlowdown: P95 is 100 ms before a burst
// from 30 s to 40 s, 900 ms during it, then falls back: 400 ms, 150 ms,
// 108 ms (within 10%). Recovery is found at the end of that window.
func TestRecoveryAfterAnInjectedSlowdown(t *testing.T) {
	t.Parallel()
	ws := []report.Window{
		win(0, 500, "warmup"), win(1, 100, "base"), win(2, 104, "base"), win(3, 900, "burst"),
		win(4, 400, "recovery"), win(5, 150, "recovery"), win(6, 108, "recovery"), win(7, 101, "recovery"),
	}
	h := recovery(ws, 30, 40)
	if h.Status != "pass" || h.Value != 30 || math.Abs(h.Limit-102*1.1) > 1e-9 {
		t.Errorf("got %+v, want pass after 30 s with limit 112.2 ms", h)
	}
	h = recovery(ws[:6], 30, 40)
	if h.Status != "fail" || h.Value != -1 || !strings.Contains(h.Detail, "did not come back") {
		t.Errorf("got %+v, want not recovered", h)
	}
	if h := recovery(ws[3:], 30, 40); h.Status != "n/a" {
		t.Errorf("got %+v, want n/a without a window before the burst", h)
	}
}

func TestDegradation(t *testing.T) {
	t.Parallel()
	flat := []report.Window{win(0, 300, "warmup"), win(1, 100, ""), win(2, 101, ""), win(3, 99, ""), win(4, 100, "")}
	rising := []report.Window{win(0, 100, ""), win(1, 110, ""), win(2, 120, ""), win(3, 130, "")}
	if h := degradation(flat, true); h.Status != "pass" || math.Abs(h.Value) > 0.02 {
		t.Errorf("flat: got %+v, want pass near 0", h)
	}
	// Slope 1 ms/s over 30 s, mean 115 ms: +26% over the run.
	if h := degradation(rising, true); h.Status != "fail" || math.Abs(h.Value-30.0/115) > 1e-9 {
		t.Errorf("rising: got %+v, want fail at 0.261", h)
	}
	if h := degradation(rising, false); h.Status != "n/a" {
		t.Errorf("rising under variable load: got %+v, want n/a", h)
	}
	if h := degradation(rising[:2], true); h.Status != "n/a" {
		t.Errorf("two windows: got %+v, want n/a", h)
	}
}

func TestHealthCrashHangErrors(t *testing.T) {
	t.Parallel()
	dead := []report.Window{win(0, 100, ""), {Index: 1, Requests: 7, Errors: 7, ConnectionErrors: 7}}
	hs := health(healthInput{windows: dead, reqs: 107, errors: 7, rep: load.Report{Stalled: true, StallDetail: "no request completed for 1m"}, constantLoad: true})
	got := map[string]string{}
	for _, h := range hs {
		got[h.Check] = h.Status
	}
	want := map[string]string{"crash": "fail", "hang": "fail", "latency_degradation": "n/a", "error_rate": "fail"}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: got %s, want %s (all: %v)", k, got[k], v, got)
		}
	}
	if _, ok := got["recovery"]; ok {
		t.Error("recovery judged without a burst")
	}
}

// TestWindowerCountsByCompletion feeds records and ticks by hand.
func TestWindowerCountsByCompletion(t *testing.T) {
	t.Parallel()
	t0 := time.Unix(100, 0)
	var got []report.Window
	w := &windower{scenario: "S1", size: time.Second, warmup: time.Second, emit: func(x report.Window) { got = append(got, x) },
		memory: func() int64 { return 42 }}
	w.Begin(t0)
	rec := func(startMs, e2eMs float64, fail bool) *metrics.Record {
		r := &metrics.Record{Start: t0.Add(time.Duration(startMs * float64(time.Millisecond))), E2EMs: e2eMs, TTFTMs: e2eMs / 2, Chunks: 1, OutputTokens: 10}
		if fail {
			r.Error, r.ErrorKind = "boom", "connection"
		}
		return r
	}
	w.Add(rec(100, 200, false)) // ends 0.3 s: window 0
	w.Add(rec(900, 300, false)) // ends 1.2 s: window 1
	w.Add(rec(1000, 500, true)) // ends 1.5 s: window 1
	w.Tick(load.Snapshot{Elapsed: 2100 * time.Millisecond, InFlight: 3})
	w.Add(rec(2000, 3000, false)) // ends 5 s: windows 2–4 close empty
	w.Tick(load.Snapshot{Elapsed: 5500 * time.Millisecond, Final: true})
	if len(got) != 6 {
		t.Fatalf("got %d windows %+v, want 6", len(got), got)
	}
	if got[0].Phase != "warmup" || got[0].Requests != 1 || got[1].Requests != 2 || got[1].Errors != 1 || got[1].ConnectionErrors != 1 ||
		got[1].RequestsPerS != 1 || got[1].OutputTokensPerS != 10 || got[1].E2EP95Ms != 300 || got[1].InFlight != 3 || got[1].EngineMemoryBytes != 42 {
		t.Errorf("got windows 0, 1: %+v %+v", got[0], got[1])
	}
	if got[3].Requests != 0 || got[5].Requests != 1 || got[5].EndS != 5.5 || got[5].StartS != 5 {
		t.Errorf("got windows 3, 5: %+v %+v; want an empty one and the final partial one", got[3], got[5])
	}
}

func TestStressAgainstFakeEngine(t *testing.T) {
	t.Parallel()
	_, client := fakeClient(t, enginetest.Options{TTFT: 3 * time.Millisecond, ITL: time.Millisecond, PromptTokens: 16})
	cfg := loadConfig()
	cfg.Benchmark.Throughput.Duration = 200 * time.Millisecond
	dir := t.TempDir()
	ww, err := report.CreateWindows(filepath.Join(dir, "w.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	var checkpoints atomic.Int64
	res, err := Stress(context.Background(), StressOptions{
		Config: cfg, Client: client, Engine: report.EngineInfo{Model: "fake-model"}, Prompts: prompts, System: noGPU,
		Scenarios: []string{"S1", "S3", "S4", "S5"}, Duration: 600 * time.Millisecond, Windows: ww,
		EngineMemory: func() int64 { return 1 << 20 },
		Checkpoint:   func(*report.Result) error { checkpoints.Add(1); return nil },
	})
	if err != nil {
		t.Fatal(err)
	}
	ww.Close()
	if res.Stress == nil || res.Stress.CapacityRPS <= 0 || !strings.HasPrefix(res.Stress.CapacitySource, "measured") {
		t.Fatalf("got stress info %+v, want a measured capacity", res.Stress)
	}
	if len(res.Scenarios) != 5 || res.Scenarios[0].Name != "capacity" {
		t.Fatalf("got %d scenarios, want capacity then S1 S3 S4 S5", len(res.Scenarios))
	}
	total := 0
	for _, s := range res.Scenarios[1:] {
		total += len(s.Windows)
		if len(s.Windows) < 6 || s.Summary.Requests == 0 || s.Summary.Errors != 0 || s.Windows[1].EngineMemoryBytes != 1<<20 {
			t.Errorf("%s: got %d windows, %d requests, %d errors", s.Name, len(s.Windows), s.Summary.Requests, s.Summary.Errors)
		}
		checks := map[string]string{}
		for _, h := range s.Health {
			checks[h.Check] = h.Status
		}
		if checks["crash"] != "pass" || checks["hang"] != "pass" || checks["error_rate"] != "pass" {
			t.Errorf("%s: got health %+v", s.Name, s.Health)
		}
		if _, ok := checks["recovery"]; ok != (s.Name == "S3") {
			t.Errorf("%s: recovery judged %v", s.Name, ok)
		}
	}
	s3 := res.Scenarios[2]
	if want := 0.5 * res.Stress.CapacityRPS; math.Abs(s3.Windows[1].TargetRatePerS-want) > 1e-6*want {
		t.Errorf("S3 base window target %g, want half the capacity %g", s3.Windows[1].TargetRatePerS, want)
	}
	s5 := res.Scenarios[4]
	if s5.Load.Batch != 3 || s5.Load.Concurrency != 2 || s5.InputTokens != 2048 {
		t.Errorf("S5: got batch %d concurrency %d input %d, want 3 2 2048", s5.Load.Batch, s5.Load.Concurrency, s5.InputTokens)
	}
	data, _ := os.ReadFile(filepath.Join(dir, "w.jsonl"))
	onDisk, err := report.ReadWindows(bytes.NewReader(data))
	if err != nil || len(onDisk) != total {
		t.Errorf("got %d windows on disk (%v), want %d", len(onDisk), err, total)
	}
	if checkpoints.Load() == 0 {
		t.Error("no checkpoint")
	}
}

func TestStressStopsOnACrash(t *testing.T) {
	t.Parallel()
	_, client := fakeClient(t, enginetest.Options{TTFT: time.Millisecond})
	cfg := loadConfig()
	cfg.Benchmark.Stress.Capacity = 50
	var calls atomic.Int64
	start := time.Now()
	res, err := Stress(context.Background(), StressOptions{
		Config: cfg, Client: client, Prompts: prompts, System: noGPU, Scenarios: []string{"S2"}, Duration: time.Minute,
		EngineAlive: func() error {
			if calls.Add(1) >= 2 {
				return errors.New("engine process exited: signal: killed")
			}
			return nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if time.Since(start) > 30*time.Second {
		t.Errorf("the run went on for %s after the crash", time.Since(start))
	}
	s := res.Scenarios[0]
	if s.Health[0].Check != "crash" || s.Health[0].Status != "fail" || !strings.Contains(s.Health[0].Detail, "killed") || res.Interrupted {
		t.Errorf("got health %+v, interrupted %v; want a crash, not an interruption", s.Health, res.Interrupted)
	}
	if res.Stress.CapacitySource != "given" || s.Load.RatePerS != 50 {
		t.Errorf("got capacity %+v rate %g, want the given 50/s", res.Stress, s.Load.RatePerS)
	}
}

func TestStressInterruptedKeepsWindows(t *testing.T) {
	t.Parallel()
	_, client := fakeClient(t, enginetest.Options{TTFT: time.Millisecond})
	cfg := loadConfig()
	cfg.Benchmark.Stress.Capacity = 100
	ctx, cancel := context.WithCancel(context.Background())
	res, err := Stress(ctx, StressOptions{Config: cfg, Client: client, Prompts: prompts, System: noGPU, Scenarios: []string{"S1", "S2"},
		Progress: func(_ string, s load.Snapshot) {
			if s.Elapsed > 1200*time.Millisecond {
				cancel()
			}
		}})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Interrupted || len(res.Scenarios) != 1 || len(res.Scenarios[0].Windows) < 10 || res.Scenarios[0].Summary.Requests == 0 {
		t.Errorf("got interrupted %v, %d scenarios; want S1 alone with its windows", res.Interrupted, len(res.Scenarios))
	}
	if _, err := Stress(ctx, StressOptions{Config: cfg, Scenarios: []string{"S9"}}); err == nil {
		t.Error("unknown scenario: got no error")
	}
}
