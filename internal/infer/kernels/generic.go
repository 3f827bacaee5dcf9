package kernels

import "unsafe"

// genericImpl is the pure-Go implementation; it runs everywhere and is the
// reference the SIMD paths are tested against.
var genericImpl = &impl{
	name: "generic",
	mr:   4,
	gemv: gemvGeneric,
	gemm: gemmGeneric,
	dot:  dotGeneric,
	axpy: axpyGeneric,
	sum:  sumGeneric,

	deq16:  deq16Generic,
	gemvQ8: gemvQ8Generic,
	gemvQ4: gemvQ4Generic,

	lanes:  1,
	gelu:   geluGeneric,
	expSum: expSumGeneric,
}

func view(p *float32, n int) []float32 { return unsafe.Slice(p, n) }

func gemvGeneric(out, w, x, bias *float32, k, np int) {
	xs := view(x, k)
	ws := view(w, np*k*nr)
	os := view(out, np*nr)
	for q := range np {
		var acc [nr]float32
		if bias != nil {
			copy(acc[:], view(bias, np*nr)[q*nr:])
		}
		pan := ws[q*k*nr : (q+1)*k*nr]
		for kk, xv := range xs {
			row := (*[nr]float32)(pan[kk*nr : kk*nr+nr])
			for j := range acc {
				acc[j] += xv * row[j]
			}
		}
		copy(os[q*nr:], acc[:])
	}
}

func gemmGeneric(c *float32, ldc int, xp, w, bias *float32, k, accum int) {
	const mr = 4
	xs := view(xp, k*mr)
	ws := view(w, k*nr)
	cs := view(c, (mr-1)*ldc+nr)
	var acc [mr][nr]float32
	if accum != 0 {
		for i := range acc {
			copy(acc[i][:], cs[i*ldc:])
		}
	} else if bias != nil {
		b := view(bias, nr)
		for i := range acc {
			copy(acc[i][:], b)
		}
	}
	for kk := range k {
		row := (*[nr]float32)(ws[kk*nr : kk*nr+nr])
		xv := (*[mr]float32)(xs[kk*mr : kk*mr+mr])
		for i := range acc {
			a := &acc[i]
			v := xv[i]
			for j := range a {
				a[j] += v * row[j]
			}
		}
	}
	for i := range acc {
		copy(cs[i*ldc:i*ldc+nr], acc[i][:])
	}
}

func dotGeneric(a, b *float32, n int) float32 {
	as, bs := view(a, n), view(b, n)
	var s0, s1, s2, s3 float32
	i := 0
	for ; i+4 <= n; i += 4 {
		s0 += as[i] * bs[i]
		s1 += as[i+1] * bs[i+1]
		s2 += as[i+2] * bs[i+2]
		s3 += as[i+3] * bs[i+3]
	}
	for ; i < n; i++ {
		s0 += as[i] * bs[i]
	}
	return (s0 + s1) + (s2 + s3)
}

func axpyGeneric(alpha float32, x, y *float32, n int) {
	xs, ys := view(x, n), view(y, n)
	for i, v := range xs {
		ys[i] += alpha * v
	}
}

func sumGeneric(p *float32, n int) float32 {
	s := view(p, n)
	var s0, s1, s2, s3 float32
	i := 0
	for ; i+4 <= n; i += 4 {
		s0 += s[i]
		s1 += s[i+1]
		s2 += s[i+2]
		s3 += s[i+3]
	}
	for ; i < n; i++ {
		s0 += s[i]
	}
	return (s0 + s1) + (s2 + s3)
}
