package kernels

import (
	"fmt"
	"sync/atomic"
	"unsafe"
)

// impl is one implementation of the inner kernels. Every kernel takes raw
// pointers so that the assembly and the Go versions share one signature.
type impl struct {
	name string
	// mr is the number of x rows in one gemm tile, and the row-block size
	// of packed x.
	mr int
	// gemv computes np consecutive full panels for one row of x:
	// out[32q+j] = bias[32q+j] + Σ_k x[k]·w[q][k][j]; bias may be nil.
	gemv func(out, w, x, bias *float32, k, np int)
	// gemm computes one mr×32 tile: c[i·ldc+j] = s[i][j] + Σ_k
	// xp[k·mr+i]·w[k·32+j] for i < mr, j < 32, where s is c itself when acc
	// is nonzero and otherwise bias[j] (zero when bias is nil).
	gemm func(c *float32, ldc int, xp, w, bias *float32, k, acc int)
	// gemm8 is gemm for the first 8 rows of a block, bitwise as gemm
	// computes them; nil leaves a block of up to 8 rows to gemm, padded.
	gemm8 func(c *float32, ldc int, xp, w, bias *float32, k, acc int)
	// dot returns Σ a[i]·b[i] over n elements.
	dot func(a, b *float32, n int) float32
	// axpy computes y[i] += alpha·x[i] over n elements.
	axpy func(alpha float32, x, y *float32, n int)
	// dotRows sets out[t] = Σ_i q[i]·k[t·stride+i] for t < n, i < d;
	// nil, or d not a multiple of lanes, falls back to dot per row.
	dotRows func(out, q, k *float32, stride, n, d int)
	// axpyRows adds Σ_t p[t]·v[t·stride+i] to y[i] for i < d, t < n, in t
	// order as n axpy calls would; nil, or d not a multiple of lanes,
	// falls back to axpy per row.
	axpyRows func(p, v *float32, stride, n int, y *float32, d int)
	// dotRowsF16 and axpyRowsF16 are dotRows and axpyRows over rows of
	// halves, bitwise theirs over the widened rows; toF16 rounds n floats
	// (a multiple of lanes) to halves as f32ToF16 does. Nil falls back to
	// widening a row at a time (rounding one at a time).
	dotRowsF16  func(out, q *float32, k *uint16, stride, n, d int)
	axpyRowsF16 func(p *float32, v *uint16, stride, n int, y *float32, d int)
	toF16       func(dst *uint16, src *float32, n int)
	// lanes is the vector width of gelu and expSum: they take whole
	// multiples of it.
	lanes int
	// gelu applies GELU in place to n floats.
	gelu func(x *float32, n int)
	// expSum sets x[i] = e^(x[i]−mx) over n floats and returns their sum.
	expSum func(x *float32, n int, mx float32) float32
	// deq16 widens n halves to floats, bitwise alike on every path.
	deq16 func(src *uint16, dst *float32, n int)
	// gemvF16 adds one row x times qgroup consecutive full panels of an
	// FP16 matrix to acc (qgroup×32 floats) over rows rows from src,
	// widening the weights in registers bitwise as deq16 does; pstride is
	// the bytes from one panel's rows to the next's. Nil falls back to
	// widening each panel and running gemv.
	qgroup  int
	gemvF16 func(acc *float32, src *uint16, pstride int, x *float32, rows int)
	// quant quantizes nb whole blocks of 32 floats from x into q, storing
	// each block's max |x| in amax and its Σ q in sum, bitwise as
	// qrows.quantizeRow does; nil leaves it to quantizeRow.
	quant func(x *float32, q *int8, amax *float32, sum *int32, nb int)
	// gemvQ8 and gemvQ4 add one quantized row of activations (xq, with
	// its block scales xs; see qrows) times np consecutive panels of an
	// INT8 or INT4 matrix to acc (np×32 floats), over nb blocks: for each
	// block and column, the exact int32 sum over the block's 32 rows of
	// stored weight times xq (INT8: less 128·xsum, the stored offset), then
	// acc += float32(sum)·(scale·xs), and for INT4 acc += min·xsm (scale
	// and min widened from their halves), every
	// product and sum rounded to float32 apart, as gemvQ8Generic and
	// gemvQ4Generic do. pstride and sstride are the bytes from one panel's
	// weights, and scales, to the next's.
	gemvQ8 func(acc *float32, w *byte, pstride int, xq *int8, xs *float32, xsum *int32, scale *uint16, sstride, nb, np int)
	gemvQ4 func(acc *float32, w *byte, pstride int, xq *int8, xs, xsm *float32, scale *uint16, sstride, nb, np int)
	// lnSum, lnSq and lnApply are LayerNorm's passes over a multiple of 4
	// (lnApply: 8) elements, bitwise as its Go loops; nil leaves them to
	// the Go loops.
	lnSum   func(x *float32, n int, s *[4]float64)
	lnSq    func(x *float32, n int, mean float32, s *[4]float64)
	lnApply func(out, x, gamma, beta *float32, n int, mean, inv float32)
	// fmaLoop runs n iterations of independent FMAs, fmaLoopFLOPs
	// floating-point operations each, at the core's FMA throughput; nil
	// where there is no such kernel.
	fmaLoop      func(n int)
	fmaLoopFLOPs int
	// sum reads n floats and returns their sum; it exists to measure read
	// bandwidth.
	sum func(p *float32, n int) float32
}

// impls lists the implementations this CPU can run, best first; the last is
// always the generic one.
var impls []*impl

// curImpl is the implementation in use.
var curImpl atomic.Pointer[impl]

func cur() *impl { return curImpl.Load() }

// Impl says which path runs: "avx512", "avx2" or "generic".
func Impl() string { return cur().name }

// Impls lists the paths this CPU can run, best first; "generic" is always
// last.
func Impls() []string {
	names := make([]string, len(impls))
	for i, im := range impls {
		names[i] = im.name
	}
	return names
}

// SetImpl switches every kernel to the named path, one of Impls(), for
// comparisons and tests; the best one runs by default.
func SetImpl(name string) error {
	for _, im := range impls {
		if im.name == name {
			curImpl.Store(im)
			return nil
		}
	}
	return fmt.Errorf("kernels: implementation %q not available on this CPU (have %v)", name, Impls())
}

func init() {
	impls = append(simdImpls(), genericImpl)
	curImpl.Store(impls[0])
}

// ptr returns a pointer to s[i] without a bounds check; the callers have
// checked the lengths.
func ptr(s []float32, i int) *float32 {
	return (*float32)(unsafe.Add(unsafe.Pointer(unsafe.SliceData(s)), uintptr(i)*4))
}

// nilOr returns &s[i], or nil when s is nil.
func nilOr(s []float32, i int) *float32 {
	if s == nil {
		return nil
	}
	return ptr(s, i)
}

// off returns p advanced by i floats.
func off(p *float32, i int) *float32 {
	return (*float32)(unsafe.Add(unsafe.Pointer(p), uintptr(i)*4))
}
