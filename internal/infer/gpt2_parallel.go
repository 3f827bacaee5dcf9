package infer

import (
	"runtime"
	"sync"
	"sync/atomic"
)

// maxWorkers is the number of goroutines forEach uses for n items.
func maxWorkers(n int) int { return max(1, min(runtime.GOMAXPROCS(0), n)) }

// forEach calls fn for every item in [0, n), handing items out one at a
// time to at most workers goroutines, the caller's included; worker is the
// goroutine's index (< workers), so fn can use per-worker scratch.
func forEach(n, workers int, fn func(worker, item int)) {
	workers = min(workers, n)
	if workers <= 1 {
		for i := range n {
			fn(0, i)
		}
		return
	}
	var next atomic.Int64
	run := func(worker int) {
		for {
			i := int(next.Add(1) - 1)
			if i >= n {
				return
			}
			fn(worker, i)
		}
	}
	var wg sync.WaitGroup
	for wk := 1; wk < workers; wk++ {
		wg.Go(func() { run(wk) })
	}
	run(0)
	wg.Wait()
}
