package kernels

import (
	"runtime"
	"sync"
	"sync/atomic"
)

// threads is the number of goroutines, the caller's included, a parallel
// loop runs on.
var threads atomic.Int32

// pool holds the long-lived worker goroutines that parallel loops share
// with every caller in the process. A loop is cut into more chunks than
// threads and every participant, the caller first, takes the next chunk
// until none is left, so a worker that wakes late costs only the chunks it
// did not take, and concurrent callers never oversubscribe the cores.
var pool struct {
	mu      sync.Mutex
	started int
	jobs    chan *job
}

// spinPolls is how many times an idle worker polls for its next job before
// it parks (about 4.5 ns a poll on Zen 4). Decode runs a MatMul every few
// tens of microseconds and waking a parked thread can cost as much, but a
// worker that spins takes the core from whatever shares the machine (the
// load generator, when muaibench benchmarks its own engine), and spinning
// longer showed no gain on either machine measured (BenchmarkDecodeStep).
var spinPolls atomic.Int64

func init() { spinPolls.Store(1000) }

// waitPolls is how many times the caller of a parallel loop polls for the
// workers' last chunks before it parks: a parked caller is woken onto the
// P of the worker that finished last, where it may wait behind that
// worker's own spin.
const waitPolls = 5000

// job is one parallel loop: fn over [0, n) in chunks.
type job struct {
	fn            func(lo, hi int)
	n, grain      int
	chunks        int64
	next, pending atomic.Int64
	done          chan struct{}
}

func init() {
	pool.jobs = make(chan *job, 256)
	SetThreads(runtime.GOMAXPROCS(0))
}

// SetThreads sets the number of worker goroutines the kernels use; n < 1
// means runtime.GOMAXPROCS(0).
func SetThreads(n int) {
	if n < 1 {
		n = runtime.GOMAXPROCS(0)
	}
	pool.mu.Lock()
	defer pool.mu.Unlock()
	for ; pool.started < n-1; pool.started++ {
		go worker()
	}
	threads.Store(int32(n))
}

// Threads reports the number of worker goroutines the kernels use.
func Threads() int { return int(threads.Load()) }

func worker() {
	for {
		for i := spinPolls.Load(); i > 0 && len(pool.jobs) == 0; i-- {
		}
		(<-pool.jobs).run()
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

// parallelFor calls fn over [0, n) cut into chunks of whole multiples of
// grain, on up to Threads() goroutines, and returns when all are done.
func parallelFor(n, grain int, fn func(lo, hi int)) {
	if n <= 0 {
		return
	}
	units := (n + grain - 1) / grain
	t := min(Threads(), units)
	if t <= 1 {
		fn(0, n)
		return
	}
	chunks := min(units, chunksPerThread*t)
	j := &job{fn: fn, n: n, grain: grain, chunks: int64(chunks), done: make(chan struct{})}
	j.pending.Store(int64(chunks))
	for range t - 1 {
		select {
		case pool.jobs <- j:
		default: // the queue is full: the caller does more itself
		}
	}
	j.run()
	for i := waitPolls; i > 0 && j.pending.Load() > 0; i-- {
	}
	if j.pending.Load() > 0 {
		<-j.done
	}
}

// chunksPerThread is how many chunks per thread a loop is cut into: enough
// that a late or preempted worker holds up only a small share.
const chunksPerThread = 4
