package suite

import (
	"context"
	"fmt"
	"time"

	"github.com/muaibench/muaibench/internal/config"
	"github.com/muaibench/muaibench/internal/engine"
	"github.com/muaibench/muaibench/internal/metrics"
	"github.com/muaibench/muaibench/internal/monitor"
	"github.com/muaibench/muaibench/internal/report"
)

// request sends one forced-length request and measures it.
func (o *MemoryOptions) request(ctx context.Context, e *MemoryEngine, in, out, index int) (metrics.Record, error) {
	lc := o.Config.Benchmark.Latency
	prompt, err := e.Prompts(in, index)
	if err != nil {
		return metrics.Record{}, err
	}
	req := engine.Request{
		API: engine.API(lc.API), Model: e.Info.Model,
		MaxTokens: out, MinTokens: out, IgnoreEOS: true,
		Temperature: lc.Temperature, Stream: lc.Stream,
	}
	seed := lc.Seed + int64(index)
	req.Seed = &seed
	if req.API == engine.APIChat {
		req.Messages = []engine.Message{{Role: "user", Content: prompt}}
	} else {
		req.Prompt = prompt
	}
	rctx, cancel := context.WithTimeout(ctx, lc.Timeout)
	defer cancel()
	start := o.Now()
	resp, err := e.Client.Do(rctx, req)
	if resp == nil {
		resp = &engine.Response{}
	}
	rec := metrics.Measure(start, resp, err, nil)
	rec.RequestedPromptTokens, rec.RequestedOutputTokens = in, out
	return rec, nil
}

// requestShape is memory.input_length → output_length, shortened to fit
// the model's context, with a warning when it was.
func (o *MemoryOptions) requestShape(e *MemoryEngine, res *report.Result) (in, out int) {
	mc := o.Config.Benchmark.Memory
	in, out = mc.InputLength, mc.OutputLength
	if c := e.ContextLen; c > 0 && in+out > c {
		out = min(out, c/2)
		in = c - out
		w := fmt.Sprintf("memory: %d→%d-token requests exceed the model's context of %d tokens; sent %d→%d", mc.InputLength, mc.OutputLength, c, in, out)
		if len(res.Warnings) == 0 || res.Warnings[len(res.Warnings)-1] != w {
			res.Warnings = append(res.Warnings, w)
		}
	}
	return in, out
}

// memAllFailed is the reason a part whose every request failed has no
// figures, "" when some succeeded.
func memAllFailed(s metrics.Summary) string {
	if s.Requests == 0 || s.Succeeded > 0 {
		return ""
	}
	for _, k := range s.ErrorKindsSorted() {
		return fmt.Sprintf("every request failed (%d × %s, e.g. %s)", s.ErrorKinds[k], k, s.ErrorSamples[k])
	}
	return "every request failed"
}

