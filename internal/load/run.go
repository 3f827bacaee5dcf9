package load

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/muaibench/muaibench/internal/engine"
	"github.com/muaibench/muaibench/internal/metrics"
)

// Item is one request to send and the token counts it asks for (written
// into its record so that mismatches show).
type Item struct {
	Req          engine.Request
	PromptTokens int
	OutputTokens int
}

// Source returns the request for hit number i (0-based, warm-up
// included). Run calls it from many goroutines at once.
type Source func(hit uint64) Item

// Options configures one load run.
type Options struct {
	// Scenario names the records.
	Scenario string
	Client   engine.Client
	Source   Source
	// Pacer paces an open-loop run. Nil means closed loop: Concurrency
	// workers, each sending its next request when the last one ends.
	Pacer Pacer
	// Concurrency is the number of workers in closed loop (default 1),
	// and the most requests in flight in open loop (default
	// DefaultMaxInFlight). An open-loop request that finds the cap
	// reached waits for a free slot; its dispatch lag grows meanwhile.
	Concurrency int
	// Warmup is sent first and marked warm-up in the records.
	Warmup time.Duration
	// Duration bounds the measured part of the run (after Warmup);
	// Requests bounds the number of measured requests. Zero is no bound;
	// at least one of them (or ctx) must end the run.
	Duration time.Duration
	Requests uint64
	// Timeout bounds one request; 0 is none.
	Timeout time.Duration
	// Drain bounds how long requests still in flight may run after the
	// last one was sent; those cut off are recorded as timeouts. 0 waits
	// for them (up to Timeout).
	Drain time.Duration
	// StallTimeout is the watchdog: when no request has completed for
	// this long while some are in flight, the engine is taken to have
	// stalled, the run stops and the requests in flight are recorded as
	// failed. 0 is no watchdog.
	StallTimeout time.Duration
	// Count counts output tokens when the engine sends no usage.
	Count metrics.Counter
	// Tick is how often sinks that are Tickers and Progress are told how
	// the run goes (default 1 s).
	Tick     time.Duration
	Progress func(Snapshot)
	// Clock paces open-loop sends; nil is the wall clock.
	Clock Clock
}

// DefaultMaxInFlight is the open-loop in-flight cap when Options leaves
// it zero.
const DefaultMaxInFlight = 16384

// A Sink receives every finished request's record. Run calls it from one
// goroutine, so a sink needs no locking. metrics.Aggregator is a Sink.
type Sink interface {
	Add(r *metrics.Record)
}

// SinkFunc adapts a function to a Sink.
type SinkFunc func(r *metrics.Record)

// Add implements Sink.
func (f SinkFunc) Add(r *metrics.Record) { f(r) }

// A Ticker is a Sink that is also told, every Options.Tick, how the run
// goes (to close time windows, say).
type Ticker interface {
	Tick(s Snapshot)
}

// A Beginner is a Sink that wants to know when the run began (its clock's
// zero), before the first record.
type Beginner interface {
	Begin(t time.Time)
}

// Snapshot is the state of a run at one moment.
type Snapshot struct {
	Began, Now time.Time
	Elapsed    time.Duration
	// Warmup is true while requests are still warm-up ones.
	Warmup bool
	// Counts since the start, warm-up included.
	Sent, Completed, Errors, OutputTokens uint64
	InFlight                              int64
	// Rates over the last tick.
	RequestsPerS, OutputTokensPerS float64
	// TargetRate is the offered rate now when the pacer is a Schedule.
	TargetRate float64
	// SinceCompletion is how long ago the last request completed (or the
	// run began).
	SinceCompletion time.Duration
	// Final is set on the last snapshot of the run.
	Final bool
}

// Report is what the load generator itself did and cost.
type Report struct {
	Began, Ended time.Time
	// Sent counts requests handed to the client, warm-up included;
	// Completed counts records emitted.
	Sent, Completed uint64
	// Interrupted counts requests cut short by ctx; they have no record.
	Interrupted uint64
	// Cut counts requests still running when the drain ended (recorded as
	// timeouts).
	Cut uint64
	// PeakInFlight is the most requests in flight at once; Workers the
	// goroutines that sent them.
	PeakInFlight int64
	Workers      int
	// CapWaits counts open-loop requests that had to wait for the
	// in-flight cap.
	CapWaits uint64
	// MaxInFlight is the cap (open loop) or the workers (closed loop).
	MaxInFlight int
	CPUSeconds  float64
	Cores       int
	// Stalled is set when the watchdog stopped the run.
	Stalled     bool
	StallDetail string
}

