// Package suite runs the plan's benchmark suites against an engine client
// and returns their results.
package suite

import (
	"context"
	"errors"
	"fmt"
	"syscall"
	"time"

	"github.com/muaibench/muaibench/internal/config"
	"github.com/muaibench/muaibench/internal/engine"
	"github.com/muaibench/muaibench/internal/metrics"
	"github.com/muaibench/muaibench/internal/report"
	"github.com/muaibench/muaibench/internal/sysinfo"
)

// Prompts returns the prompt of the given exact token length for the
// index-th request (different indices give different prompts).
type Prompts func(tokens, index int) (string, error)

// Progress is told about each finished request of a scenario.
type Progress interface {
	Start(scenario string, total int)
	Done(rec *metrics.Record)
	Finish()
}

// LatencyOptions configures a latency run.
type LatencyOptions struct {
	Config    *config.Config
	Scenarios []config.Scenario
	// Warmup is the number of warm-up requests before each scenario.
	Warmup  int
	Client  engine.Client
	Engine  report.EngineInfo
	Prompts Prompts
	// Count counts tokens of a response text when the engine sends no
	// usage; nil falls back to counting chunks.
	Count metrics.Counter
	// ContextLen is the model's context in tokens; scenarios whose prompt
	// plus output exceed it are skipped with the reason. 0 is unknown.
	ContextLen int
	// Records receives every record as it completes; may be nil.
	Records  *report.RecordWriter
	Progress Progress
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Latency runs each scenario one request at a time: Warmup unmeasured
// requests, then the scenario's runs. A failed request is recorded and the
// run goes on. When ctx is cancelled it stops at once and returns the
// result of what finished, with Interrupted set; the error is then nil.
func Latency(ctx context.Context, o LatencyOptions) (*report.Result, error) {
	now := o.Now
	if now == nil {
		now = time.Now
	}
	lc := o.Config.Benchmark.Latency
	api := engine.API(lc.API)
	res := &report.Result{
		Schema:      report.Schema,
		Suite:       "latency",
		Started:     now(),
		System:      sysinfo.Collect(),
		Engine:      o.Engine,
		Config:      o.Config,
		Definitions: report.Definitions,
	}
	cpu0 := cpuSeconds()
	slo := metrics.SLO(o.Config.Benchmark.SLO)
	index := 0
	for _, sc := range o.Scenarios {
		out := report.Scenario{Scenario: sc}
		if o.ContextLen > 0 && sc.InputTokens+sc.OutputTokens > o.ContextLen {
			out.Skipped = fmt.Sprintf("%d prompt + %d output tokens exceed the model's context of %d",
				sc.InputTokens, sc.OutputTokens, o.ContextLen)
			res.Scenarios = append(res.Scenarios, out)
			continue
		}
		agg := metrics.NewAggregator(slo, api == engine.APICompletions)
		if o.Progress != nil {
			o.Progress.Start(sc.Name, o.Warmup+sc.Runs)
		}
		for i := 0; i < o.Warmup+sc.Runs && ctx.Err() == nil; i++ {
			prompt, err := o.Prompts(sc.InputTokens, index)
			index++
			if err != nil {
				return nil, fmt.Errorf("latency: %s: %w", sc.Name, err)
			}
			req := engine.Request{
				API: api, Model: o.Engine.Model,
				MaxTokens: sc.OutputTokens, MinTokens: sc.OutputTokens, IgnoreEOS: true,
				Temperature: lc.Temperature, Stream: lc.Stream,
			}
			seed := lc.Seed + int64(index)
			req.Seed = &seed
			if api == engine.APIChat {
				req.Messages = []engine.Message{{Role: "user", Content: prompt}}
			} else {
				req.Prompt = prompt
			}
			rec := o.one(ctx, req, lc.Timeout, now)
			if ctx.Err() != nil && !rec.OK() {
				break // the stop, not the engine, ended this request
			}
			rec.Scenario, rec.Index, rec.Warmup = sc.Name, i-o.Warmup, i < o.Warmup
			rec.RequestedPromptTokens, rec.RequestedOutputTokens = sc.InputTokens, sc.OutputTokens
			if o.Records != nil {
				if err := o.Records.Write(&rec); err != nil {
					return nil, err
				}
			}
			agg.Add(&rec)
			if o.Progress != nil {
				o.Progress.Done(&rec)
			}
		}
		if o.Progress != nil {
			o.Progress.Finish()
		}
		out.Summary = agg.Close()
		res.Scenarios = append(res.Scenarios, out)
		res.Warnings = append(res.Warnings, warnings(sc, out.Summary)...)
		if ctx.Err() != nil {
			break
		}
	}
	res.Finished = now()
	res.Interrupted = ctx.Err() != nil
	wall := res.Finished.Sub(res.Started).Seconds()
	res.Client = report.ClientInfo{CPUSeconds: cpuSeconds() - cpu0, WallSeconds: wall}
	if wall > 0 {
		res.Client.CPUPercent = 100 * res.Client.CPUSeconds / wall
	}
	return res, nil
}

// one sends a request under the per-request timeout and measures it.
func (o *LatencyOptions) one(ctx context.Context, req engine.Request, timeout time.Duration, now func() time.Time) metrics.Record {
	rctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	start := now()
	resp, err := o.Client.Do(rctx, req)
	if resp == nil {
		resp = &engine.Response{}
	}
	if err != nil && errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil {
		err = fmt.Errorf("request timed out after %s: %w", timeout, err)
	}
	return metrics.Measure(start, resp, err, o.Count)
}

// warnings turns a scenario's token-count problems into result warnings.
func warnings(sc config.Scenario, s metrics.Summary) []string {
	var w []string
	if s.OutputMismatches > 0 {
		w = append(w, fmt.Sprintf("%s: %d of %d requests returned an output token count other than the %d requested (the engine may not honour ignore_eos/min_tokens)",
			sc.Name, s.OutputMismatches, s.Succeeded, sc.OutputTokens))
	}
	if s.PromptMismatches > 0 {
		w = append(w, fmt.Sprintf("%s: %d of %d requests: the engine counted a prompt length other than the %d tokens sent (is the tokenizer the model's?)",
			sc.Name, s.PromptMismatches, s.Succeeded, sc.InputTokens))
	}
	if s.UsageMissing > 0 {
		w = append(w, fmt.Sprintf("%s: the engine sent no usage for %d requests; their token counts come from the tokenizer", sc.Name, s.UsageMissing))
	}
	if s.Errors > 0 {
		w = append(w, fmt.Sprintf("%s: %d of %d requests failed", sc.Name, s.Errors, s.Requests))
	}
	return w
}

// cpuSeconds is this process's user plus system CPU time.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}
