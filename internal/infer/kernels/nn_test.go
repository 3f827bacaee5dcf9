package kernels

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestGELU(t *testing.T) {
	for _, v := range []float32{-20, -9.5, -5, -3, -1, -0.1, -0.01, 0, 1e-6, 0.03, 0.07, 0.5, 1, 2.5, 4, 8.9, 9.1, 30} {
		x := []float32{v}
		GELU(x)
		f := float64(v)
		want := 0.5 * f * (1 + math.Tanh(math.Sqrt(2/math.Pi)*(f+0.044715*f*f*f)))
		if d := math.Abs(float64(x[0]) - want); d > 4e-7*math.Max(1, math.Abs(want)) {
			t.Errorf("GELU(%g) = %g, want %g", v, x[0], want)
		}
	}
}

func TestExp32(t *testing.T) {
	for x := float32(-87); x <= 88; x += 0.0137 {
		want := math.Exp(float64(x))
		if got := float64(exp32(x)); math.Abs(got-want) > 3e-7*want {
			t.Fatalf("exp32(%g) = %g, want %g", x, got, want)
		}
	}
}

func TestSoftmax(t *testing.T) {
	x := []float32{1, 2, 3, float32(math.Inf(-1)), -100}
	Softmax(x)
	e1, e2, e3 := math.Exp(-2), math.Exp(-1), 1.0
	s := e1 + e2 + e3 + math.Exp(-103)
	want := []float64{e1 / s, e2 / s, e3 / s, 0, 0}
	for i := range x {
		if math.Abs(float64(x[i])-want[i]) > 1e-7 {
			t.Errorf("Softmax[%d] = %g, want %g", i, x[i], want[i])
		}
	}
}

func TestLayerNorm(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	const n = 768
	x := randSlice(r, n)
	for i := range x {
		x[i] = 3 + 2*x[i]
	}
	g, b := randSlice(r, n), randSlice(r, n)
	var mean, v float64
	for _, e := range x {
		mean += float64(e)
	}
	mean /= n
	for _, e := range x {
		v += (float64(e) - mean) * (float64(e) - mean)
	}
	v /= n
	out := make([]float32, n)
	LayerNorm(out, x, g, b, 1e-5)
	for i := range out {
		want := (float64(x[i])-mean)/math.Sqrt(v+1e-5)*float64(g[i]) + float64(b[i])
		if math.Abs(float64(out[i])-want) > 1e-5*(1+math.Abs(want)) {
			t.Fatalf("LayerNorm[%d] = %g, want %g", i, out[i], want)
		}
	}
	LayerNorm(x, x, g, b, 1e-5) // in place
	for i := range x {
		if x[i] != out[i] {
			t.Fatalf("in place LayerNorm[%d] = %g, want %g", i, x[i], out[i])
		}
	}
}

// TestLayerNormPaths checks that every path's LayerNorm is bitwise the
// generic one, for widths that leave every kind of tail.
func TestLayerNormPaths(t *testing.T) {
	r := rand.New(rand.NewPCG(21, 22))
	for _, n := range []int{1, 3, 4, 5, 7, 8, 9, 15, 16, 17, 64, 100, 768, 1023} {
		x, g, b := randSlice(r, n), randSlice(r, n), randSlice(r, n)
		for i := range x {
			x[i] = 5 + 3*x[i]
		}
		want := make([]float32, n)
		layerNorm(genericImpl, want, x, g, b, 1e-5)
		for _, im := range impls {
			got := make([]float32, n)
			layerNorm(im, got, x, g, b, 1e-5)
			for i := range got {
				if got[i] != want[i] {
					t.Fatalf("%s n=%d: [%d] = %g, want %g bitwise (generic)", im.name, n, i, got[i], want[i])
				}
			}
		}
	}
}

// TestArgmax checks the SIMD path against a plain scan: ties go to the
// first index, NaNs are never the largest, tails past whole vectors count.
func TestArgmax(t *testing.T) {
	r := rand.New(rand.NewPCG(23, 24))
	nan := float32(math.NaN())
	want := func(x []float32) int {
		best := -1
		for i, v := range x {
			if v == v && (best < 0 || v > x[best]) {
				best = i
			}
		}
		return max(best, 0)
	}
	for _, n := range []int{1, 15, 16, 17, 33, 50257} {
		for trial := range 12 {
			x := randSlice(r, n)
			switch trial % 6 {
			case 1: // a tie: the largest value twice
				i, j := r.IntN(n), r.IntN(n)
				x[i], x[j] = 9, 9
			case 2: // NaNs, one first
				x[0] = nan
				x[r.IntN(n)] = nan
			case 3: // all NaN
				for i := range x {
					x[i] = nan
				}
			case 4: // the largest in the tail
				x[n-1] = 9
			case 5: // all equal
				for i := range x {
					x[i] = -1
				}
			}
			if got, w := Argmax(x), want(x); got != w {
				t.Fatalf("n=%d trial %d: Argmax = %d (%g), want %d (%g)", n, trial, got, x[got], w, x[w])
			}
			if got, w := argmaxGeneric(x), want(x); got != w {
				t.Fatalf("n=%d trial %d: argmaxGeneric = %d, want %d", n, trial, got, w)
			}
		}
	}
}
