package load

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/muaibench/muaibench/internal/engine"
	"github.com/muaibench/muaibench/internal/engine/enginetest"
	"github.com/muaibench/muaibench/internal/metrics"
)

// virtualClock advances only when slept on: a run paced by it takes no
// real time and its sends land exactly on schedule.
type virtualClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *virtualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *virtualClock) Sleep(ctx context.Context, d time.Duration) error {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
	return ctx.Err()
}

// instantClient answers at once, stamping the send with the clock.
type instantClient struct{ clk Clock }

func (c *instantClient) Do(ctx context.Context, req engine.Request) (*engine.Response, error) {
	now := c.clk.Now()
	return &engine.Response{Start: now, Status: 200, Chunks: []engine.Chunk{{Text: "x"}},
		Usage: &engine.Usage{PromptTokens: 4, CompletionTokens: 1}}, nil
}

func source(hit uint64) Item {
	return Item{Req: engine.Request{API: engine.APICompletions, Prompt: "p", MaxTokens: 2, Stream: true}, PromptTokens: 4, OutputTokens: 2}
}

// records collects records.
type records struct{ list []metrics.Record }

func (r *records) Add(rec *metrics.Record) { r.list = append(r.list, *rec) }

// TestOpenLoopHoldsTheRate paces with a virtual clock: every request
// must start at its due time, and the count must be the rate times the
// duration within 2% (here exactly).
func TestOpenLoopHoldsTheRate(t *testing.T) {
	t.Parallel()
	for _, rate := range []float64{50, 1000, 20000} {
		clk := &virtualClock{now: time.Unix(1000, 0)}
		cl := &instantClient{clk: clk}
		var recs records
		rep, err := Run(context.Background(), Options{
			Client: cl, Source: source, Pacer: Constant(rate), Clock: clk,
			Warmup: 100 * time.Millisecond, Duration: 2 * time.Second,
		}, &recs)
		if err != nil {
			t.Fatal(err)
		}
		measured := 0
		for _, r := range recs.list {
			if !r.Warmup {
				measured++
			}
			want := time.Unix(1000, 0).Add(time.Duration(float64(r.Index) / rate * float64(time.Second)))
			if d := r.Start.Sub(want); d < -time.Microsecond || d > time.Microsecond {
				t.Fatalf("rate %g: request %d starts at %s, want %s", rate, r.Index, r.Start, want)
			}
		}
		want := rate * 2
		if d := float64(measured) - want; d < -0.02*want || d > 0.02*want {
			t.Errorf("rate %g: got %d measured requests in 2 s, want %g ±2%%", rate, measured, want)
		}
		if rep.Sent != uint64(len(recs.list)) || rep.Completed != rep.Sent {
			t.Errorf("rate %g: report sent %d completed %d, records %d", rate, rep.Sent, rep.Completed, len(recs.list))
		}
	}
}

func TestRequestBoundAndWarmup(t *testing.T) {
	t.Parallel()
	clk := &virtualClock{now: time.Unix(0, 0)}
	var recs records
	_, err := Run(context.Background(), Options{
		Client: &instantClient{clk: clk}, Source: source, Pacer: Constant(100), Clock: clk,
		Warmup: 50 * time.Millisecond, Requests: 7, Scenario: "T",
	}, &recs)
	if err != nil {
		t.Fatal(err)
	}
	warm, measured := 0, 0
	for _, r := range recs.list {
		if r.Warmup {
			warm++
		} else {
			measured++
		}
		if r.Scenario != "T" || r.RequestedOutputTokens != 2 {
			t.Errorf("got record %+v, want scenario T and 2 requested tokens", r)
		}
	}
	if warm != 5 || measured != 7 {
		t.Errorf("got %d warm-up and %d measured, want 5 and 7", warm, measured)
	}
	if _, err := Run(context.Background(), Options{Client: &instantClient{clk: clk}, Source: source}); err == nil {
		t.Error("a run without a bound: got no error")
	}
}

// TestOpenLoopOnLoopback is the one run on the wall clock: a fake engine
// on loopback, 200 requests/s for 500 ms. The count is fixed by the
// schedule; the generous checks are that the sends kept up (dispatch lag
// median under 20 ms) and that latency counts from the due time.
func TestOpenLoopOnLoopback(t *testing.T) {
	t.Parallel()
	srv := enginetest.NewServer(t, enginetest.Options{TTFT: 5 * time.Millisecond})
	cl := engine.NewOpenAI(engine.OpenAIOptions{BaseURL: srv.URL, Dialect: engine.DialectVLLM})
	agg := metrics.NewAggregator(metrics.SLO{}, false)
	var ticks atomic.Int64
	rep, err := Run(context.Background(), Options{
		Client: cl, Source: source, Pacer: Constant(200), Duration: 500 * time.Millisecond,
		Tick: 50 * time.Millisecond, Progress: func(Snapshot) { ticks.Add(1) },
	}, agg)
	if err != nil {
		t.Fatal(err)
	}
	s := agg.Close()
	if s.Requests != 100 || s.Errors != 0 || srv.Requests() != 100 {
		t.Errorf("got %d requests (%d errors), engine saw %d; want 100, 0, 100", s.Requests, s.Errors, srv.Requests())
	}
	if s.SendLag.P50 > 20 {
		t.Errorf("dispatch lag P50 %.1f ms, want under 20 ms", s.SendLag.P50)
	}
	if s.TTFT.Min < 5 {
		t.Errorf("TTFT min %.2f ms is below the engine's 5 ms", s.TTFT.Min)
	}
	if ticks.Load() == 0 || rep.CPUSeconds <= 0 || rep.Cores == 0 {
		t.Errorf("got %d progress ticks, CPU %g s, %d cores; want some of each", ticks.Load(), rep.CPUSeconds, rep.Cores)
	}
}