// CPUPercent is the generator's CPU over its wall time, in percent of
// one core.
func (r Report) CPUPercent() float64 {
	wall := r.Ended.Sub(r.Began).Seconds()
	if wall <= 0 {
		return 0
	}
	return 100 * r.CPUSeconds / wall
}

var (
	errStalled = errors.New("load: engine stalled")
	errCut     = errors.New("load: drain ended")
)

type ticket struct {
	hit  uint64
	due  time.Duration
	warm bool
}

// gen is one run in progress.
type gen struct {
	o       Options
	clk     Clock
	began   time.Time
	user    context.Context // the caller's: its end is an interruption
	runCtx  context.Context // ended by the caller or the watchdog
	reqCtx  context.Context // ended by runCtx or the drain
	recs    chan metrics.Record
	schedOK chan struct{} // closed when no more requests will be sent

	sent, interrupted, cut, capWaits atomic.Uint64
	inFlight, peak                   atomic.Int64
	workers                          int
	// responded is called when a request's response has ended (open loop:
	// the worker is about to be free).
	responded func()
	stallMsg  atomic.Pointer[string]
}

// Run sends requests until a bound is reached or ctx ends, waits for
// those in flight (up to Options.Drain), and gives every finished
// request's record to each sink. A ctx that ends is an interruption:
// requests it cuts short are not recorded, and Run returns what it has
// with a nil error.
func Run(ctx context.Context, o Options, sinks ...Sink) (Report, error) {
	if o.Client == nil || o.Source == nil {
		return Report{}, errors.New("load: options need a Client and a Source")
	}
	if o.Duration <= 0 && o.Requests == 0 && ctx.Done() == nil {
		return Report{}, errors.New("load: the run needs a bound: a duration, a request count or a context that ends")
	}
	if o.Concurrency <= 0 {
		o.Concurrency = 1
		if o.Pacer != nil {
			o.Concurrency = DefaultMaxInFlight
		}
	}
	if o.Tick <= 0 {
		o.Tick = time.Second
	}
	g := &gen{o: o, clk: o.Clock, user: ctx, recs: make(chan metrics.Record, 4096), schedOK: make(chan struct{})}
	if g.clk == nil {
		g.clk = realClock{}
	}
	runCtx, stopRun := context.WithCancelCause(ctx)
	defer stopRun(nil)
	reqCtx, cutReqs := context.WithCancelCause(runCtx)
	defer cutReqs(nil)
	g.runCtx, g.reqCtx = runCtx, reqCtx

	cpu0 := ProcessCPU()
	g.began = g.clk.Now()
	for _, s := range sinks {
		if b, ok := s.(Beginner); ok {
			b.Begin(g.began)
		}
	}
	allDone := make(chan struct{})
	go func() {
		if o.Pacer != nil {
			g.open()
		} else {
			g.closed()
		}
		close(allDone)
		close(g.recs)
	}()
	if o.Drain > 0 {
		go func() {
			select {
			case <-g.schedOK:
			case <-allDone:
				return
			}
			t := time.NewTimer(o.Drain)
			defer t.Stop()
			select {
			case <-t.C:
				cutReqs(errCut)
			case <-allDone:
			}
		}()
	}

	rep := g.collect(sinks, stopRun)
	rep.Ended = g.clk.Now()
	rep.CPUSeconds = ProcessCPU() - cpu0
	return rep, nil
}

