package kernels

import (
	"math"
	"sync"
	"unsafe"
)

// qrows holds rows of activations quantized for the INT8 and INT4
// formats: per block of 32 values a scale s = max|x|/127 and the values
// round(x/s) as int8, zero past K.
type qrows struct {
	q   []int8    // [m][rows]
	s   []float32 // [m][nb] scales
	sum []int32   // [m][nb] Σ q over the block
	// sm is s·float32(sum): the block's Σ x as the integer path sees it,
	// which INT4's minimums multiply.
	sm []float32 // [m][nb]
}

var qrowsScratch sync.Pool

func getQRows(m, rows, nb int) *qrows {
	r, ok := qrowsScratch.Get().(*qrows)
	if !ok {
		r = new(qrows)
	}
	r.q = growSlice(r.q, m*rows)
	r.s = growSlice(r.s, m*nb)
	r.sum = growSlice(r.sum, m*nb)
	r.sm = growSlice(r.sm, m*nb)
	return r
}

func growSlice[T any](b []T, n int) []T {
	if cap(b) < n {
		return make([]T, n)
	}
	return b[:n]
}

// roundMagic is 1.5·2²³: a float32 in [2²³, 2²⁴) has no fraction bits, so
// adding it rounds a small value to an integer, ties to even.
const roundMagic = 12582912

// minQuantMax is the smallest block maximum that is quantized: below it
// 127/max overflows to +Inf (and the block, whose scale would be under
// 3e-39, quantizes to zeros on every path).
const minQuantMax = 127 / math.MaxFloat32

// quantizeRow quantizes x (k values) into row i of r, nb blocks of 32,
// whole blocks through im's kernel where it has one. Every path computes
// the same integers, so they all multiply the same ones. (A block holding
// an infinity or a NaN quantizes to unspecified values.)
func (r *qrows) quantizeRow(im *impl, i int, x []float32, k, nb int) {
	rows := nb * qblock
	q := r.q[i*rows : (i+1)*rows]
	b0 := 0
	if im.quant != nil && k >= qblock {
		full := k / qblock
		amax := r.s[i*nb : i*nb+full] // the maxima first, scales below
		im.quant(&x[0], &q[0], &amax[0], &r.sum[i*nb], full)
		for b := range full {
			s := amax[b] / 127
			r.s[i*nb+b] = s
			r.sm[i*nb+b] = s * float32(r.sum[i*nb+b])
		}
		b0 = full
	}
	for b := b0; b < nb; b++ {
		r0, r1 := b*qblock, min(b*qblock+qblock, k)
		var amax float32
		for _, v := range x[r0:r1] {
			if a := abs32(v); a > amax {
				amax = a
			}
		}
		var inv float32
		if amax > 0 && amax >= minQuantMax {
			inv = 127 / amax
		}
		var sum int32
		for kk := r0; kk < r1; kk++ {
			// Rounded to nearest, ties to even, by adding and taking
			// away 1.5·2²³ in float32; |x·inv| <= 127 up to one rounding.
			// The product is rounded first: never fused into a
			// multiply-add (GOAMD64=v3 would), as the SIMD path does not.
			iv := int32(float32(float32(float32(x[kk]*inv)+roundMagic) - roundMagic))
			q[kk] = int8(iv)
			sum += iv
		}
		clear(q[r1 : r0+qblock])
		s := amax / 127
		r.s[i*nb+b], r.sum[i*nb+b] = s, sum
		r.sm[i*nb+b] = s * float32(sum)
	}
}

// intGroup is the most panels one call of the integer kernels covers: a
// few weight streams at once, its sums small enough to stay in L1.
const intGroup = 4

// matMulInt is matMul for INT8 and INT4: every row of x is quantized
// once, then each worker runs its panels, a group at a time, over every
// row, so that a group's weights are read from memory once per call and
// from cache for the rows after the first. A row's result comes from the
// same kernel calls whatever m is.
func matMulInt(im *impl, out, x []float32, ldx, m int, w *Packed, bias []float32) {
	n, k, nb := w.N, w.K, w.blocks()
	r := getQRows(m, nb*qblock, nb)
	defer qrowsScratch.Put(r)
	if m == 1 {
		r.quantizeRow(im, 0, x, k, nb)
	} else {
		parallelFor(m, 4, func(lo, hi int) {
			for i := lo; i < hi; i++ {
				r.quantizeRow(im, i, x[i*ldx:i*ldx+k], k, nb)
			}
		})
	}
	parallelFor(w.panels(), intGroup, func(lo, hi int) {
		for q := lo; q < hi; q += intGroup {
			g := min(intGroup, hi-q)
			for i := range m {
				intPanels(im, out[i*n:(i+1)*n], r, i, w, bias, q, g)
			}
		}
	})
}

