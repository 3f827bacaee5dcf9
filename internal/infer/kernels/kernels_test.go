package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"sync"
	"testing"
)

func randSlice(r *rand.Rand, n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = float32(r.NormFloat64())
	}
	return s
}

// reference computes x·Wᵀ + bias in float64 from w as [N][K], and the
// bound on float32 summation error of each output: K·ε·Σ|x·w| plus the
// bias term.
func reference(x, w, bias []float32, m, n, k int) (want, tol []float64) {
	want = make([]float64, m*n)
	tol = make([]float64, m*n)
	const eps = 1.0 / (1 << 23)
	for i := range m {
		for j := range n {
			var s, a float64
			if bias != nil {
				s = float64(bias[j])
				a = math.Abs(s)
			}
			for kk := range k {
				p := float64(x[i*k+kk]) * float64(w[j*k+kk])
				s += p
				a += math.Abs(p)
			}
			want[i*n+j] = s
			tol[i*n+j] = float64(k+2)*eps*a + 1e-30
		}
	}
	return want, tol
}

func TestMatMulMatchesReference(t *testing.T) {
	shapes := []struct{ n, k int }{
		{1, 1}, {16, 16}, {31, 7}, {32, 32}, {33, 65}, {64, 3}, {97, 130}, {200, 768}, {45, 1}, {40, 600}, {20, 4300},
	}
	ms := []int{1, 2, 3, 7, 12, 13, 128}
	r := rand.New(rand.NewPCG(1, 2))
	for _, im := range impls {
		for _, sh := range shapes {
			for _, m := range ms {
				for _, withBias := range []bool{false, true} {
					name := fmt.Sprintf("%s/n=%d/k=%d/m=%d/bias=%v", im.name, sh.n, sh.k, m, withBias)
					t.Run(name, func(t *testing.T) {
						w := randSlice(r, sh.n*sh.k)
						x := randSlice(r, m*sh.k)
						var bias []float32
						if withBias {
							bias = randSlice(r, sh.n)
						}
						want, tol := reference(x, w, bias, m, sh.n, sh.k)
						// Both layouts must pack to the same matrix.
						wkn := make([]float32, len(w))
						for j := range sh.n {
							for kk := range sh.k {
								wkn[kk*sh.n+j] = w[j*sh.k+kk]
							}
						}
						for li, p := range []*Packed{Pack(w, sh.n, sh.k), PackKN(wkn, sh.k, sh.n)} {
							out := randSlice(r, m*sh.n+5) // garbage the kernel must overwrite
							guard := append([]float32(nil), out[m*sh.n:]...)
							matMul(im, out, x, m, p, bias)
							for i := range m * sh.n {
								if d := math.Abs(float64(out[i]) - want[i]); d > tol[i] {
									t.Fatalf("layout %d: out[%d][%d] = %g, want %g (tolerance %g)", li, i/sh.n, i%sh.n, out[i], want[i], tol[i])
								}
							}
							for i, v := range out[m*sh.n:] {
								if v != guard[i] {
									t.Fatalf("layout %d: wrote past out[m*N] at +%d", li, i)
								}
							}
						}
					})
				}
			}
		}
	}
}

func TestMatMulThreads(t *testing.T) {
	defer SetThreads(Threads())
	r := rand.New(rand.NewPCG(3, 4))
	const n, k = 1000, 96
	w := Pack(randSlice(r, n*k), n, k)
	for _, m := range []int{1, 40} {
		x := randSlice(r, m*k)
		SetThreads(1)
		one := make([]float32, m*n)
		MatMul(one, x, m, w, nil)
		for _, th := range []int{2, 3, 7} {
			SetThreads(th)
			got := make([]float32, m*n)
			MatMul(got, x, m, w, nil)
			for i := range got {
				if got[i] != one[i] {
					t.Fatalf("m=%d threads=%d: out[%d] = %g, want %g (threads=1)", m, th, i, got[i], one[i])
				}
			}
		}
	}
}

