package suite

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/muaibench/muaibench/internal/config"
	"github.com/muaibench/muaibench/internal/report"
)

// loadIDs are the plan's names of the load measurements by quantization.
var loadIDs = map[string]string{"fp32": "M1", "int8": "M2", "int4": "M3"}

// load is M1–M3: the engine launched load_iterations times at each
// quantization, its memory read once it is ready, then stopped.
func (o *MemoryOptions) load(ctx context.Context, res *report.Result) error {
	mc := o.Config.Benchmark.Memory
	for _, q := range mc.Quantizations {
		if ctx.Err() != nil {
			return nil
		}
		id, ok := loadIDs[q]
		if !ok {
			id = "M1–M3"
		}
		sc := report.Scenario{Scenario: config.Scenario{Name: id + " " + q}, Memory: &report.MemoryFigures{Quantization: q}}
		switch {
		case o.Launch == nil:
			sc.Skipped = "not available: muaibench did not launch this engine (give it a launch: command in the config)"
		case o.Unavailable != nil && o.Unavailable(q) != "":
			sc.Skipped = "not available: " + o.Unavailable(q)
		}
		if sc.Skipped == "" {
			if err := o.loadOne(ctx, q, mc.LoadIterations, &sc); err != nil {
				sc.Skipped = err.Error()
				res.Warnings = append(res.Warnings, fmt.Sprintf("%s: %v", sc.Name, err))
			}
		}
		if sc.Skipped != "" {
			o.memLog("%s: %s", sc.Name, sc.Skipped)
		}
		res.Scenarios = append(res.Scenarios, sc)
	}
	return nil
}

// loadOne launches the engine n times at quantization q and fills in
// the medians.
func (o *MemoryOptions) loadOne(ctx context.Context, q string, n int, sc *report.Scenario) error {
	m := sc.Memory
	for i := range n {
		s, e, err := o.launchAndRead(ctx, q)
		if err != nil {
			if ctx.Err() != nil {
				break
			}
			return fmt.Errorf("launch %d of %d failed: %w", i+1, n, err)
		}
		m.Loads = append(m.Loads, s)
		m.Source, m.WeightBytes = e.source, e.weightBytes
		if e.gpuReason != "" {
			m.GPU = e.gpuReason
		}
		o.memLog("%s: launch %d/%d ready in %.2fs, RSS %.1f MiB, peak %.1f MiB", sc.Name, i+1, n,
			s.ReadySeconds, float64(s.RSSBytes)/(1<<20), float64(s.PeakRSSBytes)/(1<<20))
	}
	if len(m.Loads) == 0 {
		return nil // interrupted before the first reading
	}
	m.Iterations = len(m.Loads)
	med := func(get func(report.LoadSample) float64) float64 {
		v := make([]float64, len(m.Loads))
		for i, s := range m.Loads {
			v[i] = get(s)
		}
		return memMedian(v)
	}
	m.ReadySeconds = med(func(s report.LoadSample) float64 { return s.ReadySeconds })
	m.RSSBytes = int64(med(func(s report.LoadSample) float64 { return float64(s.RSSBytes) }))
	m.PSSBytes = int64(med(func(s report.LoadSample) float64 { return float64(s.PSSBytes) }))
	m.PeakRSSBytes = int64(med(func(s report.LoadSample) float64 { return float64(s.PeakRSSBytes) }))
	if m.GPU == "" {
		m.GPUMemoryBytes = int64(med(func(s report.LoadSample) float64 { return float64(s.GPUMemoryBytes) }))
	}
	return nil
}

// memLaunch is what loadOne keeps of one launch besides its sample.
type memLaunch struct {
	source, gpuReason string
	weightBytes       int64
}

// launchAndRead launches once, waits LoadSettle, reads, and stops the
// engine whatever happens.
func (o *MemoryOptions) launchAndRead(ctx context.Context, q string) (report.LoadSample, memLaunch, error) {
	e, err := o.Launch(ctx, q)
	if err != nil {
		return report.LoadSample{}, memLaunch{}, err
	}
	if e.Stop != nil {
		defer e.Stop()
	}
	if o.LoadSettle > 0 {
		select {
		case <-ctx.Done():
			return report.LoadSample{}, memLaunch{}, ctx.Err()
		case <-time.After(o.LoadSettle):
		}
	}
	r, err := o.Read(ctx, e)
	if err != nil {
		return report.LoadSample{}, memLaunch{}, err
	}
	return report.LoadSample{
		ReadySeconds: e.ReadyTime.Seconds(), RSSBytes: r.RSS, PSSBytes: r.PSS,
		PeakRSSBytes: r.PeakRSS, GPUMemoryBytes: r.GPU,
	}, memLaunch{source: r.Source, gpuReason: r.GPUReason, weightBytes: e.WeightBytes}, nil
}

// memMedian is the median of v (which it sorts); 0 for none.
func memMedian(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	slices.Sort(v)
	n := len(v)
	if n%2 == 1 {
		return v[n/2]
	}
	return (v[n/2-1] + v[n/2]) / 2
}
