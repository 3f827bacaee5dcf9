package kernels

import (
	"sync"
	"unsafe"
)

// matMulQuant is matMul for the quantized formats. Decode (m = 1) runs
// the path's fused kernel over groups of full panels, widening weights in
// registers; the panels left, and every panel of prefill, are widened one
// at a time into a worker's float32 scratch and run through the FP32 gemv
// or gemm tiles. Every route widens a weight to the same bits and sums it
// in the same FMA chain, so a row's result does not depend on m here
// either.
func matMulQuant(im *impl, out, x []float32, m int, w *Packed, bias []float32) {
	n, k := w.N, w.K
	if m == 1 {
		fused := w.fusedGemv(im)
		parallelFor(w.panels(), 4, func(lo, hi int) {
			q := lo
			if fused {
				acc := accScratch.Get().(*[4 * nr]float32)
				for g := im.qgroup; q+g <= min(hi, n/nr); q += g {
					gemvQuantGroup(im, acc, out, x, w, bias, q)
				}
				accScratch.Put(acc)
			}
			if q == hi {
				return
			}
			buf := getPanel(k * nr)
			pan := *buf
			for ; q < hi; q++ {
				w.dequantPanel(im, pan, q)
				j0 := q * nr
				if j0+nr <= n {
					im.gemv(ptr(out, j0), ptr(pan, 0), ptr(x, 0), nilOr(bias, j0), k, 1)
					continue
				}
				var o, b [nr]float32
				var bp *float32
				if bias != nil {
					copy(b[:], bias[j0:n])
					bp = &b[0]
				}
				im.gemv(&o[0], ptr(pan, 0), ptr(x, 0), bp, k, 1)
				copy(out[j0:n], o[:])
			}
			panelScratch.Put(buf)
		})
		return
	}
	mr := im.mr
	nb := (m + mr - 1) / mr
	xbuf := getScratch(nb * mr * k)
	xp := *xbuf
	parallelFor(nb, 1, func(lo, hi int) { packX(xp, x, m, k, mr, lo, hi) })
	parallelFor(w.panels(), 1, func(lo, hi int) {
		buf := getPanel(k * nr)
		pan := *buf
		for q := lo; q < hi; q++ {
			w.dequantPanel(im, pan, q)
			for k0 := 0; k0 < k || k0 == 0; k0 += kc {
				gemmBlock(im, out, xp, m, w, ptr(pan, 0), bias, q, k0)
			}
		}
		panelScratch.Put(buf)
	})
	scratch.Put(xbuf)
}

// fusedGemv reports whether im has a fused decode kernel for w's format.
func (w *Packed) fusedGemv(im *impl) bool {
	switch w.format {
	case FP16:
		return im.gemvF16 != nil
	case INT8:
		return im.gemvQ8 != nil
	case INT4:
		return im.gemvQ4 != nil
	}
	return false
}

// gemvQuantGroup computes the im.qgroup full panels from q of out = x·Wᵀ
// + bias for one row x with im's fused kernel for w's format, summing in
// buf.
func gemvQuantGroup(im *impl, buf *[4 * nr]float32, out, x []float32, w *Packed, bias []float32, q int) {
	k, nb := w.K, w.blocks()
	acc := buf[:im.qgroup*nr]
	if bias != nil {
		copy(acc, bias[q*nr:])
	} else {
		clear(acc)
	}
	if k > 0 {
		src := w.qpanel(q)
		pstride := k * w.format.rowBytes()
		sstride := nb * nr * 4
		switch w.format {
		case FP16:
			im.gemvF16(&acc[0], (*uint16)(unsafe.Pointer(&src[0])), pstride, ptr(x, 0), k)
		case INT8:
			for b := range nb {
				r0 := b * qblock
				im.gemvQ8(&acc[0], (*int8)(unsafe.Pointer(&src[r0*nr])), pstride, ptr(x, r0),
					ptr(w.scale, (q*nb+b)*nr), sstride, min(qblock, k-r0))
			}
		case INT4:
			for b := range nb {
				r0 := b * qblock
				o := (q*nb + b) * nr
				im.gemvQ4(&acc[0], &src[r0*nr/2], pstride, ptr(x, r0), ptr(w.scale, o), ptr(w.min, o), sstride, min(qblock, k-r0))
			}
		}
	}
	copy(out[q*nr:], acc)
}

// accScratch recycles the fused kernels' sums: they reach the kernels
// through impl's function values, so a stack array would escape anyway.
var accScratch = sync.Pool{New: func() any { return new([4 * nr]float32) }}

// panelScratch recycles the float32 panels quantized weights widen into.
var panelScratch sync.Pool

func getPanel(n int) *[]float32 {
	if b, ok := panelScratch.Get().(*[]float32); ok && cap(*b) >= n {
		*b = (*b)[:n]
		return b
	}
	b := make([]float32, max(n, 1))
	return &b
}
