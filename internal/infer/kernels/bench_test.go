package kernels

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"runtime"
	"sync"
	"testing"
	"time"
)

var (
	benchBWBytes = flag.Int("kernels.bwbytes", 1<<30, "buffer size of the read-bandwidth ceiling in benchmarks")
	benchRotate  = flag.Int64("kernels.rotate", 128<<20, "bytes of weight copies a MatMul benchmark cycles through, to defeat the cache")
)

// gpt2Shapes are GPT-2 124M's Linear layers as (K, N): qkv, attention
// projection, MLP up, MLP down, LM head.
var gpt2Shapes = []struct{ k, n int }{
	{768, 2304}, {768, 768}, {768, 3072}, {3072, 768}, {768, 50257},
}

// bwBuf is the buffer the ceiling is read from, kept for the whole run by
// bwOwner.
var bwBuf = sync.OnceValue(func() []float32 {
	buf, _ := allocFloats(bwOwner, *benchBWBytes/4)
	for i := range buf {
		buf[i] = 1
	}
	return buf
})

var bwOwner = new(holder)

// ceiling is the read bandwidth now: the best of three passes over
// -kernels.bwbytes. Benchmarks take it just before and after they run and
// keep the higher, so a machine shared with other work moves both sides of
// the ceiling-frac ratio together.
func ceiling() float64 { return readBandwidth(cur(), bwBuf(), 0) }

// cpuCeiling is the read bandwidth per CPU-second of the threads doing
// it: bytes read over the process CPU time of three passes. A core that
// waits its turn on a loaded machine does not count, so benchmarks that
// divide their own bytes per CPU-second by it give a ratio that load moves
// much less than wall time. The ratio is fair one thread against one; with
// more, the probe's threads share the bandwidth all the time, a decode's
// only while both run, and the ratio can pass 1.
func cpuCeiling() float64 {
	buf := bwBuf()
	c0 := processCPU()
	for range 3 {
		readPass(cur(), buf)
	}
	return 3 * float64(len(buf)*4) / (processCPU() - c0).Seconds()
}

// reportCeilingFrac reports bytes per op over the ceiling measured around
// the benchmark; before is the ceiling taken before it ran.
func reportCeilingFrac(b *testing.B, bytes int64, before float64) {
	sec := b.Elapsed().Seconds() / float64(b.N)
	b.ReportMetric(float64(bytes)/sec/max(before, ceiling()), "ceiling-frac")
}

// benchWeights returns enough copies of a packed N×K matrix that cycling
// through them streams at least 128 MiB, four times the L3 of the machines
// the targets were set on, so every call reads its weights from DRAM as
// decode does.
func benchWeights(n, k int) []*Packed {
	r := rand.New(rand.NewPCG(11, 12))
	p := Pack(randSlice(r, n*k), n, k)
	copies := int((*benchRotate + p.Bytes() - 1) / p.Bytes())
	ws := []*Packed{p}
	for range copies - 1 {
		c := newPacked(n, k)
		copy(c.data, p.data)
		ws = append(ws, c)
	}
	return ws
}

func freeAll(ws []*Packed) {
	for _, w := range ws {
		w.Free()
	}
}

func BenchmarkMatMul(b *testing.B) {
	r := rand.New(rand.NewPCG(13, 14))
	for _, sh := range gpt2Shapes {
		ws := benchWeights(sh.n, sh.k)
		bias := randSlice(r, sh.n)
		for _, m := range []int{1, 128} {
			x := randSlice(r, m*sh.k)
			out := make([]float32, m*sh.n)
			for _, im := range impls {
				b.Run(fmt.Sprintf("%s/m=%d/%dx%d", im.name, m, sh.k, sh.n), func(b *testing.B) {
					bw, cbw := 0.0, 0.0
					if m == 1 {
						b.SetBytes(ws[0].Bytes())
						bw, cbw = ceiling(), cpuCeiling()
					}
					i := 0
					cpu0 := processCPU()
					for b.Loop() {
						matMul(im, out, x, m, ws[i%len(ws)], bias)
						i++
					}
					if m == 1 {
						cpu := (processCPU() - cpu0).Seconds() / float64(b.N)
						reportCeilingFrac(b, ws[0].Bytes(), bw)
						b.ReportMetric(float64(ws[0].Bytes())/cpu/max(cbw, cpuCeiling()), "cpu-ceiling-frac")
					} else {
						sec := b.Elapsed().Seconds() / float64(b.N)
						b.ReportMetric(2*float64(m*sh.n*sh.k)/sec/1e9, "GFLOP/s")
						// Per CPU-second: the kernel's rate on a core it
						// has, whatever else the machine runs.
						cpu := (processCPU() - cpu0).Seconds() / float64(b.N)
						b.ReportMetric(2*float64(m*sh.n*sh.k)/cpu/1e9, "GFLOP/cpu-s")
					}
				})
			}
		}
		freeAll(ws)
	}
}

