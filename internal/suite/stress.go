package suite

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/muaibench/muaibench/internal/config"
	"github.com/muaibench/muaibench/internal/engine"
	"github.com/muaibench/muaibench/internal/load"
	"github.com/muaibench/muaibench/internal/metrics"
	"github.com/muaibench/muaibench/internal/report"
	"github.com/muaibench/muaibench/internal/sysinfo"
)

// StressScenarios are the plan's stress scenarios.
var StressScenarios = []string{"S1", "S2", "S3", "S4", "S5"}

// StressOptions configures a stress run. The sustained load is
// benchmark.stress.load percent of the capacity, which is
// benchmark.stress.capacity or, when that is 0, measured first.
type StressOptions struct {
	Config *config.Config
	Client engine.Client
	Engine report.EngineInfo
	// Prompts, Count and ContextLen are as in LatencyOptions.
	Prompts    Prompts
	Count      metrics.Counter
	ContextLen int
	// Scenarios are the ones to run, of StressScenarios: S1 sustained
	// load, S2 peak (100%), S3 a burst to 200%, S4 variable load, S5
	// memory stress (largest batches, longest prompts).
	Scenarios []string
	// Duration replaces every scenario's own (S1 and S5:
	// stress.duration; S2 10 min; S3 5 min; S4 24 h); 0 keeps them.
	Duration time.Duration
	// Windows receives every window as it closes; may be nil.
	Windows *report.WindowWriter
	// EngineMemory returns the engine's resident bytes (0 when unknown);
	// EngineAlive returns an error once the engine process has exited.
	// Both may be nil (an engine muaibench did not launch).
	EngineMemory func() int64
	EngineAlive  func() error
	// Checkpoint is given the result so far, at most once a minute while
	// windows close, so that a killed run leaves a readable result.
	Checkpoint func(*report.Result) error
	Records    *report.RecordWriter
	Progress   LoadProgress
	System     *sysinfo.Info
	Now        func() time.Time
}

// The plan's stress durations, where the configuration has none.
var stressDurations = map[string]time.Duration{"S2": 10 * time.Minute, "S3": 5 * time.Minute, "S4": 24 * time.Hour}

// Burst shape of S3, as shares of the scenario's duration, and its peak.
const (
	burstAt    = 0.3
	burstWidth = 0.1
	burstPeak  = 2.0
)

// checkpointEvery bounds how often Checkpoint is called.
const checkpointEvery = time.Minute

// Stress runs the selected stress scenarios. When ctx is cancelled it
// stops at once and returns what finished, windows included, with
// Interrupted set; the error is then nil.
func Stress(ctx context.Context, o StressOptions) (*report.Result, error) {
	now := o.Now
	if now == nil {
		now = time.Now
	}
	for _, s := range o.Scenarios {
		if !slices.Contains(StressScenarios, s) {
			return nil, fmt.Errorf("stress: unknown scenario %q (have %v)", s, StressScenarios)
		}
	}
	b := o.Config.Benchmark
	if in, out := b.Throughput.InputLength, b.Throughput.OutputLength; o.ContextLen > 0 && in+out > o.ContextLen &&
		slices.ContainsFunc(o.Scenarios, func(s string) bool { return s != "S5" }) {
		return nil, fmt.Errorf("stress: %d prompt + %d output tokens (throughput.input_length, output_length) exceed the model's context of %d", in, out, o.ContextLen)
	}
	res := newResult("stress", o.Config, o.Engine, now())
	if o.System != nil {
		res.System = *o.System
	} else {
		res.System = sysinfo.Collect()
	}
	cpu0 := load.ProcessCPU()
	env := &loadEnv{cfg: o.Config, client: o.Client, model: o.Engine.Model, prompts: o.Prompts, count: o.Count,
		records: o.Records, progress: o.Progress, gpus: len(res.System.GPU.Devices)}
	info := &report.StressInfo{CapacityRPS: b.Stress.Capacity, CapacitySource: "given", WindowS: b.Stress.Window.Seconds()}
	res.Stress = info
	maxConc := slices.Max(b.Throughput.ConcurrentRequests)

	needsCapacity := slices.ContainsFunc(o.Scenarios, func(s string) bool { return s != "S5" })
	if needsCapacity && info.CapacityRPS <= 0 {
		sc := loadScenario{name: "capacity", input: b.Throughput.InputLength, output: b.Throughput.OutputLength,
			concurrency: maxConc, warmup: b.Throughput.Warmup, duration: b.Throughput.Duration, stall: b.Stress.StallTimeout}
		out, _, warns, err := env.run(ctx, sc)
		if err != nil {
			return nil, err
		}
		res.Scenarios = append(res.Scenarios, out)
		res.Warnings = append(res.Warnings, warns...)
		info.CapacityRPS = out.Summary.RequestThroughput
		info.CapacitySource = fmt.Sprintf("measured: closed loop at concurrency %d for %s", maxConc, b.Throughput.Duration)
		if info.CapacityRPS <= 0 && ctx.Err() == nil {
			return nil, errors.New("stress: no request completed while measuring the engine's capacity")
		}
	}
	for _, name := range o.Scenarios {
		if ctx.Err() != nil {
			break
		}
		if err := runStress(ctx, o, env, res, name, info.CapacityRPS, maxConc, now); err != nil {
			return nil, err
		}
	}
	finish(res, now(), cpu0, ctx.Err() != nil)
	return res, nil
}

