package suite

import (
	"context"
	"fmt"
	"math"

	"github.com/muaibench/muaibench/internal/config"
	"github.com/muaibench/muaibench/internal/metrics"
	"github.com/muaibench/muaibench/internal/monitor"
	"github.com/muaibench/muaibench/internal/report"
)

// Series names of M6's per-iteration samples.
const (
	LeakRSS = "leak_rss_bytes"
	LeakGPU = "leak_gpu_memory_bytes"
)

// leak is M6: a warm-up (see warmUp), then leak_iterations requests (or
// requests for leak_duration) with the memory read after each, a line
// fitted through those readings, and the verdict.
func (o *MemoryOptions) leak(ctx context.Context, e *MemoryEngine, mon *monitor.Monitor, res *report.Result) error {
	mc := o.Config.Benchmark.Memory
	in, out := o.requestShape(e, res)
	sc := report.Scenario{
		Scenario: config.Scenario{Name: "M6", InputTokens: in, OutputTokens: out, Runs: mc.LeakIterations},
		Memory:   &report.MemoryFigures{},
	}
	if _, err := o.Read(ctx, e); err != nil {
		sc.Skipped = "not available: " + err.Error()
		res.Scenarios = append(res.Scenarios, sc)
		return nil
	}
	warm, steady, err := o.warmUp(ctx, e, in, out)
	if err != nil || ctx.Err() != nil {
		return err
	}
	o.memLog("M6: warm-up of %d iterations (steady: %v)", warm, steady)
	start := o.Now()
	rss := monitor.Series{Name: LeakRSS, Unit: "bytes", Source: monitor.SourceProcess}
	gpu := monitor.Series{Name: LeakGPU, Unit: "bytes", Source: monitor.SourceGPU}
	agg := metrics.NewAggregator(metrics.SLO(o.Config.Benchmark.SLO), false)
	for i := 0; ctx.Err() == nil; i++ {
		if mc.LeakDuration > 0 && o.Now().Sub(start) >= mc.LeakDuration ||
			mc.LeakDuration <= 0 && i >= mc.LeakIterations {
			break
		}
		rec, err := o.request(ctx, e, in, out, warm+i)
		if err != nil {
			return fmt.Errorf("memory: M6: %w", err)
		}
		if ctx.Err() != nil && !rec.OK() {
			break
		}
		rec.Scenario, rec.Index = sc.Name, i
		agg.Add(&rec)
		r, err := o.Read(ctx, e)
		if err != nil {
			return err
		}
		t := o.Now().Sub(res.Started).Seconds()
		rss.Points = append(rss.Points, monitor.Point{T: t, V: float64(r.RSS)})
		sc.Memory.Source, sc.Memory.GPU = r.Source, r.GPUReason
		if r.GPUReason == "" {
			gpu.Points = append(gpu.Points, monitor.Point{T: t, V: float64(r.GPU)})
		}
		if (i+1)%10 == 0 {
			o.memLog("M6: %d iterations, RSS %.1f MiB", i+1, memMiB(r.RSS))
		}
	}
	sc.Summary = agg.Close()
	sc.Memory.Iterations = len(rss.Points)
	res.Series = append(res.Series, rss)
	if len(gpu.Points) > 0 {
		res.Series = append(res.Series, gpu)
	}
	res.Warnings = append(res.Warnings, warnings(sc.Scenario, sc.Summary)...)
	if why := memAllFailed(sc.Summary); why != "" {
		sc.Skipped = why
		res.Scenarios = append(res.Scenarios, sc)
		return nil
	}
	tr, err := monitor.FitTrend(rss.Points, 0.95)
	if err != nil {
		sc.Skipped = fmt.Sprintf("not enough samples for a slope: %v", err)
		res.Scenarios = append(res.Scenarios, sc)
		return nil
	}
	th := o.Config.Benchmark.SuccessCriteria.MemoryLeakMBPerHour
	d := &report.DriftFigures{
		Quantity:        monitor.ProcessRSS,
		Warmup:          warm,
		WarmupSteady:    steady,
		DurationSeconds: rss.Points[len(rss.Points)-1].T - rss.Points[0].T,
		SlopeMBPerHour:  mbPerHour(tr.Slope),
		CILowMBPerHour:  mbPerHour(tr.Low),
		CIHighMBPerHour: mbPerHour(tr.High),
		Level:           tr.Level,
		R2:              tr.R2,
		StartBytes:      int64(rss.Points[0].V),
		EndBytes:        int64(rss.Points[len(rss.Points)-1].V),
		TargetMBPerHour: th.Target, AcceptableMBPerHour: th.Acceptable,
	}
	if sc.Memory.Source != "" && sc.Memory.Source[0] != '/' {
		d.Quantity = monitor.ProcessResidentMemory
	}
	d.Verdict, d.Reason = LeakVerdict(d.CILowMBPerHour, d.CIHighMBPerHour, th.Target, th.Acceptable)
	if g, err := monitor.FitTrend(gpu.Points, 0.95); err == nil {
		s := mbPerHour(g.Slope)
		d.GPUSlopeMBPerHour = &s
		if v, why := LeakVerdict(mbPerHour(g.Low), mbPerHour(g.High), th.Target, th.Acceptable); v == "fail" || v == "inconclusive" && d.Verdict != "fail" {
			d.Verdict, d.Reason = v, "GPU memory: "+why
		}
	}
	if hs := heapTargetSlope(mon, rss.Points[0].T, rss.Points[len(rss.Points)-1].T); hs != nil {
		d.HeapTargetSlopeMBPerHour = hs
		if d.Verdict != "pass" && math.Abs(*hs) < th.Acceptable {
			d.Reason += fmt.Sprintf("; the engine's Go heap target moved %+.2f MB/hour, so its live heap did not grow: the growth is pages its allocator touched, not objects kept", *hs)
		}
	}
	if o.NoLeakVerdict != "" {
		d.Verdict, d.Reason = "inconclusive", o.NoLeakVerdict
	}
	sc.Memory.Drift = d
	o.memLog("M6: slope %+.2f MB/hour, 95%% CI [%+.2f, %+.2f]: %s", d.SlopeMBPerHour, d.CILowMBPerHour, d.CIHighMBPerHour, d.Verdict)
	res.Scenarios = append(res.Scenarios, sc)
	return nil
}

