package kernels

import "math"

// LayerNorm writes (x − mean(x)) / sqrt(var(x) + eps) · gamma + beta into
// out, over len(x) elements; out may be x.
func LayerNorm(out, x, gamma, beta []float32, eps float32) {
	layerNorm(cur(), out, x, gamma, beta, eps)
}

func layerNorm(im *impl, out, x, gamma, beta []float32, eps float32) {
	n := len(x)
	if n == 0 {
		return
	}
	out, gamma, beta = out[:n], gamma[:n], beta[:n]
	// Four float64 sums in a fixed pattern: four times the throughput of
	// one dependent chain, and the same result for the same row.
	var s [4]float64
	i := 0
	if im.lnSum != nil && n >= 4 {
		i = n &^ 3
		im.lnSum(&x[0], i, &s)
	}
	for ; i+4 <= n; i += 4 {
		v := x[i : i+4 : i+4]
		s[0] += float64(v[0])
		s[1] += float64(v[1])
		s[2] += float64(v[2])
		s[3] += float64(v[3])
	}
	for ; i < n; i++ {
		s[0] += float64(x[i])
	}
	mean := float32(((s[0] + s[1]) + (s[2] + s[3])) / float64(n))
	s = [4]float64{}
	i = 0
	if im.lnSq != nil && n >= 4 {
		i = n &^ 3
		im.lnSq(&x[0], i, mean, &s)
	}
	for ; i+4 <= n; i += 4 {
		v := x[i : i+4 : i+4]
		d0, d1, d2, d3 := v[0]-mean, v[1]-mean, v[2]-mean, v[3]-mean
		s[0] += float64(d0 * d0)
		s[1] += float64(d1 * d1)
		s[2] += float64(d2 * d2)
		s[3] += float64(d3 * d3)
	}
	for ; i < n; i++ {
		d := x[i] - mean
		s[0] += float64(d * d)
	}
	ss := (s[0] + s[1]) + (s[2] + s[3])
	inv := float32(1 / math.Sqrt(ss/float64(n)+float64(eps)))
	i = 0
	if im.lnApply != nil && n >= 8 {
		i = n &^ 7
		im.lnApply(&out[0], &x[0], &gamma[0], &beta[0], i, mean, inv)
	}
	for ; i < n; i++ {
		// Rounded before the add: never fused into a multiply-add, as
		// the SIMD pass does not.
		out[i] = float32((x[i]-mean)*inv*gamma[i]) + beta[i]
	}
}

// GELU applies GPT-2's tanh approximation of the Gaussian error linear
// unit in place: 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))). Each element's
// result depends only on its value, not on its position or on len(x).
func GELU(x []float32) {
	if len(x) == 0 {
		return
	}
	im := cur()
	body := len(x) &^ (im.lanes - 1)
	if body > 0 {
		im.gelu(&x[0], body)
	}
	if tail := x[body:]; len(tail) > 0 {
		// The last few go through a padded copy, by the same kernel.
		var pad [16]float32
		copy(pad[:], tail)
		geluPad(im, &pad)
		copy(tail, pad[:])
	}
}

func geluGeneric(x *float32, n int) {
	const c = 0.7978845608028654 // √(2/π)
	xs := view(x, n)
	for i, v := range xs {
		u := c * (v + 0.044715*v*v*v)
		xs[i] = 0.5 * v * (1 + tanh32(u))
	}
}

// tanh32 is tanh to float32 precision: 1 − 2/(e^{2u} + 1), exact in the
// tails.
func tanh32(u float32) float32 {
	if u > 9 {
		return 1
	}
	if u < -9 {
		return -1
	}
	if u > -0.0625 && u < 0.0625 {
		// Near zero the subtraction loses digits; the series is exact here.
		u2 := u * u
		return u * (1 - u2*(1.0/3-u2*(2.0/15)))
	}
	return 1 - 2/(exp32(2*u)+1)
}

// exp32 is e^x for |x| ≤ 88 to about 1 ulp of float32: x = n·ln2 + r with
// |r| ≤ ln2/2, e^r by a degree-6 polynomial, then scaled by 2^n.
func exp32(x float32) float32 {
	const (
		log2e = 1.4426950408889634
		ln2hi = 0.693359375
		ln2lo = -2.12194440e-4
	)
	n := float32(math.Floor(float64(x*log2e + 0.5)))
	r := x - n*ln2hi - n*ln2lo
	p := 1 + r*(1+r*(0.5+r*(1.0/6+r*(1.0/24+r*(1.0/120+r*(1.0/720))))))
	return p * math.Float32frombits(uint32(int32(n)+127)<<23)
}

// Softmax replaces x with exp(x − max) / Σ exp(x − max) in place.
// Entries of −Inf (masked positions) become 0. The result depends only on
// the values in x and their order.
func Softmax(x []float32) {
	if len(x) == 0 {
		return
	}
	mx := x[0]
	for _, v := range x[1:] {
		if v > mx {
			mx = v
		}
	}
	im := cur()
	body := len(x) &^ (im.lanes - 1)
	var sum float32
	if body > 0 {
		sum = im.expSum(&x[0], body, mx)
	}
	if tail := x[body:]; len(tail) > 0 {
		pad := [16]float32{}
		for i := range pad {
			pad[i] = float32(math.Inf(-1))
		}
		copy(pad[:], tail)
		sum += expSumPad(im, &pad, mx)
		copy(tail, pad[:])
	}
	Scale(1/sum, x)
}

func expSumGeneric(x *float32, n int, mx float32) float32 {
	var sum float32
	xs := view(x, n)
	for i, v := range xs {
		d := v - mx
		e := float32(0)
		if d > -87 {
			e = exp32(d)
		}
		xs[i] = e
		sum += e
	}
	return sum
}
