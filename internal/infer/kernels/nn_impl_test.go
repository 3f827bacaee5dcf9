package kernels

import (
	"fmt"
	"math"
	"testing"
)

// withImpl runs fn with im as the current implementation.
func withImpl(im *impl, fn func()) {
	old := cur()
	curImpl.Store(im)
	defer curImpl.Store(old)
	fn()
}

// TestVectorExpGELU checks every path's exp (through Softmax's kernel) and
// GELU against float64 math over dense grids, with the bounds each path
// is held to: exp within 2.5e-7 relative (about 2 ulp) on [−86.5, 88];
// GELU within 4e-7·max(1, |GELU(x)|) on every path (the generic tanh form
// cancels for x < −4, so only an absolute bound holds there), and on the
// SIMD paths, which compute x / (1 + e^(−2u)), also within a relative
// (|2u| + 4)·1.5e-7 plus 1e-37·max(1, |x|) (where
// x / (1 + e^88.3) stands for a GELU that underflows): the error of e^(−2u) grows with |u|.
func TestVectorExpGELU(t *testing.T) {
	var xs []float32
	for x := float32(-86.5); x <= 88; x += 0.0173 {
		xs = append(xs, x)
	}
	xs = xs[:len(xs)&^15] // whole vectors: the kernel is called directly
	var gs []float32
	for x := float32(-25); x <= 25; x += 0.00731 {
		gs = append(gs, x)
	}
	gs = append(gs, 0, 1e-30, -1e-30, 1e-6, 100, -100, 3e4, -3e4)
	for _, im := range impls {
		t.Run(im.name, func(t *testing.T) {
			withImpl(im, func() {
				e := append([]float32(nil), xs...)
				im.expSum(&e[0], len(e), 0)
				var worst float64
				for i, x := range xs {
					want := math.Exp(float64(x))
					d := math.Abs(float64(e[i])-want) / want
					worst = max(worst, d)
					if d > 2.5e-7 {
						t.Fatalf("exp(%g) = %g, want %g (relative error %.3g)", x, e[i], want, d)
					}
				}
				t.Logf("exp: worst relative error %.3g", worst)
				// GELU in odd lengths, so that tails take the padded path.
				worst = 0
				for lo := 0; lo < len(gs); lo += 37 {
					chunk := append([]float32(nil), gs[lo:min(lo+37, len(gs))]...)
					GELU(chunk)
					for i, got := range chunk {
						f := float64(gs[lo+i])
						// 0.5·f·(1 + tanh v) = f / (1 + e^(−2v)), without
						// the cancellation for negative f.
						want := f / (1 + math.Exp(-2*math.Sqrt(2/math.Pi)*(f+0.044715*f*f*f)))
						d := math.Abs(float64(got) - want)
						if d > 4e-7*math.Max(1, math.Abs(want)) {
							t.Fatalf("GELU(%g) = %g, want %g", f, got, want)
						}
						if im == genericImpl {
							continue
						}
						u2 := 2 * math.Sqrt(2/math.Pi) * math.Abs(f+0.044715*f*f*f)
						rel := d / math.Max(math.Abs(want), 1e-300)
						if math.Abs(want) < 1e-36 {
							rel = 0
						}
						worst = max(worst, rel/(u2+4))
						if d > (u2+4)*1.5e-7*math.Abs(want)+1e-37*math.Max(1, math.Abs(f)) {
							t.Fatalf("GELU(%g) = %g, want %g (relative error %.3g, |2u| = %.3g)", f, got, want, rel, u2)
						}
					}
				}
				t.Logf("GELU: worst relative error ÷ (|2u|+4): %.3g", worst)
			})
		})
	}
}

// TestSoftmaxPaths checks every path's Softmax against float64 for
// lengths around the vector widths, with −Inf entries becoming exactly 0.
func TestSoftmaxPaths(t *testing.T) {
	for _, im := range impls {
		for _, n := range []int{1, 5, 8, 15, 16, 17, 33, 100} {
			t.Run(fmt.Sprintf("%s/n=%d", im.name, n), func(t *testing.T) {
				x := make([]float32, n)
				for i := range x {
					x[i] = float32(math.Sin(float64(i)*1.7) * 6)
				}
				if n > 3 {
					x[2] = float32(math.Inf(-1))
				}
				mx := math.Inf(-1)
				for _, v := range x {
					mx = math.Max(mx, float64(v))
				}
				want := make([]float64, n)
				var s float64
				for i, v := range x {
					want[i] = math.Exp(float64(v) - mx)
					s += want[i]
				}
				withImpl(im, func() { Softmax(x) })
				for i := range x {
					if d := math.Abs(float64(x[i]) - want[i]/s); d > 3e-7*want[i]/s+1e-9 {
						t.Errorf("Softmax[%d] = %g, want %g", i, x[i], want[i]/s)
					}
				}
				if n > 3 && x[2] != 0 {
					t.Errorf("Softmax of −Inf = %g, want 0", x[2])
				}
			})
		}
	}
}
