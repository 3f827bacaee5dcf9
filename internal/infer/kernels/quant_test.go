package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

var quantFormats = []Format{FP16, INT8, INT4}

func TestParseFormat(t *testing.T) {
	for _, name := range FormatNames() {
		f, err := ParseFormat(name)
		if err != nil || f.String() != name {
			t.Errorf("ParseFormat(%q) = %v, %v, want %s", name, f, err, name)
		}
	}
	if _, err := ParseFormat("q5"); err == nil || err.Error() != `kernels: unknown weight format "q5" (valid: fp32, fp16, int8, int4)` {
		t.Errorf("ParseFormat(q5) error = %v", err)
	}
}

// TestF16 checks that every half survives widening and narrowing, and that
// narrowing rounds to the nearest half.
func TestF16(t *testing.T) {
	for h := range 1 << 16 {
		v := f16ToF32(uint16(h))
		if v != v {
			continue
		}
		if got := f32ToF16(v); got != uint16(h) {
			t.Fatalf("f32ToF16(f16ToF32(%#x) = %g) = %#x", h, v, got)
		}
	}
	r := rand.New(rand.NewPCG(3, 4))
	for range 100000 {
		v := float32(r.NormFloat64() * math.Exp2(float64(r.IntN(40)-30)))
		h := f32ToF16(v)
		got := math.Abs(float64(f16ToF32(h)) - float64(v))
		for _, nb := range []uint16{h - 1, h + 1} {
			if f16ToF32(nb)*v < 0 || nb&0x7c00 == 0x7c00 {
				continue
			}
			if other := math.Abs(float64(f16ToF32(nb)) - float64(v)); other < got {
				t.Fatalf("f32ToF16(%g) = %g, but %g is nearer", v, f16ToF32(h), f16ToF32(nb))
			}
		}
	}
}

// quantBound returns, for each output feature j of w ([N][K]), the most a
// weight of it may move when stored in format f, as a function of the
// weight itself.
func quantBound(f Format, w []float32, n, k int) func(j int, wv float32) float64 {
	colMax := make([]float64, n)
	colRange := make([]float64, n)
	for j := range n {
		lo, hi := math.Inf(1), math.Inf(-1)
		for _, v := range w[j*k : j*k+k] {
			colMax[j] = max(colMax[j], math.Abs(float64(v)))
			lo, hi = min(lo, float64(v)), max(hi, float64(v))
		}
		colRange[j] = hi - lo
	}
	return func(j int, wv float32) float64 {
		switch f {
		case FP16:
			return math.Abs(float64(wv))/2048 + 1.0/(1<<25)
		case INT8:
			return colMax[j]/254*(1+1e-6) + 1e-30
		case INT4:
			return colRange[j]/30*(1+1e-6) + colRange[j]*1e-6 + 1e-30
		}
		return 0
	}
}

// actBound returns, for the integer formats, the most each activation of
// x may move when quantized per block of 32: half a step, max|x|/254.
func actBound(f Format, x []float32) []float64 {
	b := make([]float64, len(x))
	if f != INT8 && f != INT4 {
		return b
	}
	for r0 := 0; r0 < len(x); r0 += qblock {
		r1 := min(r0+qblock, len(x))
		var amax float64
		for _, v := range x[r0:r1] {
			amax = max(amax, math.Abs(float64(v)))
		}
		for kk := r0; kk < r1; kk++ {
			b[kk] = amax / 254 * (1 + 1e-6)
		}
	}
	return b
}

// TestQuantMatMulMatchesReference checks MatMul on every format and path
// against x·Wᵀ + b in float64 from the unquantized weights, within the
// format's rounding of each weight plus float32 summation.
func TestQuantMatMulMatchesReference(t *testing.T) {
	shapes := []struct{ n, k int }{{1, 1}, {31, 7}, {33, 65}, {97, 130}, {64, 768}, {40, 600}, {256, 100}, {300, 768}}
	r := rand.New(rand.NewPCG(11, 12))
	for _, f := range quantFormats {
		for _, im := range impls {
			for _, sh := range shapes {
				for _, m := range []int{1, 3, 13} {
					t.Run(fmt.Sprintf("%s/%s/n=%d/k=%d/m=%d", f, im.name, sh.n, sh.k, m), func(t *testing.T) {
						w := randSlice(r, sh.n*sh.k)
						x := randSlice(r, m*sh.k)
						bias := randSlice(r, sh.n)
						want, tol := reference(x, w, bias, m, sh.n, sh.k)
						wb := quantBound(f, w, sh.n, sh.k)
						p := PackAs(w, sh.n, sh.k, f)
						got := make([]float32, m*sh.n)
						matMul(im, got, x, m, p, bias)
						for i := range m {
							xb := actBound(f, x[i*sh.k:(i+1)*sh.k])
							for j := range sh.n {
								var qt float64
								for kk := range sh.k {
									wv := w[j*sh.k+kk]
									qt += math.Abs(float64(x[i*sh.k+kk]))*wb(j, wv) + xb[kk]*(math.Abs(float64(wv))+wb(j, wv))
								}
								o := i*sh.n + j
								if d := math.Abs(float64(got[o]) - want[o]); d > 2*tol[o]+qt*(1+1e-5) {
									t.Fatalf("out[%d][%d] = %g, want %g within %g", i, j, got[o], want[o], 2*tol[o]+qt)
								}
							}
						}
					})
				}
			}
		}
	}
}

