package kernels

import (
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// threads is the number of goroutines, the caller's included, a parallel
// loop runs on.
var threads atomic.Int32

// pool holds the long-lived worker goroutines that parallel loops share
// with every caller in the process. A loop is published in cur and cut
// into chunks, usually more than threads; every participant, the caller
// first, takes the next chunk until none is left, so a worker that joins
// late costs only the chunks it did not take, and a caller whose loop no
// worker saw (another caller published after it) simply runs it all
// itself. Decode's products are cut into one chunk per thread (see
// matVecs): there a worker preempted mid-chunk holds up its whole share.
//
// Decode runs a MatMul every few tens of microseconds, each of them over
// in tens of microseconds on two cores, so the hand-off must cost far less
// than that: idle workers poll cur for a while before they park (a parked
// thread is woken through the scheduler, late), and a caller polls for the
// workers' last chunks rather than sleeping on them. Handing loops over a
// channel, with a caller that parked after 22 µs, cost decode a third of
// the second core.
var pool struct {
	mu      sync.Mutex
	started int
	cur     atomic.Pointer[job]
	parked  atomic.Int32
	wake    chan struct{}
}

// spinFor is how long an idle worker polls for the next loop before it
// parks, in nanoseconds. Between two decode steps of the engine there is
// sampling, streaming and scheduling, well under this; an engine with no
// work parks its workers at once after it.
var spinFor atomic.Int64

// waitFor is how long the caller of a parallel loop polls for the chunks
// that workers took before it parks on them. A chunk lasts tens of
// microseconds; a worker whose thread was descheduled may take far longer.
const waitFor = 2 * time.Millisecond

// yieldPolls is how many polls a spinning goroutine makes between calls
// to runtime.Gosched, which lets any other goroutine that waits for its P
// (an HTTP handler streaming a token) run: a spinning goroutine is
// otherwise preempted only after 10 ms.
const yieldPolls = 256

func init() {
	spinFor.Store(int64(200 * time.Microsecond))
	pool.wake = make(chan struct{}, 256)
	SetThreads(runtime.GOMAXPROCS(0))
}

// job is one parallel loop: fn over [0, n) in chunks.
type job struct {
	fn            func(lo, hi int)
	n, grain      int
	chunks        int64
	next, pending atomic.Int64
	// seats is how many workers may still join: the loop runs on at most
	// Threads() goroutines even when more workers were started earlier.
	seats atomic.Int32
	done  chan struct{}
}

// SetThreads sets the number of goroutines parallel loops run on, the
// caller's included; n < 1 means runtime.GOMAXPROCS(0).
func SetThreads(n int) {
	if n < 1 {
		n = runtime.GOMAXPROCS(0)
	}
	pool.mu.Lock()
	defer pool.mu.Unlock()
	for ; pool.started < n-1; pool.started++ {
		go worker(pool.started)
	}
	threads.Store(int32(n))
}

// Threads reports the number of goroutines parallel loops run on.
func Threads() int { return int(threads.Load()) }

// worker runs loops; those past the first Threads()−1, started for a
// higher thread count earlier, only park and join when woken.
func worker(id int) {
	var seen *job
	for {
		j := awaitJob(seen, id < Threads()-1)
		seen = j
		if j.seats.Add(-1) >= 0 {
			j.run()
		}
	}
}

// awaitJob returns the newest loop other than seen, polling for it for
// spinFor if spin is set, and then parking until a caller wakes it.
func awaitJob(seen *job, spin bool) *job {
	start := time.Now()
	limit := time.Duration(spinFor.Load())
	for i := 1; spin; i++ {
		if j := pool.cur.Load(); j != nil && j != seen {
			return j
		}
		if i%yieldPolls == 0 {
			if time.Since(start) >= limit {
				break
			}
			runtime.Gosched()
		}
	}
	for {
		// A caller stores cur before it reads parked, and this reads cur
		// after it adds to parked: one of the two sees the other.
		pool.parked.Add(1)
		if j := pool.cur.Load(); j != nil && j != seen {
			pool.parked.Add(-1)
			return j
		}
		<-pool.wake
		pool.parked.Add(-1)
		if j := pool.cur.Load(); j != nil && j != seen {
			return j
		}
	}
}

// run takes chunks of j until none is left.
func (j *job) run() {
	units := (j.n + j.grain - 1) / j.grain
	for {
		c := j.next.Add(1) - 1
		if c >= j.chunks {
			return
		}
		lo := min(int(c)*units/int(j.chunks)*j.grain, j.n)
		hi := min(int(c+1)*units/int(j.chunks)*j.grain, j.n)
		j.fn(lo, hi)
		if j.pending.Add(-1) == 0 {
			close(j.done)
		}
	}
}

// wait returns when every chunk of j is done.
func (j *job) wait() {
	start := time.Now()
	for i := 1; j.pending.Load() > 0; i++ {
		if i%yieldPolls == 0 {
			if time.Since(start) >= waitFor {
				<-j.done
				return
			}
			runtime.Gosched()
		}
	}
}

// ParallelFor calls fn over [0, n) cut into chunks of whole multiples of
// grain, on up to Threads() goroutines of the kernels' pool, the caller's
// included, and returns when all are done: far cheaper than starting
// goroutines when the caller runs parallel loops back to back, as a
// decode step does.
func ParallelFor(n, grain int, fn func(lo, hi int)) { parallelFor(n, max(grain, 1), fn) }

// parallelFor calls fn over [0, n) cut into chunks of whole multiples of
// grain, on up to Threads() goroutines, and returns when all are done.
func parallelFor(n, grain int, fn func(lo, hi int)) { parallelForChunks(n, grain, chunksPerThread, fn) }

// parallelForChunks is parallelFor cut into at most perThread chunks per
// thread.
func parallelForChunks(n, grain, perThread int, fn func(lo, hi int)) {
	if n <= 0 {
		return
	}
	units := (n + grain - 1) / grain
	t := min(Threads(), units)
	if t <= 1 {
		fn(0, n)
		return
	}
	chunks := min(units, perThread*t)
	j := &job{fn: fn, n: n, grain: grain, chunks: int64(chunks), done: make(chan struct{})}
	j.pending.Store(int64(chunks))
	j.seats.Store(int32(t - 1))
	pool.cur.Store(j)
	for range min(int(pool.parked.Load()), t-1) {
		select {
		case pool.wake <- struct{}{}:
		default: // enough wake-ups are pending already
		}
	}
	j.run()
	j.wait()
	// Neither the pool nor a worker's memory of the last loop it saw may
	// keep fn's captures (weights among them) alive: every chunk is done,
	// so nothing reads fn again.
	pool.cur.CompareAndSwap(j, nil)
	j.fn = nil
}

// chunksPerThread is how many chunks per thread a loop is cut into, unless
// its caller says otherwise: enough that a late or preempted worker holds
// up only a small share.
const chunksPerThread = 4
