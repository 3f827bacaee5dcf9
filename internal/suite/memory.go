package suite

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"time"

	"github.com/muaibench/muaibench/internal/config"
	"github.com/muaibench/muaibench/internal/engine"
	"github.com/muaibench/muaibench/internal/monitor"
	"github.com/muaibench/muaibench/internal/report"
	"github.com/muaibench/muaibench/internal/sysinfo"
)

// MemoryEngine is a running engine the memory suite measures.
type MemoryEngine struct {
	Client engine.Client
	Info   report.EngineInfo
	// URL is the engine's base URL; its /metrics is scraped.
	URL string
	// PID is the engine's process, whose tree's memory is read from
	// /proc; 0 when muaibench did not launch it.
	PID int
	// ReadyTime is launch to ready; 0 when not launched.
	ReadyTime time.Duration
	// Prompts makes prompts of exact token lengths for this engine.
	Prompts Prompts
	// ContextLen is the model's context in tokens; 0 is unknown.
	ContextLen int
	// WeightBytes is the engine's own figure for its weights; 0 unknown.
	WeightBytes int64
	// KVBlockTokens is the engine's KV block size in tokens; 0 unknown.
	KVBlockTokens int
	// KVLayout is the model's KV geometry, for estimates; nil unknown.
	KVLayout *config.KVLayout
	// Stop ends the engine; nil when muaibench did not launch it.
	Stop func()
}

// MemoryParts selects the parts of the suite to run.
type MemoryParts struct {
	Load      bool // M1–M3: launch at each quantization
	Inference bool // M4: memory before, peak, after requests
	KVCache   bool // M5: KV cache memory
	Leak      bool // M6: leak detection
}

// MemoryOptions configures a memory run.
type MemoryOptions struct {
	Config *config.Config
	Parts  MemoryParts
	// Launch starts a fresh engine at a quantization for M1–M3 and
	// returns once it is ready; nil when muaibench cannot launch the
	// engine (then M1–M3 say so).
	Launch func(ctx context.Context, quantization string) (*MemoryEngine, error)
	// Unavailable says why a quantization cannot be launched, "" when it
	// can; nil means every one can.
	Unavailable func(quantization string) string
	// Open starts or connects to the engine M4–M6 measure; it is called
	// after M1–M3, so that no two engines hold memory at once. The suite
	// calls Stop on what it returns.
	Open func(ctx context.Context) (*MemoryEngine, error)
	// Engine describes the engine when Open is not called.
	Engine report.EngineInfo
	// LoadSettle is the wait between ready and the M1–M3 reading (default
	// one second; negative means none).
	LoadSettle time.Duration
	// Read reads the engine's memory; nil reads /proc (or the engine's
	// /metrics without a PID) and NVML. Tests inject their own.
	Read func(ctx context.Context, e *MemoryEngine) (MemoryReading, error)
	// NoLeakVerdict, when set, is why M6 may not judge: its slope and
	// interval are still reported, its verdict is inconclusive with this
	// reason (a smoke test too short to tell warm-up from a leak).
	NoLeakVerdict string
	// Log receives one line per step; nil discards them.
	Log io.Writer
	// Now is the clock; nil means time.Now. Ticker drives the monitors;
	// nil means a time.Ticker.
	Now    func() time.Time
	Ticker monitor.Ticker
}

// MemoryReading is one reading of an engine's memory.
type MemoryReading struct {
	RSS, PeakRSS, PSS int64
	// GPU is the tree's GPU memory; GPUReason says "no GPU: ..." when it
	// could not be read.
	GPU       int64
	GPUReason string
	// Source says where RSS came from.
	Source string
}

// Memory runs the selected parts of the memory suite and returns one
// result holding a scenario per measurement and the monitors' series.
// When ctx is cancelled it stops, stops every engine it launched, and
// returns what finished with Interrupted set.
func Memory(ctx context.Context, o MemoryOptions) (*report.Result, error) {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Log == nil {
		o.Log = io.Discard
	}
	if o.Read == nil {
		o.Read = ReadMemory
	}
	if o.LoadSettle == 0 {
		o.LoadSettle = time.Second
	}
	res := &report.Result{
		Schema:      report.Schema,
		Suite:       "memory",
		Started:     o.Now(),
		System:      sysinfo.Collect(),
		Engine:      o.Engine,
		Config:      o.Config,
		Definitions: maps.Clone(report.Definitions),
	}
	maps.Copy(res.Definitions, report.MemoryDefinitions)
	cpu0 := cpuSeconds()
	err := o.run(ctx, res)
	res.Finished = o.Now()
	res.Interrupted = ctx.Err() != nil
	wall := res.Finished.Sub(res.Started).Seconds()
	res.Client = report.ClientInfo{CPUSeconds: cpuSeconds() - cpu0, WallSeconds: wall}
	if wall > 0 {
		res.Client.CPUPercent = 100 * res.Client.CPUSeconds / wall
	}
	if err != nil && !res.Interrupted {
		return nil, err
	}
	return res, nil
}