// TestQuantPathsMatchGeneric checks that every path computes what the
// generic one does bitwise (FP16 panels widened, INT8 and INT4 products),
// that PackKNAs stores what PackAs does, and that Row gives the weights
// MatMul multiplies.
func TestQuantPathsMatchGeneric(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 14))
	for _, f := range quantFormats {
		for _, sh := range []struct{ n, k int }{{1, 1}, {40, 70}, {64, 768}, {200, 96}} {
			w := randSlice(r, sh.n*sh.k)
			p := PackAs(w, sh.n, sh.k, f)
			q := PackKNAs(transpose(w, sh.n, sh.k), sh.k, sh.n, f)
			if !slices.Equal(p.q, q.q) || !slices.Equal(p.scale, q.scale) {
				t.Fatalf("%s n=%d k=%d: PackKNAs stores other bytes than PackAs", f, sh.n, sh.k)
			}
			// Every column's weights as Row gives them, to multiply in
			// float64 below.
			deq := make([]float32, sh.n*sh.k)
			for j := range sh.n {
				p.Row(j, deq[j*sh.k:(j+1)*sh.k])
			}
			if f == FP16 {
				want := make([]float32, sh.k*nr)
				for pi := range p.panels() {
					genericImpl.dequantPanel(p, want, pi)
					for _, im := range impls {
						got := make([]float32, sh.k*nr)
						im.dequantPanel(p, got, pi)
						for i := range got {
							if got[i] != want[i] {
								t.Fatalf("%s/%s panel %d [%d] = %g, want %g (generic)", f, im.name, pi, i, got[i], want[i])
							}
						}
						for c := range min(nr, sh.n-pi*nr) {
							for kk := range sh.k {
								if v := deq[(pi*nr+c)*sh.k+kk]; v != want[kk*nr+c] {
									t.Fatalf("%s: Row(%d)[%d] = %g, want %g", f, pi*nr+c, kk, v, want[kk*nr+c])
								}
							}
						}
					}
				}
				continue
			}
			const m = 5
			x := randSlice(r, m*sh.k)
			bias := randSlice(r, sh.n)
			want := make([]float32, m*sh.n)
			matMul(genericImpl, want, x, m, p, bias)
			for _, im := range impls {
				got := make([]float32, m*sh.n)
				matMul(im, got, x, m, p, bias)
				for i := range got {
					if got[i] != want[i] {
						t.Fatalf("%s/%s n=%d k=%d: out[%d] = %g, want %g bitwise (generic)", f, im.name, sh.n, sh.k, i, got[i], want[i])
					}
				}
			}
			// The integer path multiplies Row's weights by the quantized
			// activations: its result is their float64 product within the
			// float32 roundings of a few operations per block.
			for i := range m {
				xr := x[i*sh.k : (i+1)*sh.k]
				xd := dequantX(xr)
				for j := range sh.n {
					ref, mag := float64(bias[j]), math.Abs(float64(bias[j]))
					for kk := range sh.k {
						v := float64(deq[j*sh.k+kk]) * xd[kk]
						ref += v
						mag += math.Abs(v)
					}
					if d := math.Abs(float64(want[i*sh.n+j]) - ref); d > 1e-5*mag+1e-6 {
						t.Fatalf("%s n=%d k=%d: out[%d][%d] = %g, want %g (Row's weights × quantized x) within %g", f, sh.n, sh.k, i, j, want[i*sh.n+j], ref, 1e-5*mag)
					}
				}
			}
		}
	}
}

