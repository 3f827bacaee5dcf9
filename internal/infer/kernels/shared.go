package kernels

import (
	"runtime"
	"sync/atomic"
)

// A Shared is one row's product with a matrix, owned by one thread of a
// parallel loop and shared with another that runs out of its own work
// first: the owner takes the matrix's panels a group at a time from the
// front, a helper from the back, until they meet. Each takes whole
// groups, each group computed by the same kernel calls whoever takes
// it, so the output is bitwise MatMul's.
//
// Two threads' shares of a decode step's memory stream do not keep pace:
// traced on gpt2's INT8 blocks at 55-60 GB/s, two equal halves of 60-90
// µs finished −10 to +20 µs apart (10th and 90th percentiles), so the
// first one idled for that long. Taking from the back keeps the owner's
// stream in order until the end.
//
// The loop's caller calls Reset before the loop. The owner calls Claim
// at the start of its chunk, then either Run or Skip; nothing between
// Claim and either may wait for the other thread. A helper calls Help,
// which returns at once if no thread has claimed the product (its chunk
// has not started, and may yet run on the helper itself), waits while it
// is claimed but not running, and otherwise computes groups from the
// back until none is left.
type Shared struct {
	out, x, bias []float32
	w            *Packed
	r            *qrows // x quantized, for the integer formats
	// ends is the next group from the front (high 32 bits) and one past
	// the next group from the back.
	ends  atomic.Uint64
	state atomic.Int32
}

const (
	sharedIdle    = iota // no owner yet
	sharedClaimed        // an owner, who has not started it
	sharedOpen           // its groups are there for the taking
	sharedSkipped        // its owner had nothing to compute
)

// Reset makes s ready for the next loop.
func (s *Shared) Reset() { s.state.Store(sharedIdle) }

// Claim marks s as owned by the calling thread.
func (s *Shared) Claim() { s.state.Store(sharedClaimed) }

// Skip says the owner computes nothing this time.
func (s *Shared) Skip() { s.state.Store(sharedSkipped) }

// Run computes out = x·Wᵀ + bias for the one row x with a helper's
// help, taking groups from the front, and returns when every group is
// taken (those the helper took may still be running: its chunk of the
// loop ends when they are done). bias is nil or has N elements.
func (s *Shared) Run(out, x []float32, w *Packed, bias []float32) {
	im := cur()
	s.open(im, out, x, w, bias)
	for g, ok := s.takeFront(); ok; g, ok = s.takeFront() {
		s.group(im, g)
	}
	runtime.KeepAlive(w)
}

// Help computes groups of s from the back while there are any; see
// Shared.
func (s *Shared) Help() {
	for i := 1; ; i++ {
		st := s.state.Load()
		if st == sharedIdle || st == sharedSkipped {
			return
		}
		if st == sharedOpen {
			break
		}
		if i%yieldPolls == 0 {
			runtime.Gosched()
		}
	}
	im := cur()
	// The first group the helper takes starts a cold stream, slower than
	// the owner's warm one: it takes one only while the owner has two
	// left besides the one it is on, then goes on while any is left.
	for g, ok := s.takeBack(2); ok; g, ok = s.takeBack(1) {
		s.group(im, g)
	}
	runtime.KeepAlive(s.w)
}

// open sets s up for x·Wᵀ + bias and opens its groups.
func (s *Shared) open(im *impl, out, x []float32, w *Packed, bias []float32) {
	if len(x) < w.K || len(out) < w.N || (bias != nil && len(bias) < w.N) {
		panic("kernels: Shared.Run: slice too short for the shapes")
	}
	s.out, s.x, s.w, s.bias = out, x, w, bias
	w.prefetch(0, startPrefetch)
	if w.format == INT8 || w.format == INT4 {
		nb := w.blocks()
		if s.r == nil {
			s.r = new(qrows)
		}
		s.r.q = growSlice(s.r.q, nb*qblock)
		s.r.s = growSlice(s.r.s, nb)
		s.r.sum = growSlice(s.r.sum, nb)
		s.r.sm = growSlice(s.r.sm, nb)
		s.r.quantizeRow(im, 0, x, w.K, nb)
	}
	s.ends.Store(uint64((w.panels() + intGroup - 1) / intGroup))
	s.state.Store(sharedOpen)
}

// takeFront takes the first group left, if any.
func (s *Shared) takeFront() (int, bool) {
	for {
		e := s.ends.Load()
		front, back := e>>32, e&(1<<32-1)
		if front >= back {
			return 0, false
		}
		if s.ends.CompareAndSwap(e, (front+1)<<32|back) {
			return int(front), true
		}
	}
}

// takeBack takes the last group left, if at least left are.
func (s *Shared) takeBack(left uint64) (int, bool) {
	for {
		e := s.ends.Load()
		front, back := e>>32, e&(1<<32-1)
		if front+left > back {
			return 0, false
		}
		if s.ends.CompareAndSwap(e, front<<32|(back-1)) {
			return int(back - 1), true
		}
	}
}

// group computes group g of s's panels.
func (s *Shared) group(im *impl, g int) {
	lo := g * intGroup
	vecPanels(im, s.out, s.x, s.r, s.w, s.bias, lo, min(lo+intGroup, s.w.panels()))
}