// BenchmarkReadBandwidth reads a -kernels.bwbytes buffer once per op on all
// threads with each implementation's widest loads: the mean read bandwidth.
// The m=1 ceiling-frac divides by the best of three such passes instead.
func BenchmarkReadBandwidth(b *testing.B) {
	owner := new(holder)
	buf, free := allocFloats(owner, *benchBWBytes/4)
	defer runtime.KeepAlive(owner)
	defer free()
	for i := range buf {
		buf[i] = 1
	}
	for _, im := range impls {
		b.Run(im.name, func(b *testing.B) {
			b.SetBytes(int64(len(buf) * 4))
			for b.Loop() {
				readPass(im, buf)
			}
		})
	}
}

func BenchmarkDot(b *testing.B) {
	r := rand.New(rand.NewPCG(15, 16))
	for _, n := range []int{64, 768} {
		x, y := randSlice(r, n), randSlice(r, n)
		for _, im := range impls {
			b.Run(fmt.Sprintf("%s/n=%d", im.name, n), func(b *testing.B) {
				b.SetBytes(int64(8 * n))
				for b.Loop() {
					im.dot(&x[0], &y[0], n)
				}
			})
		}
	}
}

func BenchmarkGELU(b *testing.B) {
	x := randSlice(rand.New(rand.NewPCG(17, 18)), 3072)
	b.SetBytes(int64(4 * len(x)))
	for b.Loop() {
		GELU(x)
	}
}

// BenchmarkDispatch is a MatMul too small to be worth splitting, on one and
// on all threads: the difference is the pool's hand-off cost.
func BenchmarkDispatch(b *testing.B) {
	r := rand.New(rand.NewPCG(19, 20))
	w := Pack(randSlice(r, 64*64), 64, 64)
	x, out := randSlice(r, 64), make([]float32, 64)
	for _, th := range []int{1, Threads()} {
		b.Run(fmt.Sprintf("threads=%d", th), func(b *testing.B) {
			defer SetThreads(Threads())
			SetThreads(th)
			for b.Loop() {
				MatMul(out, x, 1, w, nil)
			}
		})
	}
}