// intPanels computes panels [q, q+g) of one output row from quantized row
// i of r.
func intPanels(im *impl, out []float32, r *qrows, i int, w *Packed, bias []float32, q, g int) {
	n, nb := w.N, w.blocks()
	j0, j1 := q*nr, min((q+g)*nr, n)
	var acc []float32
	var tmp *[intGroup * nr]float32
	if j1-j0 == g*nr {
		acc = out[j0:j1]
	} else {
		// A partial last panel sums into scratch.
		tmp = accScratch.Get().(*[intGroup * nr]float32)
		acc = tmp[:g*nr]
		clear(acc)
	}
	if bias != nil {
		copy(acc, bias[j0:j1])
	} else {
		clear(acc[:j1-j0])
	}
	if nb > 0 {
		rows := nb * qblock
		src := &w.qpanel(q)[0]
		pstride := rows * w.format.rowBytes()
		sstride := nb * w.format.scaleHalves() * 2
		xq, xs := &r.q[i*rows], &r.s[i*nb]
		sc := &w.blockScales(q, 0)[0]
		if w.format == INT8 {
			im.gemvQ8(&acc[0], src, pstride, xq, xs, &r.sum[i*nb], sc, sstride, nb, g)
		} else {
			im.gemvQ4(&acc[0], src, pstride, xq, xs, &r.sm[i*nb], sc, sstride, nb, g)
		}
	}
	if tmp != nil {
		copy(out[j0:j1], acc)
		accScratch.Put(tmp)
	}
}

// accScratch recycles sums of a group with a partial panel: they reach
// the kernels through impl's function values, so a stack array would
// escape anyway.
var accScratch = sync.Pool{New: func() any { return new([intGroup * nr]float32) }}

func bytesAt(p *byte, off, n int) []byte {
	return unsafe.Slice((*byte)(unsafe.Add(unsafe.Pointer(p), off)), n)
}

func halvesAt(p *uint16, off, n int) []uint16 {
	return unsafe.Slice((*uint16)(unsafe.Add(unsafe.Pointer(p), off)), n)
}

// gemvQ8Generic is the reference of impl.gemvQ8.
func gemvQ8Generic(acc *float32, w *byte, pstride int, xq *int8, xs *float32, xsum *int32, scale *uint16, sstride, nb, np int) {
	a := view(acc, np*nr)
	xv, s, sums := unsafe.Slice(xq, nb*qblock), view(xs, nb), unsafe.Slice(xsum, nb)
	for p := range np {
		wp := bytesAt(w, p*pstride, nb*qblock*nr)
		sp := halvesAt(scale, p*sstride, nb*nr)
		for b := range nb {
			var isum [nr]int32
			for quad := range qblock / 4 {
				ws := wp[(b*qblock/4+quad)*128:][:128]
				x := xv[b*qblock+4*quad:][:4]
				for c := range nr {
					cw := ws[4*c : 4*c+4]
					isum[c] += int32(cw[0])*int32(x[0]) + int32(cw[1])*int32(x[1]) +
						int32(cw[2])*int32(x[2]) + int32(cw[3])*int32(x[3])
				}
			}
			corr := 128 * sums[b]
			for c := range nr {
				f := float32(f16ToF32(sp[b*nr+c]) * s[b])
				a[p*nr+c] += float32(float32(isum[c]-corr) * f)
			}
		}
	}
}

// gemvQ4Generic is the reference of impl.gemvQ4.
func gemvQ4Generic(acc *float32, w *byte, pstride int, xq *int8, xs, xsm *float32, scale *uint16, sstride, nb, np int) {
	a := view(acc, np*nr)
	xv, s, sm := unsafe.Slice(xq, nb*qblock), view(xs, nb), view(xsm, nb)
	for p := range np {
		wp := bytesAt(w, p*pstride, nb*qblock*nr/2)
		sp := halvesAt(scale, p*sstride, nb*2*nr)
		for b := range nb {
			var isum [nr]int32
			for quad := range qblock / 4 {
				ws := wp[(b*qblock/4+quad)*64:][:64]
				x := xv[b*qblock+4*quad:][:4]
				for c := range nr / 2 {
					cw := ws[4*c : 4*c+4]
					for i, v := range cw {
						isum[c] += int32(v&15) * int32(x[i])
						isum[c+nr/2] += int32(v>>4) * int32(x[i])
					}
				}
			}
			bs := sp[b*2*nr:][:2*nr]
			for c := range nr {
				f := float32(f16ToF32(bs[c]) * s[b])
				a[p*nr+c] += float32(float32(isum[c]) * f)
				a[p*nr+c] += float32(f16ToF32(bs[nr+c]) * sm[b])
			}
		}
	}
}
