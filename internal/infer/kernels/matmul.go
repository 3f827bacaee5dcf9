package kernels

import (
	"runtime"
	"slices"
	"sync"
)

// MatMul computes out[i][j] = bias[j] + Σ_k x[i][k]·W[j][k] for i < m. x is
// [m][K], out is [m][N], bias is nil or has N elements. It uses every core
// through a shared worker pool.
func MatMul(out, x []float32, m int, w *Packed, bias []float32) {
	matMul(cur(), out, x, m, w, bias)
}

// MatMulStrided is MatMul for x's rows ldx ≥ K apart: x[i][k] is
// x[i·ldx+k], so that the columns of a wider matrix serve as x without a
// copy. Each row's result is bitwise MatMul's for that row alone.
func MatMulStrided(out, x []float32, ldx, m int, w *Packed, bias []float32) {
	if ldx < w.K {
		panic("kernels: MatMulStrided: ldx is less than K")
	}
	matMulStrided(cur(), out, x, ldx, m, w, bias)
}

func matMul(im *impl, out, x []float32, m int, w *Packed, bias []float32) {
	matMulStrided(im, out, x, w.K, m, w, bias)
}

func matMulStrided(im *impl, out, x []float32, ldx, m int, w *Packed, bias []float32) {
	n, k := w.N, w.K
	if m > 0 && len(x) < (m-1)*ldx+k || len(out) < m*n || (bias != nil && len(bias) < n) {
		panic("kernels: MatMul: slice too short for the shapes")
	}
	if m <= 0 || n == 0 {
		return
	}
	// The weights may live outside the Go heap, released when w is
	// collected: w must outlive the kernels.
	defer runtime.KeepAlive(w)
	if m == 1 {
		matVecs(im, [][]float32{out}, x, []*Packed{w}, bias)
		return
	}
	switch w.format {
	case FP16:
		matMulQuant(im, out, x, ldx, m, w, bias)
		return
	case INT8, INT4:
		matMulInt(im, out, x, ldx, m, w, bias)
		return
	}
	mr := im.mr
	nb := (m + mr - 1) / mr
	buf := getScratch(nb * mr * k)
	xp := *buf
	parallelFor(nb, 1, func(lo, hi int) { packX(xp, x, ldx, m, k, mr, lo, hi) })
	parallelFor(w.panels(), 1, func(lo, hi int) { gemmPanels(im, out, xp, m, w, bias, lo, hi) })
	scratch.Put(buf)
}

// MatVecs computes outs[i] = x·W_iᵀ for one row x and matrices ws of one
// format and the same K, as one parallel loop: one hand-off between the
// threads where a MatMul each would take one per matrix (GPT-2's LM head
// is packed in parts). Each output is bitwise what MatMul gives.
func MatVecs(outs [][]float32, x []float32, ws []*Packed) {
	if len(outs) != len(ws) {
		panic("kernels: MatVecs: as many outputs as matrices needed")
	}
	for i, w := range ws {
		if w.K != ws[0].K || w.format != ws[0].format || len(x) < w.K || len(outs[i]) < w.N {
			panic("kernels: MatVecs: matrices differ in K or format, or a slice is too short")
		}
	}
	if len(ws) == 0 {
		return
	}
	matVecs(cur(), outs, x, ws, nil)
	runtime.KeepAlive(ws)
}

// startPrefetch is how many bytes of its run a thread of a decode product
// asks for before it starts. Each PREFETCHT0 holds a miss buffer, so
// asking for much stalls the thread (and its quantizing of x) until the
// lines arrive: traced at 55-60 GB/s, 32 KiB kept an INT8 thread from its
// first block for 1.5 µs. With the INT8 kernel streaming faster, paired
// whole-decode runs at full bandwidth read INT8 at 74.4% of the ceiling
// with 32 KiB, 77.1% with 8 KiB and 76.6% with none (FP16 84.9%, 87.0%,
// 86.6%); at shared bandwidth 8 KiB and none tied, a little ahead of 32.
const startPrefetch = 8 << 10

