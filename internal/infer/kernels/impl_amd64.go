package kernels

import "golang.org/x/sys/cpu"

// The assembly kernels; see impl for what each computes.

//go:noescape
func gemm12x32AVX512(c *float32, ldc int, xp, w, bias *float32, k, acc int)

//go:noescape
func gemm8x32AVX512(c *float32, ldc int, xp, w, bias *float32, k, acc int)

//go:noescape
func gemv32AVX512(out, w, x, bias *float32, k, np int)

//go:noescape
func dotAVX512(a, b *float32, n int) float32

//go:noescape
func axpyAVX512(alpha float32, x, y *float32, n int)

//go:noescape
func sumAVX512(p *float32, n int) float32

//go:noescape
func dotRowsAVX512(out, q, k *float32, stride, n, d int)

//go:noescape
func axpyRowsAVX512(p, v *float32, stride, n int, y *float32, d int)

//go:noescape
func dotRowsAVX2(out, q, k *float32, stride, n, d int)

//go:noescape
func dotRowsF16AVX512(out, q *float32, k *uint16, stride, n, d int)

//go:noescape
func axpyRowsF16AVX512(p *float32, v *uint16, stride, n int, y *float32, d int)

//go:noescape
func toF16AVX512(dst *uint16, src *float32, n int)

//go:noescape
func dotRowsF16AVX2(out, q *float32, k *uint16, stride, n, d int)

//go:noescape
func axpyRowsF16AVX2(p *float32, v *uint16, stride, n int, y *float32, d int)

//go:noescape
func toF16AVX2(dst *uint16, src *float32, n int)

//go:noescape
func axpyRowsAVX2(p, v *float32, stride, n int, y *float32, d int)

//go:noescape
func geluAVX512(x *float32, n int)

//go:noescape
func expSumAVX512(x *float32, n int, mx float32) float32

//go:noescape
func geluAVX2(x *float32, n int)

//go:noescape
func expSumAVX2(x *float32, n int, mx float32) float32

//go:noescape
func gemm6x16AVX2(c *float32, ldc int, xp, w, bias *float32, k, acc int)

//go:noescape
func gemv32AVX2(out, w, x, bias *float32, k, np int)

//go:noescape
func dotAVX2(a, b *float32, n int) float32

//go:noescape
func axpyAVX2(alpha float32, x, y *float32, n int)

//go:noescape
func sumAVX2(p *float32, n int) float32

//go:noescape
func deq16AVX512(src *uint16, dst *float32, n int)

//go:noescape
func deq16F16C(src *uint16, dst *float32, n int)

//go:noescape
func gemvF16x4AVX512(acc *float32, src *uint16, pstride int, x *float32, rows int)

//go:noescape
func lnSumAVX(x *float32, n int, s *[4]float64)

//go:noescape
func lnSqAVX(x *float32, n int, mean float32, s *[4]float64)

//go:noescape
func lnApplyAVX(out, x, gamma, beta *float32, n int, mean, inv float32)

//go:noescape
func fmaLoopAVX512(n int)

//go:noescape
func fmaLoopAVX2(n int)

//go:noescape
func quantBlocksAVX512(x *float32, q *int8, amax *float32, sum *int32, nb int)

//go:noescape
func gemvQ8VNNI(acc *float32, w *byte, pstride int, xq *int8, xs *float32, xsum *int32, scale *uint16, sstride, nb, np int)

//go:noescape
func gemvQ4VNNI(acc *float32, w *byte, pstride int, xq *int8, xs, xsm *float32, scale *uint16, sstride, nb, np int)

//go:noescape
func gemvQ8AVX2(acc *float32, w *byte, pstride int, xq *int8, xs *float32, xsum *int32, scale *uint16, sstride, nb, np int)

//go:noescape
func quantBlocksAVX2(x *float32, q *int8, amax *float32, sum *int32, nb int)

//go:noescape
func gemvQ4AVX2(acc *float32, w *byte, pstride int, xq *int8, xs, xsm *float32, scale *uint16, sstride, nb, np int)

//go:noescape
func gemvF16x2AVX2(acc *float32, src *uint16, pstride int, x *float32, rows int)

var avx512Impl = &impl{
	name:  "avx512",
	mr:    12,
	gemv:  gemv32AVX512,
	gemm:  gemm12x32AVX512,
	gemm8: gemm8x32AVX512,
	dot:   dotAVX512,
	axpy:  axpyAVX512,
	sum:   sumAVX512,

	deq16: deq16AVX512,
	quant: quantBlocksAVX512,

	fmaLoop: fmaLoopAVX512, fmaLoopFLOPs: 12 * 16 * 2,
	lnSum: lnSumAVX, lnSq: lnSqAVX, lnApply: lnApplyAVX,

	qgroup:  4,
	gemvF16: gemvF16x4AVX512,
	// VNNI's kernels where the CPU has it (see simdImpls), else AVX2's.
	gemvQ8: gemvQ8AVX2,
	gemvQ4: gemvQ4AVX2,

	dotRows:     dotRowsAVX512,
	axpyRows:    axpyRowsAVX512,
	dotRowsF16:  dotRowsF16AVX512,
	axpyRowsF16: axpyRowsF16AVX512,
	toF16:       toF16AVX512,
	lanes:       16,
	gelu:        geluAVX512,
	expSum:      expSumAVX512,
}

