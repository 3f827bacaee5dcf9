package kernels

import (
	"fmt"
	"testing"
)

func BenchmarkExpTile(b *testing.B) {
	for _, im := range impls[:2] {
		for _, k := range []int{128, 768} {
			xp := make([]float32, k*im.mr)
			w := make([]float32, k*32)
			c := make([]float32, im.mr*32)
			b.Run(fmt.Sprintf("%s/k=%d", im.name, k), func(b *testing.B) {
				for b.Loop() {
					im.gemm(&c[0], 32, &xp[0], &w[0], nil, k, 0)
				}
				b.ReportMetric(float64(2*im.mr*32*k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
		}
	}
	for _, th := range []int{1, 2} {
		for _, sh := range gpt2Shapes[:4] {
			ws := benchWeights(sh.n, sh.k)
			x := make([]float32, 128*sh.k)
			out := make([]float32, 128*sh.n)
			b.Run(fmt.Sprintf("t=%d/%dx%d", th, sh.k, sh.n), func(b *testing.B) {
				defer SetThreads(Threads())
				SetThreads(th)
				i := 0
				for b.Loop() {
					MatMul(out, x, 128, ws[i%len(ws)], nil)
					i++
				}
				b.ReportMetric(float64(2*128*sh.n*sh.k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
			freeAll(ws)
		}
	}
}