func (o *MemoryOptions) run(ctx context.Context, res *report.Result) error {
	if o.Parts.Load {
		if err := o.load(ctx, res); err != nil {
			return err
		}
	}
	if !o.Parts.Inference && !o.Parts.KVCache && !o.Parts.Leak || ctx.Err() != nil {
		return nil
	}
	if o.Open == nil {
		return errors.New("memory: no engine to measure")
	}
	e, err := o.Open(ctx)
	if err != nil {
		return err
	}
	if e.Stop != nil {
		defer e.Stop()
	}
	res.Engine = e.Info
	mon, _, closeGPU := monitor.ForEngine(monitor.EngineOptions{
		PID: e.PID, URL: e.URL, Interval: o.Config.Benchmark.Memory.SampleInterval,
		Start: res.Started, Now: o.Now, Ticker: o.Ticker,
	})
	stop := mon.Go(ctx)
	defer func() {
		stop()
		closeGPU()
		res.Series = append(mon.Series(), res.Series...) // the monitors', then M6's
		for _, msg := range mon.Errors() {
			res.Warnings = append(res.Warnings, "monitor: "+msg)
		}
	}()
	if o.Parts.Inference && ctx.Err() == nil {
		if err := o.inference(ctx, e, mon, res); err != nil {
			return err
		}
	}
	if o.Parts.KVCache && ctx.Err() == nil {
		if err := o.kvCache(ctx, e, res); err != nil {
			return err
		}
	}
	if o.Parts.Leak && ctx.Err() == nil {
		if err := o.leak(ctx, e, mon, res); err != nil {
			return err
		}
	}
	return nil
}

// ReadMemory reads the engine's memory: its process tree from /proc when
// the PID is known, else process_resident_memory_bytes from its
// /metrics; and its GPU memory from NVML.
func ReadMemory(ctx context.Context, e *MemoryEngine) (MemoryReading, error) {
	var r MemoryReading
	if e.PID > 0 {
		tm, err := monitor.ReadTree(e.PID)
		if err != nil {
			return r, fmt.Errorf("memory: %w", err)
		}
		r.RSS, r.PeakRSS, r.PSS, r.Source = tm.RSS, tm.PeakRSS, tm.PSS, "/proc: RSS of the engine's process tree"
		g, reason := monitor.OpenGPU(e.PID)
		if g == nil {
			r.GPUReason = reason
			return r, nil
		}
		defer g.Close()
		vals, err := g.Sample(ctx)
		if err != nil {
			r.GPUReason = "no GPU: " + err.Error()
			return r, nil
		}
		gpu, _ := monitor.Lookup(vals, monitor.GPUProcessMemory)
		r.GPU = int64(gpu)
		return r, nil
	}
	vals, err := (&monitor.Engine{URL: monitor.MetricsURL(e.URL)}).Sample(ctx)
	if err != nil {
		return r, fmt.Errorf("memory: the engine was not launched by muaibench, so its memory comes from its /metrics: %w", err)
	}
	rss, ok := monitor.Lookup(vals, monitor.ProcessResidentMemory)
	if !ok {
		return r, fmt.Errorf("memory: the engine was not launched by muaibench and its /metrics has no %s: give it a launch: command in the config", monitor.ProcessResidentMemory)
	}
	r.RSS, r.Source = int64(rss), "engine /metrics: "+monitor.ProcessResidentMemory
	r.GPUReason = "no GPU: GPU memory is read per process, and muaibench did not launch the engine"
	return r, nil
}

// memLog writes one progress line.
func (o *MemoryOptions) memLog(format string, args ...any) {
	fmt.Fprintf(o.Log, format+"\n", args...)
}