// dequantX returns x as the integer formats see it: quantized per block
// of 32 and scaled back, in float64.
func dequantX(x []float32) []float64 {
	nb := (len(x) + qblock - 1) / qblock
	r := getQRows(1, nb*qblock, nb)
	defer qrowsScratch.Put(r)
	r.quantizeRow(genericImpl, 0, x, len(x), nb)
	d := make([]float64, len(x))
	for kk := range x {
		d[kk] = float64(r.q[kk]) * float64(r.s[kk/qblock])
	}
	return d
}

// dequantPanel calls p.dequantPanel with im, for tests that range over
// paths.
func (im *impl) dequantPanel(p *Packed, dst []float32, q int) { p.dequantPanel(im, dst, q) }

func transpose(w []float32, n, k int) []float32 {
	t := make([]float32, len(w))
	for j := range n {
		for kk := range k {
			t[kk*n+j] = w[j*k+kk]
		}
	}
	return t
}

func TestQuantBytes(t *testing.T) {
	const n, k = 768, 768
	w := make([]float32, n*k)
	fp32 := Pack(w, n, k).Bytes()
	for _, c := range []struct {
		f    Format
		want int64
	}{
		{FP16, fp32 / 2},
		{INT8, fp32/4 + fp32/64}, // a half per 32 weights: 2 bytes per 128
		{INT4, fp32/8 + 2*fp32/64},
	} {
		if got := PackAs(w, n, k, c.f).Bytes(); got != c.want {
			t.Errorf("%s Bytes() = %d, want %d", c.f, got, c.want)
		}
	}
}

// TestQuantizeRowPaths checks that every path quantizes activations to
// the same integers and scales as the generic one: random rows, a block of
// zeros, values that land on .5 steps (ties go to even), tiny and huge
// magnitudes, and K not a multiple of 32.
func TestQuantizeRowPaths(t *testing.T) {
	r := rand.New(rand.NewPCG(15, 16))
	for _, k := range []int{1, 31, 32, 33, 96, 768, 3072 + 17} {
		for trial := range 20 {
			x := randSlice(r, k)
			switch trial % 5 {
			case 1: // a block of zeros, and negative zeros
				for i := 0; i < min(k, 32); i++ {
					x[i] = 0
				}
				if k > 40 {
					x[40] = float32(math.Copysign(0, -1))
				}
			case 2: // ties: multiples of amax/254 land on half steps
				for i := range x {
					x[i] = float32(r.IntN(255)-127) / 2
				}
			case 3:
				for i := range x {
					x[i] *= 1e-30
				}
			case 4:
				for i := range x {
					x[i] *= 1e30
				}
				if k > 64 { // a block whose 127/max would overflow
					for i := 32; i < 64; i++ {
						x[i] = 1.5e-37 * float32(i%3-1)
					}
				}
			}
			nb := (k + qblock - 1) / qblock
			want := getQRows(1, nb*qblock, nb)
			want.quantizeRow(genericImpl, 0, x, k, nb)
			for _, im := range impls {
				got := getQRows(1, nb*qblock, nb)
				got.quantizeRow(im, 0, x, k, nb)
				if !slices.Equal(got.q, want.q) || !slices.Equal(got.s, want.s) || !slices.Equal(got.sum, want.sum) || !slices.Equal(got.sm, want.sm) {
					t.Fatalf("%s k=%d trial %d: quantized row differs from generic", im.name, k, trial)
				}
			}
		}
	}
}

// TestQuantScaleRange packs blocks whose scale or minimum lies outside a
// half's range: huge weights saturate to finite values of the right sign
// rather than infinities, and weights too small for a half's scale come
// back as zeros (INT4: the minimum) rather than NaNs.
func TestQuantScaleRange(t *testing.T) {
	const k = 64
	for _, f := range []Format{INT8, INT4} {
		for _, mag := range []float32{1e9, -1e9, 1e-12} {
			w := make([]float32, k)
			for i := range w {
				w[i] = mag * float32(i%7+1) / 7
			}
			row := make([]float32, k)
			PackAs(w, 1, k, f).Row(0, row)
			for i, v := range row {
				if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
					t.Fatalf("%s weights %g: row[%d] = %v", f, mag, i, v)
				}
				if mag > 1 && v <= 0 || mag < -1 && v >= 0 {
					t.Fatalf("%s weights %g: row[%d] = %v, wrong sign", f, mag, i, v)
				}
				if mag > 0 && mag < 1 && math.Abs(float64(v)) > 1e-6 {
					t.Fatalf("%s weights %g: row[%d] = %v, want about 0", f, mag, i, v)
				}
			}
		}
	}
}