// collect feeds records to the sinks and ticks them until the generator
// is done; it is the watchdog too.
func (g *gen) collect(sinks []Sink, stopRun context.CancelCauseFunc) Report {
	var tickers []Ticker
	for _, s := range sinks {
		if t, ok := s.(Ticker); ok {
			tickers = append(tickers, t)
		}
	}
	ticker := time.NewTicker(g.o.Tick)
	defer ticker.Stop()
	var completed, errs, outTok uint64
	var prevDone, prevTok uint64
	lastDone := g.began
	prevAt := g.began
	rep := Report{Began: g.began, Cores: runtime.GOMAXPROCS(0), MaxInFlight: g.o.Concurrency}
	snapshot := func(final bool) Snapshot {
		now := g.clk.Now()
		s := Snapshot{
			Began: g.began, Now: now, Elapsed: now.Sub(g.began),
			Sent: g.sent.Load(), Completed: completed, Errors: errs, OutputTokens: outTok,
			InFlight: g.inFlight.Load(), SinceCompletion: now.Sub(lastDone), Final: final,
		}
		s.Warmup = s.Elapsed < g.o.Warmup
		if dt := now.Sub(prevAt).Seconds(); dt > 0 {
			s.RequestsPerS = float64(completed-prevDone) / dt
			s.OutputTokensPerS = float64(outTok-prevTok) / dt
		}
		if sc, ok := g.o.Pacer.(Schedule); ok {
			s.TargetRate = sc.Rate(s.Elapsed)
		}
		prevAt, prevDone, prevTok = now, completed, outTok
		return s
	}
	tell := func(s Snapshot) {
		for _, t := range tickers {
			t.Tick(s)
		}
		if g.o.Progress != nil {
			g.o.Progress(s)
		}
	}
	for {
		select {
		case r, ok := <-g.recs:
			if !ok {
				tell(snapshot(true))
				rep.Sent, rep.Completed = g.sent.Load(), completed
				rep.Interrupted, rep.Cut, rep.CapWaits = g.interrupted.Load(), g.cut.Load(), g.capWaits.Load()
				rep.PeakInFlight, rep.Workers = g.peak.Load(), g.workers
				if m := g.stallMsg.Load(); m != nil {
					rep.Stalled, rep.StallDetail = true, *m
				}
				return rep
			}
			completed++
			if !r.OK() {
				errs++
			}
			outTok += uint64(max(r.OutputTokens, 0))
			lastDone = g.clk.Now()
			for _, s := range sinks {
				s.Add(&r)
			}
		case <-ticker.C:
			s := snapshot(false)
			if g.o.StallTimeout > 0 && s.InFlight > 0 && s.SinceCompletion >= g.o.StallTimeout && g.stallMsg.Load() == nil {
				msg := fmt.Sprintf("no request completed for %s while %d were in flight", s.SinceCompletion.Round(time.Millisecond), s.InFlight)
				g.stallMsg.Store(&msg)
				stopRun(errStalled)
			}
			tell(s)
		}
	}
}

// open sends on the pacer's schedule through a pool of workers that grows
// up to the in-flight cap.
func (g *gen) open() {
	o := &g.o
	tickets := make(chan ticket)
	var wg sync.WaitGroup
	// idle counts workers whose request's response has ended and that
	// are not yet promised the next ticket. The scheduler claims one
	// before a blocking send, so a worker that is free but not yet
	// scheduled gets the ticket (late, and the lag shows) instead of a
	// new worker and a new connection being started for it: spawning on a
	// missed rendezvous makes a CPU-starved client open thousands of
	// connections and overflow the engine's accept queue.
	var idle atomic.Int64
	g.responded = func() { idle.Add(1) }
	worker := func(t ticket) {
		defer wg.Done()
		for {
			g.do(t.hit, g.began.Add(t.due), t.warm)
			var ok bool
			if t, ok = <-tickets; !ok {
				return
			}
		}
	}
	sched, exact := o.Pacer.(Schedule)
	end := time.Duration(0)
	if o.Duration > 0 {
		end = o.Warmup + o.Duration
	}
	var measured uint64
loop:
	for hit := uint64(0); ; hit++ {
		var due time.Duration
		if exact {
			d, ok := sched.Due(hit)
			if !ok || (end > 0 && d >= end) {
				break
			}
			due = d
			if wait := due - g.clk.Now().Sub(g.began); wait > 0 {
				if g.clk.Sleep(g.runCtx, wait) != nil {
					break
				}
			}
		} else {
			for {
				elapsed := g.clk.Now().Sub(g.began)
				wait, stop := o.Pacer.Pace(elapsed, hit)
				if stop || (end > 0 && elapsed+wait >= end) {
					break loop
				}
				if wait <= 0 {
					due = elapsed
					break
				}
				if g.clk.Sleep(g.runCtx, wait) != nil {
					break loop
				}
			}
		}
		if g.runCtx.Err() != nil {
			break
		}
		t := ticket{hit: hit, due: due, warm: due < o.Warmup}
		if !t.warm {
			measured++
			if o.Requests > 0 && measured > o.Requests {
				break
			}
		}
		if idle.Load() <= 0 {
			runtime.Gosched() // let workers that are done say so
		}
		if idle.Add(-1) >= 0 {
			select {
			case tickets <- t:
				g.sent.Add(1)
				continue
			case <-g.runCtx.Done():
				break loop
			}
		}
		idle.Add(1)
		if g.workers < o.Concurrency {
			g.workers++
			wg.Add(1)
			g.sent.Add(1)
			go worker(t)
			continue
		}
		g.capWaits.Add(1)
		select {
		case tickets <- t:
			g.sent.Add(1)
			idle.Add(-1) // the worker that took it had counted itself idle
		case <-g.runCtx.Done():
			break loop
		}
	}
	close(g.schedOK)
	close(tickets)
	wg.Wait()
}