// TestDispatchLagWhenTheEngineStalls: one slot in flight and an engine
// taking 50 ms per request, against 1000 requests/s. Request k cannot
// start before k·50 ms, so its lag is at least k·50 − k ms: the lag must
// show the queueing, and the cap waits must be reported.
func TestDispatchLagWhenTheEngineStalls(t *testing.T) {
	t.Parallel()
	srv := enginetest.NewServer(t, enginetest.Options{TTFT: 50 * time.Millisecond})
	cl := engine.NewOpenAI(engine.OpenAIOptions{BaseURL: srv.URL, Dialect: engine.DialectVLLM})
	agg := metrics.NewAggregator(metrics.SLO{}, false)
	rep, err := Run(context.Background(), Options{
		Client: cl, Source: source, Pacer: Constant(1000), Concurrency: 1, Requests: 8,
	}, agg)
	if err != nil {
		t.Fatal(err)
	}
	s := agg.Close()
	if s.Requests != 8 || s.SendLag.Max < 7*49 || s.E2E.Max < 8*49 {
		t.Errorf("got %d requests, lag max %.1f ms, E2E max %.1f ms; want 8, ≥ 343, ≥ 392", s.Requests, s.SendLag.Max, s.E2E.Max)
	}
	if rep.CapWaits == 0 || rep.PeakInFlight != 1 {
		t.Errorf("got %d cap waits, peak in flight %d; want some, 1", rep.CapWaits, rep.PeakInFlight)
	}
	_, warns := rep.Assess(s.SendLag.P99, 0)
	if len(warns) == 0 || !strings.Contains(warns[0], "in-flight cap of 1") {
		t.Errorf("got warnings %q, want one about the in-flight cap", warns)
	}
}

// TestWatchdogStopsAStalledEngine: an engine that never answers, two
// closed-loop workers; the watchdog stops the run and the requests in
// flight are recorded as failed.
func TestWatchdogStopsAStalledEngine(t *testing.T) {
	t.Parallel()
	srv := enginetest.NewServer(t, enginetest.Options{TTFT: time.Hour})
	cl := engine.NewOpenAI(engine.OpenAIOptions{BaseURL: srv.URL, Dialect: engine.DialectVLLM})
	var recs records
	rep, err := Run(context.Background(), Options{
		Client: cl, Source: source, Concurrency: 2, Duration: time.Minute,
		StallTimeout: 200 * time.Millisecond, Tick: 20 * time.Millisecond,
	}, &recs)
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Stalled || !strings.Contains(rep.StallDetail, "while 2 were in flight") {
		t.Errorf("got stalled %v %q, want a stall with 2 in flight", rep.Stalled, rep.StallDetail)
	}
	if len(recs.list) != 2 || recs.list[0].ErrorKind != "timeout" || !strings.Contains(recs.list[0].Error, "engine stalled") {
		t.Errorf("got records %+v, want 2 stalled timeouts", recs.list)
	}
}

func TestInterruptDropsCutRequests(t *testing.T) {
	t.Parallel()
	srv := enginetest.NewServer(t, enginetest.Options{TTFT: time.Hour})
	cl := engine.NewOpenAI(engine.OpenAIOptions{BaseURL: srv.URL, Dialect: engine.DialectVLLM})
	ctx, cancel := context.WithCancel(context.Background())
	var recs records
	done := make(chan Report)
	go func() {
		rep, _ := Run(ctx, Options{Client: cl, Source: source, Pacer: Constant(100), Duration: time.Minute, Tick: 10 * time.Millisecond,
			Progress: func(s Snapshot) {
				if s.InFlight >= 3 {
					cancel()
				}
			}}, &recs)
		done <- rep
	}()
	rep := <-done
	if len(recs.list) != 0 || rep.Interrupted < 3 {
		t.Errorf("got %d records, %d interrupted; want none recorded, at least 3 interrupted", len(recs.list), rep.Interrupted)
	}
}

func TestDrainCutsRequestsAsTimeouts(t *testing.T) {
	t.Parallel()
	srv := enginetest.NewServer(t, enginetest.Options{TTFT: time.Hour})
	cl := engine.NewOpenAI(engine.OpenAIOptions{BaseURL: srv.URL, Dialect: engine.DialectVLLM})
	var recs records
	rep, err := Run(context.Background(), Options{Client: cl, Source: source, Pacer: Constant(1000), Requests: 3, Drain: 100 * time.Millisecond}, &recs)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Cut != 3 || len(recs.list) != 3 || recs.list[2].ErrorKind != "timeout" {
		t.Errorf("got %d cut, records %+v; want 3 timeouts", rep.Cut, recs.list)
	}
}