// inference is M4: memory before the first of inference_requests
// requests, its peak while they run, and after the last.
func (o *MemoryOptions) inference(ctx context.Context, e *MemoryEngine, mon *monitor.Monitor, res *report.Result) error {
	mc := o.Config.Benchmark.Memory
	in, out := o.requestShape(e, res)
	sc := report.Scenario{
		Scenario: config.Scenario{Name: "M4", InputTokens: in, OutputTokens: out, Runs: mc.InferenceRequests},
		Memory:   &report.MemoryFigures{},
	}
	m := sc.Memory
	before, err := o.Read(ctx, e)
	if err != nil {
		sc.Skipped = "not available: " + err.Error()
		res.Scenarios = append(res.Scenarios, sc)
		return nil
	}
	m.Source, m.GPU = before.Source, before.GPUReason
	hwm := e.PID > 0 && monitor.ResetPeak(e.PID)
	from := mon.Offset(o.Now())
	agg := metrics.NewAggregator(metrics.SLO(o.Config.Benchmark.SLO), false)
	for i := range mc.InferenceRequests {
		rec, err := o.request(ctx, e, in, out, i)
		if err != nil {
			return fmt.Errorf("memory: M4: %w", err)
		}
		if ctx.Err() != nil && !rec.OK() {
			break
		}
		rec.Scenario, rec.Index = sc.Name, i
		agg.Add(&rec)
		mon.Sample(ctx) // the peak of a short request would fall between ticks
	}
	sc.Summary = agg.Close()
	sc.Skipped = memAllFailed(sc.Summary)
	after, err := o.Read(ctx, e)
	if err != nil {
		return err
	}
	to := mon.Offset(o.Now())
	m.Iterations = sc.Summary.Requests
	m.BeforeRSSBytes, m.AfterRSSBytes = before.RSS, after.RSS
	m.DeltaRSSBytes = after.RSS - before.RSS
	m.RSSBytes, m.PSSBytes = after.RSS, after.PSS
	m.PeakRSSBytes = max(before.RSS, after.RSS, memSeriesMax(mon, monitor.ProcessRSS, from, to))
	if hwm {
		m.PeakRSSBytes = max(m.PeakRSSBytes, after.PeakRSS)
	}
	if m.GPU == "" {
		m.GPUBeforeBytes, m.GPUAfterBytes = before.GPU, after.GPU
		m.GPUPeakBytes = max(before.GPU, after.GPU, memSeriesMax(mon, monitor.GPUProcessMemory, from, to))
	}
	o.memLog("M4: %d requests of %d→%d tokens: RSS before %.1f MiB, peak %.1f MiB, after %.1f MiB",
		m.Iterations, in, out, memMiB(m.BeforeRSSBytes), memMiB(m.PeakRSSBytes), memMiB(m.AfterRSSBytes))
	res.Scenarios = append(res.Scenarios, sc)
	res.Warnings = append(res.Warnings, warnings(sc.Scenario, sc.Summary)...)
	return nil
}

// memSeriesMax is the largest value of the monitor's series in [from, to].
func memSeriesMax(mon *monitor.Monitor, name string, from, to float64) int64 {
	s := monitor.Find(mon.Series(), name)
	if s == nil {
		return 0
	}
	w := monitor.Series{Points: s.Between(from, to)}
	v, _ := w.Max()
	return int64(v)
}

func memMiB(b int64) float64 { return float64(b) / (1 << 20) }

// kvUsedMetric is the embedded engine's KV gauge: bytes of the blocks
// requests hold (reserved for prompt + max_tokens at admission), and
// kvReservedMetric its counter of the bytes reserved so far, whose
// difference across one request gives that request's bytes even when it
// ends between two scrapes of the gauge.
const (
	kvUsedMetric     = "muaibench_kv_cache_bytes_used"
	kvReservedMetric = "muaibench_kv_cache_bytes_reserved_total"
)

// kvCache is M5: KV cache bytes per token, measured from the engine's
// metrics while one request of each of the plan's lengths runs, or
// estimated from the architecture.
func (o *MemoryOptions) kvCache(ctx context.Context, e *MemoryEngine, res *report.Result) error {
	sc := report.Scenario{Scenario: config.Scenario{Name: "M5"}, Memory: &report.MemoryFigures{}}
	kv := &report.KVFigures{}
	sc.Memory.KV = kv
	scrape := &monitor.Engine{URL: monitor.MetricsURL(e.URL)}
	vals, scrapeErr := scrape.Sample(ctx)
	_, exposes := monitor.Lookup(vals, kvUsedMetric)
	if c, ok := monitor.Lookup(vals, "muaibench_kv_cache_bytes_capacity"); ok {
		kv.CapacityBytes = int64(c)
	}
	var perToken []float64
	lat := o.Config.Benchmark.Latency
	for i, in := range lat.InputLengths {
		out := lat.OutputLengths[i]
		l := report.KVLength{Tokens: in + out}
		switch {
		case !exposes:
		case e.ContextLen > 0 && in+out > e.ContextLen:
			l.Note = fmt.Sprintf("longer than the model's context of %d tokens", e.ContextLen)
		case ctx.Err() == nil:
			var used int64
			failed := ""
			for try := 0; try < 5 && used == 0 && failed == "" && ctx.Err() == nil; try++ { // a short request can end between scrapes
				used, failed = o.kvDuring(ctx, e, scrape, in, out, 10*i+try)
			}
			if failed != "" {
				l.Note = "the request failed: " + failed
			} else if used > 0 {
				held := kvRoundUp(in+out, e.KVBlockTokens)
				l.Bytes, l.Measured = used, true
				perToken = append(perToken, float64(used)/float64(held))
				o.memLog("M5: %d+%d tokens hold %.2f MiB of KV cache", in, out, memMiB(used))
			} else if ctx.Err() == nil {
				l.Note = "the engine reported no KV bytes in use while the request ran"
			}
		}
		kv.Lengths = append(kv.Lengths, l)
	}
	est, estBasis := kvEstimate(e)
	switch {
	case len(perToken) > 0:
		kv.BytesPerToken = memMedian(perToken)
		kv.Basis = fmt.Sprintf("engine metrics: %s while one request of each length ran (or %s's growth across it), over its %d-token blocks",
			kvUsedMetric, kvReservedMetric, max(e.KVBlockTokens, 1))
		if est > 0 {
			kv.Basis += fmt.Sprintf("; the architecture gives %.0f (%s)", est, estBasis)
		}
	case est > 0:
		kv.BytesPerToken, kv.Estimated, kv.Basis = est, true, estBasis
		if !exposes {
			why := "the engine's /metrics has no " + kvUsedMetric
			if scrapeErr != nil {
				why = scrapeErr.Error()
			}
			kv.Basis += " (" + why + ")"
		}
	default:
		sc.Skipped = "not available: the engine reports no KV cache bytes and the config gives no kv_layout for its model"
		sc.Memory.KV = nil
		res.Scenarios = append(res.Scenarios, sc)
		return nil
	}
	for i := range kv.Lengths {
		if !kv.Lengths[i].Measured {
			kv.Lengths[i].Bytes = int64(kv.BytesPerToken * float64(kv.Lengths[i].Tokens))
		}
	}
	res.Scenarios = append(res.Scenarios, sc)
	return nil
}