// closed runs Concurrency workers, each sending its next request when
// the last one ends.
func (g *gen) closed() {
	o := &g.o
	end := time.Duration(0)
	if o.Duration > 0 {
		end = o.Warmup + o.Duration
	}
	var hits, measured atomic.Uint64
	var wg sync.WaitGroup
	g.workers = o.Concurrency
	for range o.Concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for g.runCtx.Err() == nil {
				now := g.clk.Now()
				elapsed := now.Sub(g.began)
				if end > 0 && elapsed >= end {
					return
				}
				warm := elapsed < o.Warmup
				if !warm && o.Requests > 0 && measured.Add(1) > o.Requests {
					return
				}
				g.sent.Add(1)
				g.do(hits.Add(1)-1, now, warm)
			}
		}()
	}
	if end > 0 {
		go func() {
			d := end - g.clk.Now().Sub(g.began)
			if d > 0 && g.clk.Sleep(g.runCtx, d) != nil {
				return
			}
			close(g.schedOK)
		}()
	}
	wg.Wait()
}

// do sends one request, measures it from start and emits its record.
func (g *gen) do(hit uint64, start time.Time, warm bool) {
	item := g.o.Source(hit)
	ctx, cancel := g.reqCtx, context.CancelFunc(func() {})
	if g.o.Timeout > 0 {
		ctx, cancel = context.WithTimeout(ctx, g.o.Timeout)
	}
	n := g.inFlight.Add(1)
	for p := g.peak.Load(); n > p && !g.peak.CompareAndSwap(p, n); p = g.peak.Load() {
	}
	resp, err := g.o.Client.Do(ctx, item.Req)
	g.inFlight.Add(-1)
	cancel()
	if g.responded != nil {
		g.responded()
	}
	if resp == nil {
		resp = &engine.Response{}
	}
	if err != nil {
		switch cause := context.Cause(g.reqCtx); {
		case g.user.Err() != nil:
			g.interrupted.Add(1) // the stop, not the engine, ended it
			return
		case errors.Is(cause, errStalled):
			err = fmt.Errorf("engine stalled (%s): %w", *g.stallMsg.Load(), context.DeadlineExceeded)
		case errors.Is(cause, errCut):
			g.cut.Add(1)
			err = fmt.Errorf("still running %s after the last request was sent: %w", g.o.Drain, context.DeadlineExceeded)
		case errors.Is(err, context.DeadlineExceeded) && g.o.Timeout > 0:
			err = fmt.Errorf("request timed out after %s: %w", g.o.Timeout, err)
		}
	}
	rec := metrics.Measure(start, resp, err, g.o.Count)
	rec.Scenario, rec.Index, rec.Warmup = g.o.Scenario, int(hit), warm
	rec.RequestedPromptTokens, rec.RequestedOutputTokens = item.PromptTokens, item.OutputTokens
	g.recs <- rec
}