func TestRowAndBytes(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	const n, k = 70, 13
	w := randSlice(r, n*k)
	p := Pack(w, n, k)
	dst := make([]float32, k)
	for i := range n {
		p.Row(i, dst)
		for kk := range k {
			if dst[kk] != w[i*k+kk] {
				t.Fatalf("Row(%d)[%d] = %g, want %g", i, kk, dst[kk], w[i*k+kk])
			}
		}
	}
	if got, want := p.Bytes(), int64(96*k*4); got != want {
		t.Errorf("Bytes() = %d, want %d", got, want)
	}
}

func TestVectorKernels(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for _, im := range impls {
		for _, n := range []int{0, 1, 5, 15, 16, 17, 63, 64, 65, 100, 1000} {
			t.Run(fmt.Sprintf("%s/n=%d", im.name, n), func(t *testing.T) {
				a, b := randSlice(r, n+1), randSlice(r, n+1)
				var want, abs float64
				for i := range n {
					want += float64(a[i]) * float64(b[i])
					abs += math.Abs(float64(a[i]) * float64(b[i]))
				}
				got := float64(im.dot(&a[0], &b[0], n))
				if d := math.Abs(got - want); d > float64(n+1)*abs/(1<<23) {
					t.Errorf("dot = %g, want %g", got, want)
				}
				y := append([]float32(nil), b...)
				im.axpy(0.5, &a[0], &y[0], n)
				for i := range n {
					if want := b[i] + 0.5*a[i]; math.Abs(float64(y[i]-want)) > 1e-6*(1+math.Abs(float64(want))) {
						t.Fatalf("axpy y[%d] = %g, want %g", i, y[i], want)
					}
				}
				if y[n] != b[n] {
					t.Errorf("axpy wrote past n")
				}
			})
		}
		t.Run(im.name+"/sum", func(t *testing.T) {
			s := randSlice(r, 4096)
			var want, abs float64
			for _, v := range s {
				want += float64(v)
				abs += math.Abs(float64(v))
			}
			if got := float64(im.sum(&s[0], len(s))); math.Abs(got-want) > 4096*abs/(1<<23) {
				t.Errorf("sum = %g, want %g", got, want)
			}
		})
	}
}

func TestPublicVectorOps(t *testing.T) {
	x := []float32{1, 2, 3}
	y := []float32{4, 5, 6, 7}
	if got := Dot(x, y); got != 32 {
		t.Errorf("Dot = %g, want 32", got)
	}
	Axpy(2, x, y)
	Add(y, x)
	Scale(0.5, y)
	want := []float32{3.5, 5.5, 7.5, 7 * 0.5}
	for i := range want {
		if y[i] != want[i] {
			t.Fatalf("y = %v, want %v", y, want)
		}
	}
}

func TestImpl(t *testing.T) {
	if Impl() != impls[0].name {
		t.Errorf("Impl() = %q, want %q", Impl(), impls[0].name)
	}
	names := Impls()
	if names[len(names)-1] != "generic" {
		t.Errorf("Impls() = %v, want generic last", names)
	}
	defer SetImpl(Impl())
	for _, name := range names {
		if err := SetImpl(name); err != nil || Impl() != name {
			t.Errorf("SetImpl(%q) = %v, then Impl() = %q", name, err, Impl())
		}
	}
	if err := SetImpl("neon"); err == nil {
		t.Errorf("SetImpl(%q) = nil, want an error", "neon")
	}
	t.Logf("impls %v, %d threads", names, Threads())
}

