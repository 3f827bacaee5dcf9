package kernels

import (
	"runtime"
	"sync"
	"sync/atomic"
)

// threads is the number of chunks a parallel loop is split into.
var threads atomic.Int32

// pool hands chunks of parallel loops to long-lived worker goroutines,
// shared by every caller in the process; concurrent callers queue for the
// workers rather than oversubscribe the cores.
var pool struct {
	mu      sync.Mutex
	started int
	tasks   chan task
}

type task struct {
	fn     func(lo, hi int)
	lo, hi int
	wg     *sync.WaitGroup
}

func init() {
	pool.tasks = make(chan task)
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

// spinPolls is how many times an idle worker polls for its next chunk
// (about 20 µs) before it parks: a decode step runs a MatMul every few tens
// of microseconds, and waking a parked thread costs as much again.
var spinPolls = 2000

func worker() {
	for {
		t, ok := nextTask()
		if !ok {
			return
		}
		t.fn(t.lo, t.hi)
		t.wg.Done()
	}
}

// nextTask polls for a chunk for a while, then blocks until one comes.
func nextTask() (task, bool) {
	for range spinPolls {
		select {
		case t, ok := <-pool.tasks:
			return t, ok
		default:
			runtime.Gosched()
		}
	}
	t, ok := <-pool.tasks
	return t, ok
}

// parallelFor calls fn over [0, n) split into at most Threads() contiguous
// chunks of whole multiples of grain, and returns when all are done.
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
	var wg sync.WaitGroup
	wg.Add(t - 1)
	for c := 1; c < t; c++ {
		lo, hi := min(units*c/t*grain, n), min(units*(c+1)/t*grain, n)
		pool.tasks <- task{fn, lo, hi, &wg}
	}
	fn(0, min(units/t*grain, n))
	wg.Wait()
}
