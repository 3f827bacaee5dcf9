package kernels

import (
	"fmt"
	"testing"
)

//go:noescape
func gemv32AVX512PF(out, w, x, bias *float32, k, np, dist int)

func BenchmarkExpPrefetch(b *testing.B) {
	sh := struct{ k, n int }{768, 50257}
	ws := benchWeights(sh.n, sh.k)
	x := make([]float32, sh.k)
	out := make([]float32, sh.n)
	bw := ceiling()
	for _, dist := range []int{0, 256, 512, 1024, 2048, 4096} {
		im := *avx512Impl
		if dist > 0 {
			d := dist
			im.gemv = func(out, w, x, bias *float32, k, np int) { gemv32AVX512PF(out, w, x, bias, k, np, d) }
		}
		b.Run(fmt.Sprintf("dist=%d", dist), func(b *testing.B) {
			b.SetBytes(ws[0].Bytes())
			i := 0
			for b.Loop() {
				matMul(&im, out, x, 1, ws[i%len(ws)], nil)
				i++
			}
			b.ReportMetric(float64(ws[0].Bytes())/(b.Elapsed().Seconds()/float64(b.N))/bw, "ceiling-frac")
		})
	}
}
