package monitor

import "time"

// EngineOptions describes the engine a suite's monitor watches.
type EngineOptions struct {
	// PID is the engine's process, whose tree is sampled from /proc and
	// NVML; 0 when muaibench did not launch it.
	PID int
	// URL is the engine's base URL; its /metrics is scraped. Empty skips
	// the scrape.
	URL string
	// Interval, Start, Now and Ticker are as in Options.
	Interval time.Duration
	Start    time.Time
	Now      func() time.Time
	Ticker   Ticker
}

// ForEngine makes the monitor every suite runs beside its load: the
// engine's process tree, its GPUs (when NVML has any), its /metrics, and
// muaibench's own Go runtime. GPUReason says "no GPU: ..." when there is
// none. Call closeGPU when done with the monitor.
func ForEngine(o EngineOptions) (m *Monitor, gpuReason string, closeGPU func()) {
	samplers := []Sampler{GoRuntime{}}
	closeGPU = func() {}
	gpuReason = "no GPU: muaibench did not launch the engine, and GPU memory is read per process"
	if o.PID > 0 {
		samplers = append(samplers, Process{PID: o.PID})
		g, reason := OpenGPU(o.PID)
		gpuReason = reason
		if g != nil {
			samplers = append(samplers, g)
			closeGPU = g.Close
		}
	}
	if o.URL != "" {
		samplers = append(samplers, &Engine{URL: MetricsURL(o.URL)})
	}
	m = New(Options{Interval: o.Interval, Samplers: samplers, Start: o.Start, Now: o.Now, Ticker: o.Ticker})
	return m, gpuReason, closeGPU
}