var avx2Impl = &impl{
	name: "avx2",
	mr:   6,
	gemv: gemv32AVX2,
	gemm: gemm6x32AVX2,
	dot:  dotAVX2,
	axpy: axpyAVX2,
	sum:  sumAVX2,

	deq16: deq16F16C, // replaced by deq16Generic without F16C
	quant: quantBlocksAVX2,

	fmaLoop: fmaLoopAVX2, fmaLoopFLOPs: 12 * 8 * 2,
	lnSum: lnSumAVX, lnSq: lnSqAVX, lnApply: lnApplyAVX,

	qgroup:  2,
	gemvF16: gemvF16x2AVX2, // nil without F16C
	gemvQ8:  gemvQ8AVX2,
	gemvQ4:  gemvQ4AVX2,

	dotRows:     dotRowsAVX2,
	axpyRows:    axpyRowsAVX2,
	dotRowsF16:  dotRowsF16AVX2,  // nil without F16C
	axpyRowsF16: axpyRowsF16AVX2, // nil without F16C
	toF16:       toF16AVX2,       // nil without F16C
	lanes:       8,
	gelu:        geluAVX2,
	expSum:      expSumAVX2,
}

// gemm6x32AVX2 computes a 6×32 tile as two 6×16 halves, the widest tile
// the sixteen ymm registers hold.
func gemm6x32AVX2(c *float32, ldc int, xp, w, bias *float32, k, acc int) {
	gemm6x16AVX2(c, ldc, xp, w, bias, k, acc)
	var b16 *float32
	if bias != nil {
		b16 = off(bias, 16)
	}
	w16 := w
	if k > 0 { // with no rows, w may point at a zero-size allocation
		w16 = off(w, 16)
	}
	gemm6x16AVX2(off(c, 16), ldc, xp, w16, b16, k, acc)
}

func simdImpls() []*impl {
	var s []*impl
	if cpu.X86.HasAVX512F && cpu.X86.HasAVX512VL {
		if cpu.X86.HasAVX512BW && cpu.X86.HasAVX512VNNI {
			avx512Impl.gemvQ8, avx512Impl.gemvQ4 = gemvQ8VNNI, gemvQ4VNNI
		}
		s = append(s, avx512Impl)
	}
	if cpu.X86.HasAVX2 && cpu.X86.HasFMA {
		if !cpu.X86.HasF16C {
			avx2Impl.deq16, avx2Impl.gemvF16 = deq16Generic, nil
			avx2Impl.gemvQ8, avx2Impl.gemvQ4 = gemvQ8Generic, gemvQ4Generic
			avx2Impl.dotRowsF16, avx2Impl.axpyRowsF16, avx2Impl.toF16 = nil, nil, nil
		}
		s = append(s, avx2Impl)
	}
	return s
}

// geluPad and expSumPad run gelu and expSum over a padded block of one
// vector on the stack. They call the kernels directly, not through impl's
// function values, so the block does not escape to the heap.
func geluPad(im *impl, p *[16]float32) {
	switch im {
	case avx512Impl:
		geluAVX512(&p[0], 16)
	case avx2Impl:
		geluAVX2(&p[0], 8)
	default:
		geluGeneric(&p[0], im.lanes)
	}
}

func expSumPad(im *impl, p *[16]float32, mx float32) float32 {
	switch im {
	case avx512Impl:
		return expSumAVX512(&p[0], 16, mx)
	case avx2Impl:
		return expSumAVX2(&p[0], 8, mx)
	default:
		return expSumGeneric(&p[0], im.lanes, mx)
	}
}

//go:noescape
func maxAVX512(x *float32, n int) float32

//go:noescape
func firstEqualAVX512(x *float32, n int, v float32) int

// argmaxSIMD is Argmax's fast path: the maximum of whole vectors, then
// the first index holding it; ok is false where the CPU has no such path.
func argmaxSIMD(x []float32) (best int, ok bool) {
	if cur() != avx512Impl {
		return 0, false
	}
	body := len(x) &^ 15
	if body == 0 {
		return 0, false
	}
	m := maxAVX512(&x[0], body)
	for _, v := range x[body:] {
		if v > m {
			m = v
		}
	}
	if i := firstEqualAVX512(&x[0], body, m); i < body {
		return i, true
	}
	for i, v := range x[body:] {
		if v == m {
			return body + i, true
		}
	}
	return 0, true
}
