package kernels

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestParallelForConcurrentCallers runs loops from many goroutines at once,
// with the workers both spinning and parked, and checks that every loop
// covers each index exactly once, in chunks of whole grains, before it
// returns.
func TestParallelForConcurrentCallers(t *testing.T) {
	defer SetThreads(Threads())
	SetThreads(4) // more workers than this machine may have cores
	for _, spin := range []time.Duration{0, 200 * time.Microsecond} {
		defer spinFor.Store(spinFor.Load())
		spinFor.Store(int64(spin))
		var wg sync.WaitGroup
		var bad atomic.Int64
		for c := range 8 {
			wg.Go(func() {
				for it := range 200 {
					n, grain := 1+(c*37+it*11)%500, 1+(c+it)%7
					hits := make([]atomic.Int32, n)
					parallelFor(n, grain, func(lo, hi int) {
						if lo%grain != 0 || (hi%grain != 0 && hi != n) || lo >= hi {
							bad.Add(1)
						}
						for i := lo; i < hi; i++ {
							hits[i].Add(1)
						}
					})
					for i := range hits {
						if hits[i].Load() != 1 {
							bad.Add(1)
						}
					}
				}
			})
		}
		wg.Wait()
		if b := bad.Load(); b != 0 {
			t.Fatalf("spin %v: %d indices covered other than once or chunks off the grain", spin, b)
		}
	}
}