// matVecs is MatVecs, with a bias for the first matrix (MatMul's m = 1).
// The panels of all matrices are numbered in one range, cut into one run
// per thread in whole groups of four where a matrix allows.
func matVecs(im *impl, outs [][]float32, x []float32, ws []*Packed, bias []float32) {
	first := make([]int, len(ws)+1) // first[i]: global number of ws[i]'s panel 0
	for i, w := range ws {
		first[i+1] = first[i] + w.panels()
	}
	// One chunk per thread: each thread streams one run of panels. Cut
	// into four chunks per thread, each starting a cold stream, a decode
	// step's products read memory about a sixth slower at full bandwidth;
	// a thread done first stealing the other's last panels one group at a
	// time was slower still.
	parallelForChunks(first[len(ws)], 4, 1, func(lo, hi int) { matVecRun(im, outs, x, ws, bias, first, lo, hi) })
}

// MatVecCols computes columns [j0, j1) of out = x·Wᵀ + bias for one row
// x on the calling goroutine alone, for a caller that splits a decode
// step's work over its threads itself. j0 must be a multiple of 32 and j1
// one too, or N. Each output is bitwise what MatMul gives.
func MatVecCols(out, x []float32, w *Packed, bias []float32, j0, j1 int) {
	if j0 < 0 || j0 > j1 || j1 > w.N || j0%nr != 0 || j1%nr != 0 && j1 != w.N {
		panic("kernels: MatVecCols: columns out of range or off a panel boundary")
	}
	if len(x) < w.K || len(out) < w.N || (bias != nil && len(bias) < w.N) {
		panic("kernels: MatVecCols: slice too short for the shapes")
	}
	if j0 == j1 {
		return
	}
	outs, ws, first := [1][]float32{out}, [1]*Packed{w}, [2]int{0, w.panels()}
	matVecRun(cur(), outs[:], x, ws[:], bias, first[:], j0/nr, (j1+nr-1)/nr)
	runtime.KeepAlive(w)
}

// matVecRun computes panels [lo, hi) of matVecs's one range (first[i] is
// ws[i]'s panel 0 in it) on the calling goroutine.
func matVecRun(im *impl, outs [][]float32, x []float32, ws []*Packed, bias []float32, first []int, lo, hi int) {
	// A thread's stream starts cold, each line a trip to memory until
	// the prefetchers catch on: ask for its first lines at once, then
	// quantize x while they come (each thread its own copy of the
	// same integers) rather than on the caller while the others wait.
	// Measured on one token's INT8 products at 55-62 GB/s, paired
	// runs: quantizing in the loop read 69% → 73% of the bandwidth,
	// the prefetch another 1.8 points (and FP16 2.6) when it was 32
	// KiB; see startPrefetch for why it is less now.
	i, _ := slices.BinarySearch(first, lo+1)
	i--
	ws[i].prefetch(lo-first[i], startPrefetch)
	var r *qrows
	if f := ws[0].format; f == INT8 || f == INT4 {
		// The matrices share K, so one quantized x serves them all.
		nb := ws[0].blocks()
		r = getQRows(1, nb*qblock, nb)
		defer qrowsScratch.Put(r)
		r.quantizeRow(im, 0, x, ws[0].K, nb)
	}
	for ; i < len(ws) && first[i] < hi; i++ {
		w, b := ws[i], []float32(nil)
		if i == 0 {
			b = bias
		}
		a, z := max(lo, first[i])-first[i], min(hi, first[i+1])-first[i]
		vecPanels(im, outs[i], x, r, w, b, a, z)
	}
}

