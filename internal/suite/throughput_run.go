package suite

import (
	"context"
	"fmt"
	"time"

	"github.com/muaibench/muaibench/internal/config"
	"github.com/muaibench/muaibench/internal/engine"
	"github.com/muaibench/muaibench/internal/load"
	"github.com/muaibench/muaibench/internal/metrics"
	"github.com/muaibench/muaibench/internal/report"
)

// LoadProgress is told how a throughput or stress scenario goes, about
// once a second and once at its end (Snapshot.Final).
type LoadProgress func(scenario string, s load.Snapshot)

// promptPool is the number of distinct prompts per length a load run
// cycles through (made before the run, so the run does no tokenizing).
const promptPool = 64

// openLoopCap is the in-flight cap of open-loop scenarios.
const openLoopCap = 4096

// loadEnv is what every scenario of a throughput or stress run shares.
type loadEnv struct {
	cfg      *config.Config
	client   engine.Client
	model    string
	prompts  Prompts
	count    metrics.Counter
	records  *report.RecordWriter
	progress LoadProgress
	gpus     int
	pools    map[int][]string
	recErr   error
}

// loadScenario is one scenario of a load run.
type loadScenario struct {
	name          string
	input, output int // tokens per prompt
	batch         int
	pacer         load.Pacer // nil: closed loop
	profile       string
	rate          float64 // mean offered rate, open loop
	concurrency   int
	warmup        time.Duration
	duration      time.Duration
	drain         time.Duration
	stall         time.Duration
	tick          time.Duration
	client        engine.Client // overrides the env's (T7's reference)
	engineNote    string
	sinks         []load.Sink
	ctx           context.Context // overrides the run's (stress: stopped on a crash)
}

// pool returns promptPool prompts of the given length.
func (e *loadEnv) pool(tokens int) ([]string, error) {
	if p, ok := e.pools[tokens]; ok {
		return p, nil
	}
	if e.pools == nil {
		e.pools = map[int][]string{}
	}
	p := make([]string, promptPool)
	for i := range p {
		s, err := e.prompts(tokens, 1_000_000+tokens*promptPool+i)
		if err != nil {
			return nil, err
		}
		p[i] = s
	}
	e.pools[tokens] = p
	return p, nil
}

// source builds the requests of a scenario.
func (e *loadEnv) source(sc loadScenario) (load.Source, error) {
	lc := e.cfg.Benchmark.Latency
	api := engine.API(lc.API)
	if sc.batch > 1 && api != engine.APICompletions {
		return nil, fmt.Errorf("%s: a batch of %d prompts needs the completions API, not %s", sc.name, sc.batch, api)
	}
	pool, err := e.pool(sc.input)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", sc.name, err)
	}
	batch := max(sc.batch, 1)
	return func(hit uint64) load.Item {
		req := engine.Request{
			API: api, Model: e.model,
			MaxTokens: sc.output, MinTokens: sc.output, IgnoreEOS: true,
			Temperature: lc.Temperature, Stream: lc.Stream,
		}
		seed := lc.Seed + int64(hit)
		req.Seed = &seed
		first := int(hit) * batch
		switch {
		case batch > 1:
			req.Prompts = make([]string, batch)
			for i := range req.Prompts {
				req.Prompts[i] = pool[(first+i)%len(pool)]
			}
		case api == engine.APIChat:
			req.Messages = []engine.Message{{Role: "user", Content: pool[first%len(pool)]}}
		default:
			req.Prompt = pool[first%len(pool)]
		}
		return load.Item{Req: req, PromptTokens: batch * sc.input, OutputTokens: batch * sc.output}
	}, nil
}