// runStress runs one stress scenario and appends it to res.
func runStress(ctx context.Context, o StressOptions, env *loadEnv, res *report.Result, name string,
	capacity float64, maxConc int, now func() time.Time) error {
	b := o.Config.Benchmark
	d := b.Stress.Duration
	if sd, ok := stressDurations[name]; ok {
		d = sd
	}
	if o.Duration > 0 {
		d = o.Duration
	}
	warm := b.Throughput.Warmup
	share := float64(b.Stress.Load) / 100
	seed := uint64(b.Latency.Seed)
	sc := loadScenario{name: name, input: b.Throughput.InputLength, output: b.Throughput.OutputLength,
		warmup: warm, duration: d, stall: b.Stress.StallTimeout, concurrency: openLoopCap,
		drain: min(b.Latency.Timeout, max(b.Stress.Window, 30*time.Second))}
	hin := healthInput{constantLoad: true}
	var phase func(time.Duration) string
	var shape load.Shape
	switch name {
	case "S1":
		shape = load.Flat(share * capacity)
	case "S2":
		shape = load.Flat(capacity)
	case "S3":
		at, width := warm+time.Duration(burstAt*float64(d)), time.Duration(burstWidth*float64(d))
		shape = load.Spike(capacity, share, burstPeak, at, width)
		hin.constantLoad, hin.burstStartS, hin.burstEndS = false, at.Seconds(), (at + width).Seconds()
		phase = func(t time.Duration) string {
			switch {
			case t < at:
				return "base"
			case t < at+width:
				return "burst"
			}
			return "recovery"
		}
	case "S4":
		period := min(max(d/4, 6*b.Stress.Window), time.Hour)
		shape = load.Sine(capacity, 0.5, 0.4, period)
		hin.constantLoad = false
	case "S5":
		sc.concurrency, sc.batch = maxConc, slices.Max(b.Throughput.BatchSizes)
		sc.input = longestFitting(b.Latency.InputLengths, sc.output, o.ContextLen)
		sc.drain = 0
	}
	if shape != nil {
		p, err := load.NewPacer(shape, load.Arrivals{Kind: "poisson", Seed: seed})
		if err != nil {
			return err
		}
		sc.pacer, sc.profile = p, p.String()
		sc.rate = shape.Hits(warm+d) / (warm + d).Seconds()
	}

	// The scenario in progress, for checkpoints; its windows grow as they
	// close.
	cur := report.Scenario{Scenario: config.Scenario{Name: name, InputTokens: sc.input, OutputTokens: sc.output}}
	var lastCheckpoint time.Time
	var ioErr error
	win := &windower{scenario: name, size: b.Stress.Window, warmup: warm, phase: phase, memory: o.EngineMemory,
		rate: rateOf(shape),
		emit: func(w report.Window) {
			cur.Windows = append(cur.Windows, w)
			if o.Windows != nil {
				if err := o.Windows.Write(&w); err != nil && ioErr == nil {
					ioErr = err
				}
			}
			if o.Checkpoint != nil && now().Sub(lastCheckpoint) >= checkpointEvery {
				lastCheckpoint = now()
				partial := *res
				partial.Scenarios = append(slices.Clone(res.Scenarios), cur)
				partial.Finished, partial.Interrupted = now(), true
				if err := o.Checkpoint(&partial); err != nil && ioErr == nil {
					ioErr = err
				}
			}
		}}
	sctx, stop := context.WithCancelCause(ctx)
	defer stop(nil)
	var crashed string
	watch := &aliveWatch{alive: o.EngineAlive, dead: func(err error) {
		crashed = err.Error()
		stop(err)
	}}
	sc.sinks = []load.Sink{win, watch}
	sc.tick = min(time.Second, b.Stress.Window/2)
	sc.ctx = sctx
	out, rep, warns, err := env.run(ctx, sc)
	if err != nil {
		return err
	}
	if ioErr != nil {
		return ioErr
	}
	out.Windows = cur.Windows
	hin.windows, hin.rep, hin.crashed = out.Windows, rep, crashed
	hin.errors, hin.reqs = out.Summary.Errors, out.Summary.Requests
	out.Health = health(hin)
	res.Scenarios = append(res.Scenarios, out)
	res.Warnings = append(res.Warnings, warns...)
	for _, h := range out.Health {
		if h.Status == "fail" {
			res.Warnings = append(res.Warnings, fmt.Sprintf("%s: %s failed: %s", name, h.Check, h.Detail))
		}
	}
	return nil
}

// rateOf is shape's rate function, nil for no shape.
func rateOf(shape load.Shape) func(time.Duration) float64 {
	if shape == nil {
		return nil
	}
	return shape.Rate
}

// longestFitting is the longest input length that leaves room for out
// output tokens in the context (all of them when it is unknown).
func longestFitting(lengths []int, out, contextLen int) int {
	best := 0
	for _, n := range lengths {
		if (contextLen <= 0 || n+out <= contextLen) && n > best {
			best = n
		}
	}
	if best == 0 {
		best = max(1, min(slices.Min(lengths), contextLen-out))
	}
	return best
}

// aliveWatch checks at every tick that the engine process still runs.
type aliveWatch struct {
	alive func() error
	dead  func(error)
	done  bool
}

func (a *aliveWatch) Add(*metrics.Record) {}

func (a *aliveWatch) Tick(load.Snapshot) {
	if a.alive == nil || a.done {
		return
	}
	if err := a.alive(); err != nil {
		a.done = true
		a.dead(err)
	}
}
