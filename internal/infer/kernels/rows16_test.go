package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// TestToF16Paths checks that every path rounds floats to halves bitwise
// as f32ToF16 does: ties, subnormals, overflow, infinities and NaNs, at
// lengths around the vector widths.
func TestToF16Paths(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	specials := []float32{0, float32(math.Copysign(0, -1)), 1, -1, 65504, 65520, -65520, 1e6,
		float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.NaN()),
		math.Float32frombits(0x7f800001), math.Float32frombits(0xffc12345),
		math.Float32frombits(0x33800000), math.Float32frombits(0x33000000), 1e-8, -6.1e-5,
		1 + 1.0/2048, 1 + 3.0/2048, 2049, 2051}
	for _, im := range impls {
		for _, n := range []int{1, 7, 8, 16, 31, 64, 100} {
			t.Run(fmt.Sprintf("%s/n=%d", im.name, n), func(t *testing.T) {
				defer func(old *impl) { curImpl.Store(old) }(cur())
				curImpl.Store(im)
				src := make([]float32, n)
				for i := range src {
					if r.IntN(3) == 0 {
						src[i] = specials[r.IntN(len(specials))]
					} else {
						src[i] = float32(r.NormFloat64() * math.Exp2(float64(r.IntN(44)-30)))
					}
				}
				dst := make([]uint16, n)
				ToF16(dst, src)
				for i, v := range src {
					if want := f32ToF16(v); dst[i] != want {
						t.Fatalf("ToF16(%g = %#x)[%d] = %#x, want %#x", v, math.Float32bits(v), i, dst[i], want)
					}
				}
			})
		}
	}
}

// TestRowsF16MatchWidened checks that DotRowsF16 and AxpyRowsF16 give
// bitwise what DotRows and AxpyRows give over the same rows widened to
// float32, on every path, so an FP16 KV cache changes only the rounding
// of what is stored.
func TestRowsF16MatchWidened(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 14))
	for _, im := range impls {
		for _, d := range []int{1, 15, 16, 32, 64, 80, 128, 136} {
			t.Run(fmt.Sprintf("%s/d=%d", im.name, d), func(t *testing.T) {
				defer func(old *impl) { curImpl.Store(old) }(cur())
				curImpl.Store(im)
				const n, stride = 19, 150
				q, kv := randSlice(r, d), randSlice(r, n*stride)
				kh := make([]uint16, len(kv))
				ToF16(kh, kv)
				wide := make([]float32, len(kh))
				for i, h := range kh {
					wide[i] = f16ToF32(h)
				}
				got, want := make([]float32, n), make([]float32, n)
				DotRowsF16(got, q, kh, stride)
				DotRows(want, q, wide, stride)
				for i := range got {
					if got[i] != want[i] {
						t.Fatalf("DotRowsF16[%d] = %g, want %g bitwise (DotRows, widened)", i, got[i], want[i])
					}
				}
				y := randSlice(r, d)
				y2 := append([]float32(nil), y...)
				AxpyRowsF16(got, kh, stride, y)
				AxpyRows(got, wide, stride, y2)
				for i := range y {
					if y[i] != y2[i] {
						t.Fatalf("AxpyRowsF16[%d] = %g, want %g bitwise (AxpyRows, widened)", i, y[i], y2[i])
					}
				}
			})
		}
	}
}