// steadyWindow is the number of warm-up readings whose line decides
// whether memory is steady.
const steadyWindow = 10

// warmUp runs leak_warmup requests, then goes on, up to leak_warmup_max,
// until memory read after each is steady: a line through the last
// steadyWindow readings rises by less than the acceptable rate. A
// garbage-collected engine's memory first climbs to its collector's
// target, which is not a leak; a leak never gets steady, so it is
// measured after the longest warm-up and still caught. It returns the
// iterations run and whether memory got steady.
func (o *MemoryOptions) warmUp(ctx context.Context, e *MemoryEngine, in, out int) (int, bool, error) {
	mc := o.Config.Benchmark.Memory
	acceptable := o.Config.Benchmark.SuccessCriteria.MemoryLeakMBPerHour.Acceptable
	var last []monitor.Point
	t0 := o.Now()
	for i := 0; ctx.Err() == nil; i++ {
		if i >= mc.LeakWarmup && (mc.LeakWarmupMax == 0 || i >= mc.LeakWarmupMax) {
			return i, mc.LeakWarmupMax == 0, nil
		}
		if i >= mc.LeakWarmup && memSteady(last, acceptable) {
			return i, true, nil
		}
		if _, err := o.request(ctx, e, in, out, i); err != nil {
			return i, false, fmt.Errorf("memory: M6: %w", err)
		}
		if mc.LeakWarmupMax == 0 {
			continue
		}
		r, err := o.Read(ctx, e)
		if err != nil {
			return i, false, err
		}
		last = append(last, monitor.Point{T: o.Now().Sub(t0).Seconds(), V: float64(r.RSS)})
		if (i+1)%10 == 0 {
			o.memLog("M6: warm-up %d iterations, RSS %.1f MiB", i+1, memMiB(r.RSS))
		}
		if len(last) > steadyWindow {
			last = last[1:]
		}
	}
	return 0, false, nil
}

// memSteady reports whether the readings fill the window and a line
// through them rises by less than acceptable MB/hour.
func memSteady(last []monitor.Point, acceptable float64) bool {
	if len(last) < steadyWindow {
		return false
	}
	tr, err := monitor.FitTrend(last, 0.95)
	return err == nil && mbPerHour(tr.Slope) < acceptable
}

// heapTargetSlope is the slope, in MB/hour, of a Go engine's
// go_memstats_next_gc_bytes (twice its live heap after the last
// collection under the default GOGC) over [from, to]; nil when the
// engine does not expose it.
func heapTargetSlope(mon *monitor.Monitor, from, to float64) *float64 {
	s := monitor.Find(mon.Series(), "go_memstats_next_gc_bytes")
	if s == nil {
		return nil
	}
	tr, err := monitor.FitTrend(s.Between(from, to), 0.95)
	if err != nil {
		return nil
	}
	v := mbPerHour(tr.Slope)
	return &v
}

// mbPerHour converts bytes per second to MB (10⁶ bytes) per hour.
func mbPerHour(bytesPerSecond float64) float64 { return bytesPerSecond * 3600 / 1e6 }

// LeakVerdict judges a growth rate's confidence interval [low, high], in
// MB/hour, against the plan's target and acceptable rates: pass when the
// interval reaches the target and stays under the acceptable rate,
// acceptable when it stays under the acceptable rate without reaching the
// target, fail when it lies at or over the acceptable rate, and
// inconclusive when it straddles the acceptable rate (the run was too
// short or too noisy to tell).
func LeakVerdict(low, high, target, acceptable float64) (verdict, reason string) {
	switch {
	case high <= target:
		return "pass", fmt.Sprintf("memory did not grow: the interval lies at or under %g MB/hour", target)
	case high < acceptable && low <= target:
		return "pass", fmt.Sprintf("no growth told apart from %g MB/hour; surely under %g MB/hour", target, acceptable)
	case high < acceptable:
		return "acceptable", fmt.Sprintf("memory grows, but surely by less than %g MB/hour", acceptable)
	case low >= acceptable:
		return "fail", fmt.Sprintf("memory grows by %g MB/hour or more", acceptable)
	}
	return "inconclusive", fmt.Sprintf("the interval straddles %g MB/hour: run more iterations or set leak_duration", acceptable)
}