// kvDuring runs one request and scrapes the KV gauge while it runs,
// returning the most bytes in use seen, or the growth of the reserved
// bytes counter across it where the engine has one and that is more, or
// why the request failed.
func (o *MemoryOptions) kvDuring(ctx context.Context, e *MemoryEngine, scrape *monitor.Engine, in, out, index int) (int64, string) {
	rctx, cancel := context.WithCancel(ctx)
	defer cancel()
	reserved := func() (float64, bool) {
		vals, err := scrape.Sample(ctx)
		if err != nil {
			return 0, false
		}
		return monitor.Lookup(vals, kvReservedMetric)
	}
	before, counts := reserved()
	done := make(chan string, 1)
	go func() {
		rec, err := o.request(rctx, e, in, out, 1000+index)
		switch {
		case err != nil:
			done <- err.Error()
		case !rec.OK() && ctx.Err() == nil:
			done <- rec.Error
		default:
			done <- ""
		}
	}()
	var most int64
	tick := time.NewTicker(2 * time.Millisecond)
	defer tick.Stop()
	for n := 0; ; n++ {
		if vals, err := scrape.Sample(rctx); err == nil {
			if v, ok := monitor.Lookup(vals, kvUsedMetric); ok {
				most = max(most, int64(v))
			}
		}
		// The first scrapes go back to back: a short request on a small
		// model holds its blocks for a millisecond or two, which scrapes
		// 2 ms apart missed in a run of tries; a long one is then
		// sampled every 2 ms rather than loading the engine with scrapes.
		var failed string
		if n < kvBurstScrapes {
			select {
			case failed = <-done:
			default:
				continue
			}
		} else {
			select {
			case failed = <-done:
			case <-tick.C:
				continue
			}
		}
		if after, ok := reserved(); counts && ok && after > before {
			most = max(most, int64(after-before))
		}
		return most, failed
	}
}

// kvBurstScrapes is how many scrapes of a request kvDuring takes back to
// back before it paces them.
const kvBurstScrapes = 50

// kvEstimate is the architecture's KV bytes per token, and how.
func kvEstimate(e *MemoryEngine) (float64, string) {
	k := e.KVLayout
	if k == nil || k.BytesPerToken() <= 0 {
		return 0, ""
	}
	return float64(k.BytesPerToken()), fmt.Sprintf("2 × %d layers × %d kv heads × %d head size × %d bytes",
		k.Layers, k.KVHeads, k.HeadDim, k.BytesPerValue)
}

func kvRoundUp(n, block int) int {
	if block <= 1 {
		return n
	}
	return (n + block - 1) / block * block
}
