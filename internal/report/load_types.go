package report

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
)

// LoadSpec is how a throughput or stress scenario's load was generated.
type LoadSpec struct {
	// Mode is "closed" (Concurrency workers, each sending its next
	// request when the last ends) or "open" (requests sent on a
	// schedule, whatever the engine does).
	Mode string `json:"mode"`
	// Concurrency is the workers (closed) or the in-flight cap (open).
	Concurrency int `json:"concurrency"`
	// Batch is the prompts sent in one request (1: one prompt).
	Batch int `json:"batch"`
	// Profile describes the open-loop schedule: rate shape and arrivals.
	Profile string `json:"profile,omitempty"`
	// RatePerS is the mean offered rate of an open-loop scenario.
	RatePerS    float64 `json:"rate_per_s,omitempty"`
	WarmupS     float64 `json:"warmup_s"`
	DurationS   float64 `json:"duration_s,omitempty"`
	MaxRequests int     `json:"max_requests,omitempty"`
	// Engine names a variant of the engine the scenario ran against
	// (T7's "no batching" reference).
	Engine string `json:"engine,omitempty"`
}

// LoadClient is what the load generator itself did and cost in one
// scenario, so that a client that limited the run is visible.
type LoadClient struct {
	Sent         uint64 `json:"sent"`
	PeakInFlight int64  `json:"peak_in_flight"`
	Workers      int    `json:"workers"`
	MaxInFlight  int    `json:"max_in_flight"`
	// CapWaits counts open-loop requests that waited for the in-flight
	// cap; Cut those still running when the drain ended.
	CapWaits   uint64  `json:"cap_waits"`
	Cut        uint64  `json:"cut,omitempty"`
	CPUSeconds float64 `json:"cpu_seconds"`
	// CPUPercent is in percent of one core; Cores is GOMAXPROCS.
	CPUPercent float64 `json:"cpu_percent"`
	Cores      int     `json:"cores"`
	// Dispatch lag (actual send − scheduled send) of measured requests.
	DispatchLagP50Ms float64 `json:"dispatch_lag_p50_ms"`
	DispatchLagP99Ms float64 `json:"dispatch_lag_p99_ms"`
	DispatchLagMaxMs float64 `json:"dispatch_lag_max_ms"`
	// Bottleneck is set when the client fell behind its schedule or used
	// nearly all its cores.
	Bottleneck bool `json:"bottleneck"`
	// Stalled is set when the watchdog found the engine stalled.
	Stalled bool `json:"stalled,omitempty"`
}

// LoadFigures are a load scenario's figures beyond the summary.
type LoadFigures struct {
	// ErrorRate is failed / all measured requests.
	ErrorRate float64 `json:"error_rate"`
	// SequencesPerS is completed prompts per second: requests/s × batch.
	SequencesPerS float64 `json:"sequences_per_s"`
	// GoodputRatio is requests meeting every SLO / measured requests.
	GoodputRatio float64 `json:"goodput_ratio"`
	// OutputTPSPerGPU is output tokens/s divided by the GPUs known.
	OutputTPSPerGPU float64 `json:"output_tokens_per_s_per_gpu,omitempty"`
	// ScalingEfficiency is requests/s ÷ (concurrency × requests/s at
	// concurrency 1): 1 is perfect scaling.
	ScalingEfficiency float64 `json:"scaling_efficiency,omitempty"`
}

// Window is one time window of a long run. Requests are counted in the
// window in which they completed.
type Window struct {
	Scenario string `json:"scenario"`
	Index    int    `json:"index"`
	// StartS and EndS are seconds since the scenario began.
	StartS float64 `json:"start_s"`
	EndS   float64 `json:"end_s"`
	// Phase is warmup, base, burst or recovery where the profile has
	// phases.
	Phase     string  `json:"phase,omitempty"`
	Requests  int     `json:"requests"`
	Errors    int     `json:"errors"`
	ErrorRate float64 `json:"error_rate"`
	// ConnectionErrors counts errors reaching the engine at all.
	ConnectionErrors int     `json:"connection_errors,omitempty"`
	RequestsPerS     float64 `json:"requests_per_s"`
	OutputTokensPerS float64 `json:"output_tokens_per_s"`
	E2EP50Ms         float64 `json:"e2e_p50_ms"`
	E2EP95Ms         float64 `json:"e2e_p95_ms"`
	TTFTP95Ms        float64 `json:"ttft_p95_ms"`
	InFlight         int64   `json:"in_flight"`
	TargetRatePerS   float64 `json:"target_rate_per_s,omitempty"`
	// EngineMemoryBytes is the engine's resident memory at the window's
	// end, when it is known (a launched engine).
	EngineMemoryBytes int64 `json:"engine_memory_bytes,omitempty"`
}