// run runs one scenario and returns it with its figures, the load
// generator's report and the scenario's warnings.
func (e *loadEnv) run(ctx context.Context, sc loadScenario) (report.Scenario, load.Report, []string, error) {
	out := report.Scenario{Scenario: config.Scenario{Name: sc.name, InputTokens: sc.input, OutputTokens: sc.output}}
	src, err := e.source(sc)
	if err != nil {
		return out, load.Report{}, nil, err
	}
	client := e.client
	if sc.client != nil {
		client = sc.client
	}
	if sc.ctx != nil {
		ctx = sc.ctx
	}
	mode := "closed"
	if sc.pacer != nil {
		mode = "open"
	}
	batch := max(sc.batch, 1)
	out.Load = &report.LoadSpec{
		Mode: mode, Concurrency: sc.concurrency, Batch: batch, Profile: sc.profile, RatePerS: sc.rate,
		WarmupS: sc.warmup.Seconds(), DurationS: sc.duration.Seconds(), Engine: sc.engineNote,
	}
	slo := metrics.SLO(e.cfg.Benchmark.SLO)
	agg := metrics.NewAggregator(slo, engine.API(e.cfg.Benchmark.Latency.API) == engine.APICompletions)
	sinks := []load.Sink{agg}
	if e.records != nil {
		sinks = append(sinks, load.SinkFunc(func(r *metrics.Record) {
			if err := e.records.Write(r); err != nil && e.recErr == nil {
				e.recErr = err
			}
		}))
	}
	sinks = append(sinks, sc.sinks...)
	o := load.Options{
		Scenario: sc.name, Client: client, Source: src, Pacer: sc.pacer, Concurrency: sc.concurrency,
		Warmup: sc.warmup, Duration: sc.duration, Timeout: e.cfg.Benchmark.Latency.Timeout,
		Drain: sc.drain, StallTimeout: sc.stall, Count: e.count, Tick: sc.tick,
	}
	if e.progress != nil {
		o.Progress = func(s load.Snapshot) { e.progress(sc.name, s) }
	}
	rep, err := load.Run(ctx, o, sinks...)
	if err != nil {
		return out, rep, nil, err
	}
	if e.recErr != nil {
		return out, rep, nil, e.recErr
	}
	s := agg.Close()
	out.Summary = s
	out.Scenario.Runs = s.Requests
	out.Figures = figures(s, batch, e.gpus)
	bottleneck, warns := rep.Assess(s.SendLag.P99, 0)
	out.Generator = &report.LoadClient{
		Sent: rep.Sent, PeakInFlight: rep.PeakInFlight, Workers: rep.Workers, MaxInFlight: rep.MaxInFlight,
		CapWaits: rep.CapWaits, Cut: rep.Cut, CPUSeconds: rep.CPUSeconds, CPUPercent: rep.CPUPercent(), Cores: rep.Cores,
		DispatchLagP50Ms: s.SendLag.P50, DispatchLagP99Ms: s.SendLag.P99, DispatchLagMaxMs: s.SendLag.Max,
		Bottleneck: bottleneck, Stalled: rep.Stalled,
	}
	for i := range warns {
		warns[i] = sc.name + ": " + warns[i]
	}
	warns = append(warns, warnings(out.Scenario, s)...)
	return out, rep, warns, nil
}

// figures derives a load scenario's figures from its summary.
func figures(s metrics.Summary, batch, gpus int) *report.LoadFigures {
	f := &report.LoadFigures{SequencesPerS: s.RequestThroughput * float64(batch)}
	if s.Requests > 0 {
		f.ErrorRate = float64(s.Errors) / float64(s.Requests)
		f.GoodputRatio = float64(s.GoodRequests) / float64(s.Requests)
	}
	if gpus > 0 {
		f.OutputTPSPerGPU = s.OutputThroughput / float64(gpus)
	}
	return f
}

// newResult starts a suite's result.
func newResult(suite string, cfg *config.Config, eng report.EngineInfo, now time.Time) *report.Result {
	return &report.Result{
		Schema: report.Schema, Suite: suite, Started: now, Engine: eng, Config: cfg, Definitions: loadDefinitions(),
	}
}

// loadDefinitions adds the load suites' terms to the metric definitions.
func loadDefinitions() map[string]string {
	d := make(map[string]string, len(report.Definitions)+6)
	for k, v := range report.Definitions {
		d[k] = v
	}
	d["dispatch_lag"] = "open loop: actual send − scheduled send of each request (send_lag_ms); latency counts from the scheduled time, so queueing in a slow client or behind a full in-flight cap is measured, not hidden (coordinated omission)"
	d["closed_loop"] = "N workers, each sending its next request when its last one ended; a request's clock starts when it is sent"
	d["open_loop"] = "requests sent on a schedule (constant, Poisson or gamma arrivals over a rate profile) whatever the engine does"
	d["warmup"] = "requests scheduled in the warm-up period are sent but left out of every figure"
	d["saturation"] = "the first concurrency after which doubling it gained under 5% request throughput while mean latency kept rising"
	d["scaling_efficiency"] = "requests/s ÷ (concurrency × requests/s at the lowest concurrency ÷ that concurrency): 1 is perfect scaling"
	d["window"] = "stress: requests are counted in the window in which they completed; P95 is over those requests"
	return d
}

// finish closes a result: times, client cost.
func finish(res *report.Result, now time.Time, cpu0 float64, interrupted bool) {
	res.Finished = now
	res.Interrupted = interrupted
	wall := res.Finished.Sub(res.Started).Seconds()
	res.Client = report.ClientInfo{CPUSeconds: load.ProcessCPU() - cpu0, WallSeconds: wall}
	if wall > 0 {
		res.Client.CPUPercent = 100 * res.Client.CPUSeconds / wall
	}
}
