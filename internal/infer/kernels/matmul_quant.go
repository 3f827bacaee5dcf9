package kernels

import (
	"sync"
	"unsafe"
)

// matMulQuant is matMul for FP16 with m > 1 (decode goes through
// gemvF16Panels): every panel is widened into a worker's float32 scratch
// and run through the FP32 gemm tiles. Every route widens a weight to the
// same bits and sums it in the same FMA chain, so a row's result does not
// depend on m.
func matMulQuant(im *impl, out, x []float32, ldx, m int, w *Packed, bias []float32) {
	k := w.K
	mr := im.mr
	nb := (m + mr - 1) / mr
	xbuf := getScratch(nb * mr * k)
	xp := *xbuf
	parallelFor(nb, 1, func(lo, hi int) { packX(xp, x, ldx, m, k, mr, lo, hi) })
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

// gemvF16Group computes the im.qgroup full panels from q of out = x·Wᵀ
// + bias for one row x with im's fused FP16 kernel, summing in buf.
func gemvF16Group(im *impl, buf *[intGroup * nr]float32, out, x []float32, w *Packed, bias []float32, q int) {
	k := w.K
	acc := buf[:im.qgroup*nr]
	if bias != nil {
		copy(acc, bias[q*nr:])
	} else {
		clear(acc)
	}
	if k > 0 {
		src := w.qpanel(q)
		im.gemvF16(&acc[0], (*uint16)(unsafe.Pointer(&src[0])), k*w.format.rowBytes(), ptr(x, 0), k)
	}
	copy(out[q*nr:], acc)
}

// gemvF16Panels computes panels [lo, hi) of out = x·Wᵀ + bias for one row
// x of an FP16 matrix: the fused kernel over whole groups, the panels left
// widened one at a time into a worker's float32 scratch and run through
// the FP32 gemv, bitwise alike.
func gemvF16Panels(im *impl, out, x []float32, w *Packed, bias []float32, lo, hi int) {
	n, k := w.N, w.K
	q := lo
	if im.gemvF16 != nil {
		acc := accScratch.Get().(*[intGroup * nr]float32)
		for g := im.qgroup; q+g <= min(hi, n/nr); q += g {
			gemvF16Group(im, acc, out, x, w, bias, q)
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
}

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