// HealthCheck is one verdict on a stress scenario's health.
type HealthCheck struct {
	// Check is crash, hang, latency_degradation, error_rate or recovery.
	Check string `json:"check"`
	// Status is pass, fail or n/a.
	Status string  `json:"status"`
	Value  float64 `json:"value"`
	Limit  float64 `json:"limit,omitempty"`
	Unit   string  `json:"unit,omitempty"`
	Detail string  `json:"detail"`
}

// ThroughputAnalysis is what the throughput suite concluded across its
// scenarios.
type ThroughputAnalysis struct {
	// PeakRequestsPerS is the highest request throughput of T1–T5, in
	// PeakScenario.
	PeakRequestsPerS float64 `json:"peak_requests_per_s,omitempty"`
	PeakScenario     string  `json:"peak_scenario,omitempty"`
	// SaturationConcurrency is the first concurrency whose throughput
	// gain over the previous one fell under 5% while latency kept rising;
	// 0 when none did.
	SaturationConcurrency int           `json:"saturation_concurrency,omitempty"`
	Saturation            string        `json:"saturation,omitempty"`
	BatchingGain          *BatchingGain `json:"batching_gain,omitempty"`
	RateSweep             *RateSweep    `json:"rate_sweep,omitempty"`
}

// BatchingGain is T7: the same concurrency against the engine's own
// batching and against a reference without it.
type BatchingGain struct {
	Concurrency int `json:"concurrency"`
	// Reference says what the reference was: the embedded engine with
	// --no-batching, or one request at a time on the same engine.
	Reference    string  `json:"reference"`
	BatchedRPS   float64 `json:"batched_requests_per_s"`
	ReferenceRPS float64 `json:"reference_requests_per_s"`
	// Gain is BatchedRPS / ReferenceRPS.
	Gain float64 `json:"gain"`
}

// RateSweep is the search for the highest request rate sustained within
// the SLOs.
type RateSweep struct {
	// Criterion says when a probe passes.
	Criterion string `json:"criterion"`
	// BestRatePerS is the highest passing rate; 0 when none passed.
	BestRatePerS float64 `json:"best_rate_per_s"`
	Probes       []Probe `json:"probes"`
}

// Probe is one rate the sweep tried.
type Probe struct {
	Scenario     string  `json:"scenario"`
	RatePerS     float64 `json:"rate_per_s"`
	Pass         bool    `json:"pass"`
	Reason       string  `json:"reason"`
	AchievedRPS  float64 `json:"achieved_requests_per_s"`
	GoodputRatio float64 `json:"goodput_ratio"`
	ErrorRate    float64 `json:"error_rate"`
	TTFTP99Ms    float64 `json:"ttft_p99_ms"`
	E2EP99Ms     float64 `json:"e2e_p99_ms"`
}

// StressInfo is the stress suite's reference capacity.
type StressInfo struct {
	CapacityRPS float64 `json:"capacity_requests_per_s"`
	// CapacitySource says how it was found: given, or measured.
	CapacitySource string  `json:"capacity_source"`
	WindowS        float64 `json:"window_s"`
	WindowsFile    string  `json:"windows_file,omitempty"`
}

// WindowWriter appends windows to a JSONL file as they close, flushed one
// by one, so that an interrupted long run keeps every closed window.
type WindowWriter struct {
	f *os.File
	w *bufio.Writer
}

// CreateWindows creates (or truncates) the JSONL file at path.
func CreateWindows(path string) (*WindowWriter, error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	return &WindowWriter{f: f, w: bufio.NewWriter(f)}, nil
}

// Write appends one window and flushes it.
func (ww *WindowWriter) Write(w *Window) error {
	b, err := json.Marshal(w)
	if err != nil {
		return fmt.Errorf("report: %w", err)
	}
	ww.w.Write(b)
	ww.w.WriteByte('\n')
	if err := ww.w.Flush(); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	return nil
}

// Close flushes and closes the file.
func (ww *WindowWriter) Close() error {
	if err := ww.w.Flush(); err != nil {
		ww.f.Close()
		return err
	}
	return ww.f.Close()
}

// ReadWindows reads a windows JSONL file; a torn last line is ignored.
func ReadWindows(r io.Reader) ([]Window, error) {
	var out []Window
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 16<<20)
	for sc.Scan() {
		var w Window
		if err := json.Unmarshal(sc.Bytes(), &w); err != nil {
			if !sc.Scan() {
				break
			}
			return out, fmt.Errorf("report: windows line %d: %w", len(out)+1, err)
		}
		out = append(out, w)
	}
	return out, sc.Err()
}
