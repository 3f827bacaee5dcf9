package kernels

import (
	"runtime"
	"sync"
)

// MatMul computes out[i][j] = bias[j] + Σ_k x[i][k]·W[j][k] for i < m. x is
// [m][K], out is [m][N], bias is nil or has N elements. It uses every core
// through a shared worker pool.
func MatMul(out, x []float32, m int, w *Packed, bias []float32) {
	matMul(cur, out, x, m, w, bias)
}

func matMul(im *impl, out, x []float32, m int, w *Packed, bias []float32) {
	n, k := w.N, w.K
	if len(x) < m*k || len(out) < m*n || (bias != nil && len(bias) < n) {
		panic("kernels: MatMul: slice too short for the shapes")
	}
	if m <= 0 || n == 0 {
		return
	}
	// The weights may live outside the Go heap, released when w is
	// collected: w must outlive the kernels.
	defer runtime.KeepAlive(w)
	if m == 1 {
		parallelFor(w.panels(), 1, func(lo, hi int) { gemvPanels(im, out, x, w, bias, lo, hi) })
		return
	}
	mr := im.mr
	nb := (m + mr - 1) / mr
	buf := getScratch(nb * mr * k)
	xp := *buf
	parallelFor(nb, 1, func(lo, hi int) { packX(xp, x, m, k, mr, lo, hi) })
	parallelFor(w.panels(), 1, func(lo, hi int) { gemmPanels(im, out, xp, m, w, bias, lo, hi) })
	scratch.Put(buf)
}

// gemvPanels computes panels [lo, hi) of out = x·Wᵀ + bias for one row x.
func gemvPanels(im *impl, out, x []float32, w *Packed, bias []float32, lo, hi int) {
	n, k := w.N, w.K
	full := min(hi, n/nr) // panels before full are complete
	if full > lo {
		im.gemv(ptr(out, lo*nr), ptr(w.data, lo*k*nr), ptr(x, 0), nilOr(bias, lo*nr), k, full-lo)
	}
	if hi > full && full >= lo {
		// The last, partial panel goes through a padded copy.
		var o, b [nr]float32
		var bp *float32
		if bias != nil {
			copy(b[:], bias[full*nr:n])
			bp = &b[0]
		}
		im.gemv(&o[0], ptr(w.data, full*k*nr), ptr(x, 0), bp, k, 1)
		copy(out[full*nr:n], o[:])
	}
}

// kc is the depth of one pass of the gemm tiles: a panel's kc×32 slice of W
// (32 KiB) stays in L1 while every row block of x uses it, and x's m×kc
// slice stays in L2 across the panels.
const kc = 256

// gemmPanels computes panels [lo, hi) of out for all m rows from packed x.
func gemmPanels(im *impl, out, xp []float32, m int, w *Packed, bias []float32, lo, hi int) {
	n, k, mr := w.N, w.K, im.mr
	var tile [12 * nr]float32
	var b [nr]float32
	for k0 := 0; k0 < k || k0 == 0; k0 += kc {
		kn := min(kc, k-k0)
		acc := 0
		if k0 > 0 {
			acc = 1
		}
		for q := lo; q < hi; q++ {
			j0 := q * nr
			cols := min(nr, n-j0)
			wp := ptr(w.data, q*k*nr+k0*nr)
			var bp *float32
			if bias != nil {
				if cols == nr {
					bp = ptr(bias, j0)
				} else {
					copy(b[:], bias[j0:n])
					bp = &b[0]
				}
			}
			for i0 := 0; i0 < m; i0 += mr {
				rows := min(mr, m-i0)
				xb := ptr(xp, i0*k+k0*mr)
				if rows == mr && cols == nr {
					im.gemm(ptr(out, i0*n+j0), n, xb, wp, bp, kn, acc)
					continue
				}
				// Edge tiles go through a padded copy.
				if acc != 0 {
					for i := range rows {
						copy(tile[i*nr:i*nr+cols], out[(i0+i)*n+j0:])
					}
				}
				im.gemm(&tile[0], nr, xb, wp, bp, kn, acc)
				for i := range rows {
					copy(out[(i0+i)*n+j0:(i0+i)*n+j0+cols], tile[i*nr:i*nr+cols])
				}
			}
		}
	}
}

// packX copies row blocks [lo, hi) of x ([m][k]) into xp as [k][mr] blocks,
// zero-filling rows past m.
func packX(xp, x []float32, m, k, mr, lo, hi int) {
	for blk := lo; blk < hi; blk++ {
		dst := xp[blk*mr*k : (blk+1)*mr*k]
		for i := range mr {
			r := blk*mr + i
			if r >= m {
				for kk := range k {
					dst[kk*mr+i] = 0
				}
				continue
			}
			for kk, v := range x[r*k : r*k+k] {
				dst[kk*mr+i] = v
			}
		}
	}
}

// scratch recycles packed-x buffers between calls.
var scratch sync.Pool

func getScratch(n int) *[]float32 {
	if b, ok := scratch.Get().(*[]float32); ok && cap(*b) >= n {
		*b = (*b)[:n]
		return b
	}
	b := make([]float32, n)
	return &b
}