// BenchmarkDecodeStep runs the m=1 MatMuls of one GPT-2 124M token (12
// layers of qkv, projection, MLP up and down, then the LM head) in every
// format, with a few microseconds of single-threaded work between them,
// as attention and LayerNorm leave; MB/s and ceiling-frac count every
// weight byte. FP32 also runs with the workers parked between loops and
// on one thread.
func BenchmarkDecodeStep(b *testing.B) {
	type variant struct {
		threads int
		spin    time.Duration
	}
	all := Threads()
	for _, f := range []Format{FP32, FP16, INT8, INT4} {
		// Packed only when the filter selects the format.
		b.Run(f.String(), func(b *testing.B) {
			r := rand.New(rand.NewPCG(23, 24))
			var ws []*Packed
			defer func() { freeAll(ws) }()
			var total int64
			for range 12 {
				for _, sh := range gpt2Shapes[:4] {
					ws = append(ws, PackAs(randSlice(r, sh.n*sh.k), sh.n, sh.k, f))
				}
			}
			head := gpt2Shapes[4]
			ws = append(ws, PackAs(randSlice(r, head.n*head.k), head.n, head.k, f))
			for _, w := range ws {
				total += w.Bytes()
			}
			x := randSlice(r, 3072)
			out := make([]float32, 50257)
			gap := randSlice(r, 4096)
			variants := []variant{{all, time.Duration(spinFor.Load())}}
			if f == FP32 {
				variants = append(variants, variant{all, 0}, variant{1, 0})
			}
			for _, v := range variants {
				b.Run(fmt.Sprintf("threads=%d/spin=%v", v.threads, v.spin), func(b *testing.B) {
					defer spinFor.Store(spinFor.Load())
					defer SetThreads(all)
					spinFor.Store(int64(v.spin))
					SetThreads(v.threads)
					b.SetBytes(total)
					bw, cbw := ceiling(), cpuCeiling()
					cpu0 := processCPU()
					for b.Loop() {
						for _, w := range ws {
							MatMul(out, x, 1, w, nil)
							Softmax(gap) // stands in for attention and LayerNorm
						}
					}
					cpu := (processCPU() - cpu0).Seconds() / float64(b.N)
					reportCeilingFrac(b, total, bw)
					b.ReportMetric(float64(total)/cpu/max(cbw, cpuCeiling()), "cpu-ceiling-frac")
				})
			}
		})
	}
}

// BenchmarkPackX packs a prefill's activations for the tile kernel.
func BenchmarkPackX(b *testing.B) {
	r := rand.New(rand.NewPCG(25, 26))
	for _, k := range []int{768, 3072} {
		const m, mr = 128, 12
		x := randSlice(r, m*k)
		nb := (m + mr - 1) / mr
		xp := make([]float32, nb*mr*k)
		b.Run(fmt.Sprintf("m=%d/k=%d", m, k), func(b *testing.B) {
			b.SetBytes(int64(4 * m * k))
			cpu0 := processCPU()
			for b.Loop() {
				packX(xp, x, k, m, k, mr, 0, nb)
			}
			b.ReportMetric((processCPU()-cpu0).Seconds()/float64(b.N*m*k)*1e9, "cpu-ns/float")
		})
	}
}

// BenchmarkPeakFLOPS is PeakFLOPS on one thread and on all.
func BenchmarkPeakFLOPS(b *testing.B) {
	for _, th := range []int{1, Threads()} {
		b.Run(fmt.Sprintf("threads=%d", th), func(b *testing.B) {
			defer SetThreads(Threads())
			SetThreads(th)
			var f float64
			for b.Loop() {
				f = PeakFLOPS(0)
			}
			b.ReportMetric(f/1e9, "GFLOP/s")
		})
	}
}

// BenchmarkLayerNorm normalises one 768-wide row on every path.
func BenchmarkLayerNorm(b *testing.B) {
	r := rand.New(rand.NewPCG(27, 28))
	x, g, bb, out := randSlice(r, 768), randSlice(r, 768), randSlice(r, 768), make([]float32, 768)
	for _, im := range impls {
		b.Run(im.name, func(b *testing.B) {
			for b.Loop() {
				layerNorm(im, out, x, g, bb, 1e-5)
			}
		})
	}
}

// BenchmarkArgmax scans GPT-2's 50,257 logits, as greedy decoding does
// every token, on the SIMD path and in Go.
func BenchmarkArgmax(b *testing.B) {
	x := randSlice(rand.New(rand.NewPCG(29, 30)), 50257)
	b.Run("fast", func(b *testing.B) {
		for b.Loop() {
			Argmax(x)
		}
	})
	b.Run("generic", func(b *testing.B) {
		for b.Loop() {
			argmaxGeneric(x)
		}
	})
}

// BenchmarkQuantizeRow quantizes a 3,072-wide row of activations, as every
// INT8/INT4 product does first, on every path.
func BenchmarkQuantizeRow(b *testing.B) {
	x := randSlice(rand.New(rand.NewPCG(31, 32)), 3072)
	r := getQRows(1, 3072, 96)
	for _, im := range impls {
		b.Run(im.name, func(b *testing.B) {
			for b.Loop() {
				r.quantizeRow(im, 0, x, 3072, 96)
			}
		})
	}
}
