package kernels

import (
	"math"
	"runtime"
	"sync/atomic"
	"time"
	"unsafe"
)

// ReadBandwidth measures memory read bandwidth in bytes per second: every
// thread reads its share of a buffer of the given size (rounded down to a
// whole number of 4 KiB pages; make it much larger than the last-level
// cache, e.g. 1 GiB) with the widest loads the CPU has, and the best of the
// passes made within dur (at least three) is reported.
func ReadBandwidth(bytes int, dur time.Duration) float64 {
	p := NewBandwidthProbe(bytes)
	defer p.Close()
	return p.Bandwidth(dur)
}

// A BandwidthProbe is ReadBandwidth's buffer, kept for repeated passes:
// benchmarks time them with a clock of their choice (CPU time, on a
// machine shared with other work). The buffer is allocated as packed
// weights are, on huge pages where the system has them, so that a pass
// reads memory the way decode does.
type BandwidthProbe struct {
	owner *holder
	buf   []float32
	free  func()
}

// NewBandwidthProbe allocates and faults in a buffer of about bytes bytes
// (a whole number of 4 KiB pages).
func NewBandwidthProbe(bytes int) *BandwidthProbe {
	const page = 4096
	bytes &^= page - 1
	if bytes < page {
		bytes = page
	}
	p := &BandwidthProbe{owner: new(holder)}
	p.buf, p.free = allocFloats(p.owner, bytes/4)
	buf := p.buf
	parallelFor(len(buf), page/4, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			buf[i] = 1 // fault the pages in before timing
		}
	})
	return p
}

// Bytes is the size of the probe's buffer.
func (p *BandwidthProbe) Bytes() int64 {
	if p == nil {
		return 0
	}
	return int64(len(p.buf)) * 4
}

// Pass reads the whole buffer once on all threads and returns the wall
// time it took.
func (p *BandwidthProbe) Pass() time.Duration { return readPass(cur(), p.buf) }

// Bandwidth is ReadBandwidth over p's buffer: the best of the passes made
// within dur, at least three, in bytes per second.
func (p *BandwidthProbe) Bandwidth(dur time.Duration) float64 {
	return readBandwidth(cur(), p.buf, dur)
}

// Close releases the buffer; p must not be used afterwards.
func (p *BandwidthProbe) Close() {
	p.free()
	runtime.KeepAlive(p.owner)
	p.buf = nil
}

func readBandwidth(im *impl, buf []float32, dur time.Duration) float64 {
	best := time.Duration(1<<63 - 1)
	start := time.Now()
	for pass := 0; pass < 3 || time.Since(start) < dur; pass++ {
		best = min(best, readPass(im, buf))
	}
	return float64(len(buf)*int(unsafe.Sizeof(buf[0]))) / best.Seconds()
}

// readPass reads buf once on all threads and returns the time it took.
func readPass(im *impl, buf []float32) time.Duration {
	const chunk = 1024 // floats per grain: a multiple of every sum's step
	t0 := time.Now()
	parallelFor(len(buf), chunk, func(lo, hi int) {
		n := (hi - lo) &^ (chunk - 1)
		sinkBits.Add(math.Float32bits(im.sum(ptr(buf, lo), n)))
	})
	return time.Since(t0)
}

// holder owns a buffer that lives only as long as a function call; it is
// big enough to stay out of the tiny allocator, whose objects may never be
// collected.
type holder struct{ _ [16]byte }

// sinkBits keeps the sums observable.
var sinkBits atomic.Uint32

// PeakFLOPS measures the FP32 multiply-add throughput of the SIMD path in
// use, in floating-point operations per second (an FMA counts two): all
// threads run a loop of independent FMAs for about dur, and the best of a
// few passes is kept. It is the ceiling of compute-bound work such as
// prefill. Zero on the pure-Go path, which has no such loop.
func PeakFLOPS(dur time.Duration) float64 {
	im := cur()
	if im.fmaLoop == nil {
		return 0
	}
	t := Threads()
	const iters = 1 << 16
	best := 0.0
	start := time.Now()
	for pass := 0; pass < 3 || time.Since(start) < dur; pass++ {
		t0 := time.Now()
		parallelForChunks(t, 1, 1, func(lo, hi int) {
			for range hi - lo {
				im.fmaLoop(iters)
			}
		})
		best = max(best, float64(t*iters*im.fmaLoopFLOPs)/time.Since(t0).Seconds())
	}
	return best
}
