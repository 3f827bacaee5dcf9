// Package report holds the result schema every suite writes and renders it
// in each output format. Every format is a rendering of the same Result;
// writers take an io.Writer.
package report

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/muaibench/muaibench/internal/config"
	"github.com/muaibench/muaibench/internal/metrics"
	"github.com/muaibench/muaibench/internal/monitor"
	"github.com/muaibench/muaibench/internal/sysinfo"
)

// Schema names the result format; it changes when a field changes meaning.
const Schema = "muaibench.result/v1"

// Result is one suite run.
type Result struct {
	Schema   string    `json:"schema"`
	Suite    string    `json:"suite"`
	Started  time.Time `json:"started"`
	Finished time.Time `json:"finished"`
	// Interrupted is true when the run was stopped (Ctrl-C) before it
	// finished; the scenarios hold what completed.
	Interrupted bool `json:"interrupted,omitempty"`

	System sysinfo.Info   `json:"system"`
	Engine EngineInfo     `json:"engine"`
	Client ClientInfo     `json:"client"`
	Config *config.Config `json:"config"`

	Scenarios []Scenario `json:"scenarios"`
	Warnings  []string   `json:"warnings,omitempty"`
	// RecordsFile is the JSONL file holding every request's record.
	RecordsFile string `json:"records_file,omitempty"`
	// Definitions says how each metric was computed.
	Definitions map[string]string `json:"definitions"`
	// Run ties together the results of one `muaibench run`.
	Run *RunInfo `json:"run,omitempty"`
	// Throughput and Stress are the suites' conclusions (load_types.go).
	Throughput *ThroughputAnalysis `json:"throughput,omitempty"`
	Stress     *StressInfo         `json:"stress,omitempty"`
	// Series are the monitors' time series (memory_types.go): t is seconds
	// since Started, so they line up with the records.
	Series []monitor.Series `json:"series,omitempty"`
}

// EngineInfo is the engine that was measured. It never holds an API key.
type EngineInfo struct {
	Name    string `json:"name"`
	URL     string `json:"url"`
	Dialect string `json:"dialect"`
	Model   string `json:"model"`
	// Launched is true when muaibench started the engine itself.
	Launched bool `json:"launched"`
	// Card is the engine's own description of the model (its /v1/models
	// entry), as it sent it.
	Card json.RawMessage `json:"card,omitempty"`
	// Weights is "synthetic" or the checkpoint, when the engine says.
	Weights   string `json:"weights,omitempty"`
	Tokenizer string `json:"tokenizer"`
}

// ClientInfo is what the benchmark client itself cost, so that a client
// that became the bottleneck is visible.
type ClientInfo struct {
	CPUSeconds  float64 `json:"cpu_seconds"`
	WallSeconds float64 `json:"wall_seconds"`
	// CPUPercent is CPU seconds over wall seconds, in percent of one core.
	CPUPercent float64 `json:"cpu_percent"`
}

// Scenario is one measured scenario.
type Scenario struct {
	config.Scenario
	// Skipped says why the scenario was not run; empty when it ran.
	Skipped string          `json:"skipped,omitempty"`
	Summary metrics.Summary `json:"summary"`
	// Load, Generator and Figures are set by the throughput and stress
	// suites (load_types.go); Windows and Health by stress.
	Load      *LoadSpec     `json:"load,omitempty"`
	Generator *LoadClient   `json:"generator,omitempty"`
	Figures   *LoadFigures  `json:"figures,omitempty"`
	Windows   []Window      `json:"windows,omitempty"`
	Health    []HealthCheck `json:"health,omitempty"`
	// Memory is set by the memory suite (memory_types.go).
	Memory *MemoryFigures `json:"memory,omitempty"`
}

// Definitions are the metric definitions written into every result and
// report.
var Definitions = map[string]string{
	"start":       "a request's clock starts at its scheduled send time (open loop) or its send time (closed loop); send_lag is the difference between that start and the moment the request was handed to the transport",
	"ttft":        "time to first token: start to the first streamed chunk carrying at least one output token (role-only and empty chunks do not count)",
	"itl":         "inter-token latency: every gap between consecutive output-carrying chunks, pooled over all requests (vLLM's definition); a chunk with k tokens counts once",
	"tpot":        "time per output token, per request: (E2E - TTFT) / (output tokens - 1); GenAI-Perf calls this ITL",
	"e2e":         "end-to-end latency: start to the last byte of the response",
	"output_tps":  "output tokens per second of one request: output tokens / E2E",
	"throughput":  "completed requests (and output, total tokens) per second of the measured window, first start to last end",
	"goodput":     "completed requests per second that met every SLO of the configuration",
	"percentiles": "P50/P90/P95/P99 computed exactly from all samples, interpolating linearly between closest ranks; stddev is the sample standard deviation",
	"tokens":      "token counts come from the engine's usage when it sends one, else from the tokenizer; a count that differs from the request is counted as a mismatch",
}

// WriteFile writes r as indented JSON to path atomically: a temporary file
// in the same directory renamed into place, so a reader never sees half a
// result.
func WriteFile(path string, r *Result) error {
	return writeAtomic(path, func(w io.Writer) error {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(r)
	})
}

// ReadFile reads a result written by WriteFile.
func ReadFile(path string) (*Result, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	var r Result
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, fmt.Errorf("report: %s: %w", path, err)
	}
	if r.Schema != Schema {
		return nil, fmt.Errorf("report: %s: schema %q, want %q", path, r.Schema, Schema)
	}
	return &r, nil
}

func writeAtomic(path string, write func(io.Writer) error) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("report: %w", err)
	}
	defer os.Remove(tmp.Name()) // no-op after the rename
	if err := write(tmp); err != nil {
		tmp.Close()
		return fmt.Errorf("report: writing %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("report: writing %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	return nil
}