// vecPanels computes panels [lo, hi) of out = x·Wᵀ + bias for one row x,
// quantized in r for the integer formats.
func vecPanels(im *impl, out, x []float32, r *qrows, w *Packed, bias []float32, lo, hi int) {
	switch w.format {
	case FP32:
		gemvPanels(im, out, x, w, bias, lo, hi)
	case FP16:
		gemvF16Panels(im, out, x, w, bias, lo, hi)
	default:
		for q := lo; q < hi; q += intGroup {
			intPanels(im, out, r, 0, w, bias, q, min(intGroup, hi-q))
		}
	}
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

// kc is the most depth one pass of the gemm tiles covers. A panel's kc×32
// slice of W (up to 512 KiB) stays in L2 while every row block of x runs
// over it, and the panel's column of out stays in cache across passes.
// Measured on Zen 4 with m = 128 (one thread, thread CPU time), one pass
// over K = 768 or 3072 beat kc = 256 by 3–9%, and running all panels at
// one depth before the next lost another 2–15%.
const kc = 4096

// gemmPanels computes panels [lo, hi) of out for all m rows from packed x.
func gemmPanels(im *impl, out, xp []float32, m int, w *Packed, bias []float32, lo, hi int) {
	for q := lo; q < hi; q++ {
		for k0 := 0; k0 < w.K || k0 == 0; k0 += kc {
			gemmBlock(im, out, xp, m, w, ptr(w.data, q*w.K*nr), bias, q, k0)
		}
	}
}

// gemmBlock adds depth [k0, k0+kc) of panel q, whose float32 rows start at
// pan, to out for all m rows; the first pass starts from the bias.
func gemmBlock(im *impl, out, xp []float32, m int, w *Packed, pan *float32, bias []float32, q, k0 int) {
	n, k, mr := w.N, w.K, im.mr
	kn := min(kc, k-k0)
	acc := 0
	if k0 > 0 {
		acc = 1
	}
	j0 := q * nr
	cols := min(nr, n-j0)
	wp := off(pan, k0*nr)
	var b [nr]float32
	var bp *float32
	if bias != nil {
		if cols == nr {
			bp = ptr(bias, j0)
		} else {
			copy(b[:], bias[j0:n])
			bp = &b[0]
		}
	}
	var tile [12 * nr]float32
	for i0 := 0; i0 < m; i0 += mr {
		rows := min(mr, m-i0)
		xb := ptr(xp, i0*k+k0*mr)
		// A block of up to 8 rows (a chunk's last) goes through the 8-row
		// tile where there is one: m = 128 in 12-row tiles computed 132.
		gemm := im.gemm
		if rows <= 8 && im.gemm8 != nil {
			gemm = im.gemm8
		}
		if cols == nr && (rows == mr || rows == 8 && im.gemm8 != nil) {
			gemm(ptr(out, i0*n+j0), n, xb, wp, bp, kn, acc)
			continue
		}
		// Edge tiles go through a padded copy.
		if acc != 0 {
			for i := range rows {
				copy(tile[i*nr:i*nr+cols], out[(i0+i)*n+j0:])
			}
		}
		gemm(&tile[0], nr, xb, wp, bp, kn, acc)
		for i := range rows {
			copy(out[(i0+i)*n+j0:(i0+i)*n+j0+cols], tile[i*nr:i*nr+cols])
		}
	}
}

// packX copies row blocks [lo, hi) of x ([m][k], rows ldx apart) into xp
// as [k][mr] blocks, zero-filling rows past m.
func packX(xp, x []float32, ldx, m, k, mr, lo, hi int) {
	for blk := lo; blk < hi; blk++ {
		dst := xp[blk*mr*k : (blk+1)*mr*k]
		rows := min(mr, m-blk*mr)
		if rows < mr {
			clear(dst)
		}
		// Four rows at a time, column by column: the writes stay within
		// a few cache lines of one another instead of striding mr floats
		// apart for a whole row.
		i := 0
		for ; i+4 <= rows; i += 4 {
			r := blk*mr + i
			x0, x1, x2, x3 := x[r*ldx:r*ldx+k], x[(r+1)*ldx:(r+1)*ldx+k], x[(r+2)*ldx:(r+2)*ldx+k], x[(r+3)*ldx:(r+3)*ldx+k]
			for kk := range k {
				d := dst[kk*mr+i : kk*mr+i+4 : kk*mr+i+4]
				d[0], d[1], d[2], d[3] = x0[kk], x1[kk], x2[kk], x3[kk]
			}
		}
		for ; i < rows; i++ {
			r := blk*mr + i
			for kk, v := range x[r*ldx : r*ldx+k] {
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
