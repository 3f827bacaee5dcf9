package kernels

import "math"

// LayerNorm writes (x − mean(x)) / sqrt(var(x) + eps) · gamma + beta into
// out, over len(x) elements; out may be x.
func LayerNorm(out, x, gamma, beta []float32, eps float32) {
	n := len(x)
	if n == 0 {
		return
	}
	out, gamma, beta = out[:n], gamma[:n], beta[:n]
	var sum float64
	for _, v := range x {
		sum += float64(v)
	}
	mean := float32(sum / float64(n))
	var ss float64
	for _, v := range x {
		d := v - mean
		ss += float64(d * d)
	}
	inv := float32(1 / math.Sqrt(ss/float64(n)+float64(eps)))
	for i, v := range x {
		out[i] = (v-mean)*inv*gamma[i] + beta[i]
	}
}

// GELU applies GPT-2's tanh approximation of the Gaussian error linear
// unit in place: 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))).
func GELU(x []float32) {
	const c = 0.7978845608028654 // √(2/π)
	for i, v := range x {
		u := c * (v + 0.044715*v*v*v)
		x[i] = 0.5 * v * (1 + tanh32(u))
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
// Entries of −Inf (masked positions) become 0.
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
	var sum float32
	for i, v := range x {
		d := v - mx
		e := float32(0)
		if d > -87 {
			e = exp32(d)
		}
		x[i] = e
		sum += e
	}
	Scale(1/sum, x)
}
