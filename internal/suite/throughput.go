package suite

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/muaibench/muaibench/internal/config"
	"github.com/muaibench/muaibench/internal/engine"
	"github.com/muaibench/muaibench/internal/load"
	"github.com/muaibench/muaibench/internal/metrics"
	"github.com/muaibench/muaibench/internal/report"
	"github.com/muaibench/muaibench/internal/sysinfo"
)

// ThroughputOptions configures a throughput run.
type ThroughputOptions struct {
	Config *config.Config
	Client engine.Client
	Engine report.EngineInfo
	// Prompts, Count and ContextLen are as in LatencyOptions.
	Prompts    Prompts
	Count      metrics.Counter
	ContextLen int
	// Concurrency runs T1–T5 (closed loop at each of
	// throughput.concurrent_requests), Batch T6 (one request of B prompts
	// at a time for each of throughput.batch_sizes), Dynamic T7
	// (concurrency 4 against the engine's batching and a reference
	// without it), Sweep the rate sweep.
	Concurrency, Batch, Dynamic, Sweep bool
	// Unbatched opens the same engine with its batching off, for T7's
	// reference, and returns a function that closes it. Nil makes the
	// reference one request at a time on Client.
	Unbatched func(ctx context.Context) (engine.Client, func(), error)
	Records   *report.RecordWriter
	Progress  LoadProgress
	// System is the machine's description; nil collects it.
	System *sysinfo.Info
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// dynamicConcurrency is T7's concurrency (the plan's).
const dynamicConcurrency = 4

// Throughput runs the plan's throughput scenarios. When ctx is cancelled
// it stops at once and returns what finished, with Interrupted set; the
// error is then nil.
func Throughput(ctx context.Context, o ThroughputOptions) (*report.Result, error) {
	now := o.Now
	if now == nil {
		now = time.Now
	}
	tc := o.Config.Benchmark.Throughput
	res := newResult("throughput", o.Config, o.Engine, now())
	if o.System != nil {
		res.System = *o.System
	} else {
		res.System = sysinfo.Collect()
	}
	cpu0 := load.ProcessCPU()
	env := &loadEnv{cfg: o.Config, client: o.Client, model: o.Engine.Model, prompts: o.Prompts, count: o.Count,
		records: o.Records, progress: o.Progress, gpus: len(res.System.GPU.Devices)}
	an := &report.ThroughputAnalysis{}
	res.Throughput = an
	add := func(sc loadScenario) (*report.Scenario, error) {
		if o.ContextLen > 0 && sc.input+sc.output > o.ContextLen {
			res.Scenarios = append(res.Scenarios, report.Scenario{
				Scenario: config.Scenario{Name: sc.name, InputTokens: sc.input, OutputTokens: sc.output},
				Skipped:  fmt.Sprintf("%d prompt + %d output tokens exceed the model's context of %d", sc.input, sc.output, o.ContextLen),
			})
			return nil, nil
		}
		out, _, warns, err := env.run(ctx, sc)
		if err != nil {
			return nil, err
		}
		res.Scenarios = append(res.Scenarios, out)
		res.Warnings = append(res.Warnings, warns...)
		return &res.Scenarios[len(res.Scenarios)-1], nil
	}
	base := loadScenario{input: tc.InputLength, output: tc.OutputLength, warmup: tc.Warmup, duration: tc.Duration}
	closedAt := func(name string, c, b int) loadScenario {
		sc := base
		sc.name, sc.concurrency, sc.batch = name, c, b
		return sc
	}

	var conc []*report.Scenario
	if o.Concurrency {
		for i, c := range tc.ConcurrentRequests {
			if ctx.Err() != nil {
				break
			}
			s, err := add(closedAt("T"+strconv.Itoa(i+1), c, 1))
			if err != nil {
				return nil, err
			}
			if s != nil {
				conc = append(conc, s)
			}
		}
		analyseConcurrency(an, conc)
	}
	if o.Batch {
		for _, b := range tc.BatchSizes {
			if ctx.Err() != nil {
				break
			}
			if _, err := add(closedAt("T6-b"+strconv.Itoa(b), 1, b)); err != nil {
				return nil, err
			}
		}
	}
	if o.Dynamic && ctx.Err() == nil {
		if err := dynamic(ctx, o, add, closedAt, an); err != nil {
			return nil, err
		}
	}
	if o.Sweep && ctx.Err() == nil {
		if err := sweep(ctx, o, env, res, add, base, an); err != nil {
			return nil, err
		}
	}
	if an.PeakScenario == "" && an.BatchingGain == nil && an.RateSweep == nil {
		res.Throughput = nil
	}
	finish(res, now(), cpu0, ctx.Err() != nil)
	return res, nil
}

// analyseConcurrency names the peak, the saturation point and each
// scenario's scaling efficiency.
func analyseConcurrency(an *report.ThroughputAnalysis, conc []*report.Scenario) {
	var ran []*report.Scenario
	for _, s := range conc {
		if s.Summary.Succeeded > 0 {
			ran = append(ran, s)
		}
	}
	if len(ran) == 0 {
		return
	}
	ref := ran[0]
	perWorker := ref.Summary.RequestThroughput / float64(ref.Load.Concurrency)
	for i, s := range ran {
		x := s.Summary.RequestThroughput
		if x > an.PeakRequestsPerS {
			an.PeakRequestsPerS, an.PeakScenario = x, s.Name
		}
		if perWorker > 0 {
			s.Figures.ScalingEfficiency = x / (float64(s.Load.Concurrency) * perWorker)
		}
		if i == 0 || an.SaturationConcurrency != 0 {
			continue
		}
		prev := ran[i-1]
		gain := x/prev.Summary.RequestThroughput - 1
		rise := s.Summary.E2E.Mean/prev.Summary.E2E.Mean - 1
		if gain < 0.05 && rise > 0 {
			an.SaturationConcurrency = prev.Load.Concurrency
			an.Saturation = fmt.Sprintf("saturates at concurrency %d: going to %d changed request throughput by %+.1f%% while mean latency rose %.1f%%",
				prev.Load.Concurrency, s.Load.Concurrency, 100*gain, 100*rise)
		}
	}
	if an.SaturationConcurrency == 0 {
		last := ran[len(ran)-1]
		an.Saturation = fmt.Sprintf("not saturated up to concurrency %d: each step gained at least 5%% throughput (or latency did not rise)", last.Load.Concurrency)
	}
}

// dynamic runs T7: concurrency 4 against the engine's own batching, and
// the same load against a reference without it.
func dynamic(ctx context.Context, o ThroughputOptions, add func(loadScenario) (*report.Scenario, error),
	closedAt func(string, int, int) loadScenario, an *report.ThroughputAnalysis) error {
	batched, err := add(closedAt("T7", dynamicConcurrency, 1))
	if err != nil || batched == nil || ctx.Err() != nil {
		return err
	}
	ref := closedAt("T7-ref", dynamicConcurrency, 1)
	gain := &report.BatchingGain{Concurrency: dynamicConcurrency}
	if o.Unbatched != nil {
		client, closeRef, err := o.Unbatched(ctx)
		if err != nil {
			return fmt.Errorf("T7: starting the engine without batching: %w", err)
		}
		defer closeRef()
		ref.client, ref.engineNote = client, "the same engine with --no-batching"
		gain.Reference = fmt.Sprintf("the same engine with --no-batching, at concurrency %d", dynamicConcurrency)
	} else {
		ref.concurrency, ref.engineNote = 1, "one request at a time"
		gain.Reference = "the same engine, one request at a time (its batching cannot be switched off from here)"
	}
	r, err := add(ref)
	if err != nil || r == nil {
		return err
	}
	gain.BatchedRPS, gain.ReferenceRPS = batched.Summary.RequestThroughput, r.Summary.RequestThroughput
	if gain.ReferenceRPS > 0 {
		gain.Gain = gain.BatchedRPS / gain.ReferenceRPS
	}
	an.BatchingGain = gain
	return nil
}

// Sweep pass criteria.
const (
	sweepGoodRatio = 0.95
	sweepErrorRate = 0.01
)

// sweep searches for the highest Poisson request rate the engine serves
// within the SLOs: from the measured capacity, double while probes pass,
// then bisect between the best pass and the lowest failure, for at most
// throughput.sweep_probes probes.
func sweep(ctx context.Context, o ThroughputOptions, env *loadEnv, res *report.Result,
	add func(loadScenario) (*report.Scenario, error), base loadScenario, an *report.ThroughputAnalysis) error {
	tc := o.Config.Benchmark.Throughput
	capacity := an.PeakRequestsPerS
	if capacity <= 0 {
		c := tc.ConcurrentRequests[len(tc.ConcurrentRequests)-1]
		sc := base
		sc.name, sc.concurrency = "sweep-capacity", c
		s, err := add(sc)
		if err != nil || s == nil {
			return err
		}
		capacity = s.Summary.RequestThroughput
	}
	slo := o.Config.Benchmark.SLO
	criterion := fmt.Sprintf("at least %.0f%% of requests succeed within every SLO (%s) and at most %.0f%% fail; Poisson arrivals, seed %d",
		100*sweepGoodRatio, sloText(slo), 100*sweepErrorRate, o.Config.Benchmark.Latency.Seed)
	sw := &report.RateSweep{Criterion: criterion}
	an.RateSweep = sw
	if capacity <= 0 {
		res.Warnings = append(res.Warnings, "rate sweep: no request completed while measuring capacity; nothing to sweep")
		return nil
	}
	lo, hi := 0.0, math.Inf(1)
	rate := capacity
	for i := range tc.SweepProbes {
		if ctx.Err() != nil {
			break
		}
		p, err := newProbePacer(rate, uint64(o.Config.Benchmark.Latency.Seed))
		if err != nil {
			return err
		}
		sc := base
		sc.name = fmt.Sprintf("sweep-%d", i+1)
		sc.pacer, sc.rate, sc.profile, sc.concurrency = p, rate, p.String(), openLoopCap
		sc.drain = max(tc.Duration, time.Second)
		s, err := add(sc)
		if err != nil || s == nil {
			return err
		}
		probe := judgeProbe(s, rate)
		sw.Probes = append(sw.Probes, probe)
		if probe.Pass {
			lo = rate
		} else {
			hi = rate
		}
		if math.IsInf(hi, 1) {
			rate = 2 * rate
		} else {
			rate = (lo + hi) / 2
		}
	}
	sw.BestRatePerS = lo
	return nil
}

func newProbePacer(rate float64, seed uint64) (*load.ShapedPacer, error) {
	return load.NewPacer(load.Flat(rate), load.Arrivals{Kind: "poisson", Seed: seed})
}

// judgeProbe decides whether a sweep probe sustained its rate.
func judgeProbe(s *report.Scenario, rate float64) report.Probe {
	m := s.Summary
	p := report.Probe{
		Scenario: s.Name, RatePerS: rate, AchievedRPS: m.RequestThroughput,
		GoodputRatio: s.Figures.GoodputRatio, ErrorRate: s.Figures.ErrorRate,
		TTFTP99Ms: m.TTFT.P99, E2EP99Ms: m.E2E.P99,
	}
	switch {
	case m.Requests == 0:
		p.Reason = "no request was measured"
	case p.ErrorRate > sweepErrorRate:
		p.Reason = fmt.Sprintf("%.1f%% of requests failed (limit %.0f%%)", 100*p.ErrorRate, 100*sweepErrorRate)
	case p.GoodputRatio < sweepGoodRatio:
		p.Reason = fmt.Sprintf("only %.1f%% of requests met the SLOs (need %.0f%%); TTFT P99 %.0f ms, E2E P99 %.0f ms",
			100*p.GoodputRatio, 100*sweepGoodRatio, m.TTFT.P99, m.E2E.P99)
	default:
		p.Pass = true
		p.Reason = fmt.Sprintf("%.1f%% of requests met the SLOs", 100*p.GoodputRatio)
	}
	if s.Generator != nil && s.Generator.Bottleneck {
		p.Reason += "; the client may have been the bottleneck"
	}
	return p
}

func sloText(s config.SLO) string {
	var parts []string
	if s.TTFT > 0 {
		parts = append(parts, "TTFT ≤ "+s.TTFT.String())
	}
	if s.TPOT > 0 {
		parts = append(parts, "TPOT ≤ "+s.TPOT.String())
	}
	if s.E2E > 0 {
		parts = append(parts, "E2E ≤ "+s.E2E.String())
	}
	if len(parts) == 0 {
		return "none configured: success only"
	}
	out := parts[0]
	for _, p := range parts[1:] {
		out += ", " + p
	}
	return out
}