// TestLargePacked covers weights big enough for the huge-page arena: several
// matrices share a chunk, and freeing some, explicitly or by collection,
// leaves the others intact.
func TestLargePacked(t *testing.T) {
	r := rand.New(rand.NewPCG(21, 22))
	const n, k, m = 300, 1000, 3
	var ws [][]float32
	var ps []*Packed
	for range 4 {
		w := randSlice(r, n*k)
		ws = append(ws, w)
		ps = append(ps, Pack(w, n, k))
	}
	if ps[0].Bytes() < 1<<20 {
		t.Fatalf("Bytes() = %d, want at least 1 MiB to exercise the arena", ps[0].Bytes())
	}
	for range 3 {
		_ = Pack(ws[0], n, k) // garbage for the collector to release
	}
	ps[1].Free()
	ps[1].Free() // twice is harmless
	if ps[1].Bytes() != 0 {
		t.Errorf("Bytes() after Free = %d, want 0", ps[1].Bytes())
	}
	runtime.GC()
	runtime.GC()
	x := randSlice(r, m*k)
	out := make([]float32, m*n)
	dst := make([]float32, k)
	for i, p := range ps {
		if i == 1 {
			continue
		}
		want, tol := reference(x, ws[i], nil, m, n, k)
		MatMul(out, x, m, p, nil)
		for j := range out {
			if d := math.Abs(float64(out[j]) - want[j]); d > tol[j] {
				t.Fatalf("matrix %d: out[%d] = %g, want %g", i, j, out[j], want[j])
			}
		}
		p.Row(n-1, dst)
		for kk := range dst {
			if dst[kk] != ws[i][(n-1)*k+kk] {
				t.Fatalf("matrix %d: Row(%d)[%d] = %g, want %g", i, n-1, kk, dst[kk], ws[i][(n-1)*k+kk])
			}
		}
		p.Free()
	}
}

// TestMatMulConcurrent runs MatMuls from several goroutines at once through
// the shared pool.
func TestMatMulConcurrent(t *testing.T) {
	r := rand.New(rand.NewPCG(25, 26))
	const n, k = 333, 200
	w := Pack(randSlice(r, n*k), n, k)
	type call struct{ x, want []float32 }
	calls := make([]call, 8)
	for i := range calls {
		m := 1 + i*5
		x := randSlice(r, m*k)
		want := make([]float32, m*n)
		MatMul(want, x, m, w, nil)
		calls[i] = call{x, want}
	}
	var wg sync.WaitGroup
	for i, c := range calls {
		wg.Go(func() {
			m := len(c.x) / k
			got := make([]float32, m*n)
			for range 20 {
				MatMul(got, c.x, m, w, nil)
				for j := range got {
					if got[j] != c.want[j] {
						t.Errorf("call %d: out[%d] = %g, want %g", i, j, got[j], c.want[j])
						return
					}
				}
			}
		})
	}
	wg.Wait()
}

// TestPeakFLOPS checks that the FMA probe reports a rate on the SIMD paths
// and none on the pure-Go one.
func TestPeakFLOPS(t *testing.T) {
	defer SetImpl(Impl())
	for _, im := range impls {
		if err := SetImpl(im.name); err != nil {
			t.Fatal(err)
		}
		got := PeakFLOPS(0)
		if (im.fmaLoop != nil) != (got > 0) {
			t.Errorf("%s: PeakFLOPS = %g, want > 0 exactly when the path has an FMA loop", im.name, got)
		}
	}
}

// TestMatMulEmptyK checks that a product over no inputs gives the bias,
// in every format, on every path and for one row or several.
func TestMatMulEmptyK(t *testing.T) {
	defer SetImpl(Impl())
	bias := []float32{1, 2, 3, 4, 5}
	for _, im := range impls {
		if err := SetImpl(im.name); err != nil {
			t.Fatal(err)
		}
		for _, f := range []Format{FP32, FP16, INT8, INT4} {
			w := PackAs(nil, len(bias), 0, f)
			for _, m := range []int{1, 3} {
				out := make([]float32, m*len(bias))
				MatMul(out, nil, m, w, bias)
				for i := range m {
					if got := out[i*len(bias) : (i+1)*len(bias)]; !slices.Equal(got, bias) {
						t.Fatalf("%s/%s, m=%d: row %d is %v, want the bias %v", im.name, f, m, i, got, bias)
					}
				}
			}
		}
	}
}
