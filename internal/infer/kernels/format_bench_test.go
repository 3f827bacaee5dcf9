package kernels

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// BenchmarkFormatStream streams one row through a 768×3072 matrix (GPT-2's
// MLP up-projection) in every format, cycling through copies that add up
// to 160 MiB so that every call reads from memory as decode does, on one
// thread and on all: each format's read rate, next to "sum", the plain
// read of the same bytes that sets the ceiling.
func BenchmarkFormatStream(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 2))
	const n, k = 3072, 768
	for _, f := range []Format{FP32, FP16, INT8, INT4} {
		var ws []*Packed
		var total int64
		for total < 160<<20 {
			w := PackAs(randSlice(r, n*k), n, k, f)
			ws = append(ws, w)
			total += w.Bytes()
		}
		x := randSlice(r, k)
		out := make([]float32, n)
		for _, th := range []int{1, 2} {
			b.Run(fmt.Sprintf("%s/threads=%d", f, th), func(b *testing.B) {
				defer SetThreads(Threads())
				SetThreads(th)
				b.SetBytes(ws[0].Bytes())
				i := 0
				for b.Loop() {
					matMul(cur(), out, x, 1, ws[i%len(ws)], nil)
					i++
				}
			})
			if f == FP32 {
				b.Run(fmt.Sprintf("sum/threads=%d", th), func(b *testing.B) {
					defer SetThreads(Threads())
					SetThreads(th)
					b.SetBytes(ws[0].Bytes())
					im := cur()
					i := 0
					for b.Loop() {
						w := ws[i%len(ws)]
						parallelFor(len(w.data), 1024, func(lo, hi int) { im.sum(&w.data[lo], hi-lo) })
						i++
					}
				})
			}
		}
		freeAll(ws)
	}
}
