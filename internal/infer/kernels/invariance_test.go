package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestMatMulRowInvariant checks that a row of MatMul is bitwise the same
// whatever m is and whatever rows surround it, on every path: decode
// (m = 1), every tile position, edge tiles and partial panels, with and
// without bias, in every weight format. Batch invariance of the whole model rests on it.
func TestMatMulRowInvariant(t *testing.T) {
	shapes := []struct{ n, k int }{{1, 1}, {31, 7}, {64, 64}, {97, 130}, {130, 768}, {40, 4300}, {290, 100}}
	seed := uint64(0)
	for _, f := range []Format{FP32, FP16, INT8, INT4} {
		for _, im := range impls {
			for _, sh := range shapes {
				for _, withBias := range []bool{false, true} {
					seed++
					r := rand.New(rand.NewPCG(5, seed)) // one per parallel subtest
					t.Run(fmt.Sprintf("%s/%s/n=%d/k=%d/bias=%v", f, im.name, sh.n, sh.k, withBias), func(t *testing.T) {
						t.Parallel()
						w := PackAs(randSlice(r, sh.n*sh.k), sh.n, sh.k, f)
						var bias []float32
						if withBias {
							bias = randSlice(r, sh.n)
						}
						const rows = 29 // past two AVX-512 row blocks, with an edge tile
						x := randSlice(r, rows*sh.k)
						alone := make([]float32, rows*sh.n)
						for i := range rows {
							matMul(im, alone[i*sh.n:(i+1)*sh.n], x[i*sh.k:(i+1)*sh.k], 1, w, bias)
						}
						for _, m := range []int{2, 5, 12, 13, 29} {
							for i0 := 0; i0+m <= rows; i0 += m {
								got := make([]float32, m*sh.n)
								matMul(im, got, x[i0*sh.k:(i0+m)*sh.k], m, w, bias)
								for i := range got {
									if want := alone[i0*sh.n+i]; got[i] != want {
										t.Fatalf("m=%d: row %d col %d = %g, want %g bitwise (m=1)", m, i0+i/sh.n, i%sh.n, got[i], want)
									}
								}
							}
						}
					})
				}
			}
		}
	}
}

// TestRowsMatchOneAtATime checks that DotRows gives every row bitwise the
// score it gives that row alone, within float32 rounding of Dot, and that
// AxpyRows gives bitwise what Axpy gives one row at a time.
func TestRowsMatchOneAtATime(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for _, im := range impls {
		for _, d := range []int{1, 15, 16, 32, 64, 80, 128, 136} {
			t.Run(fmt.Sprintf("%s/d=%d", im.name, d), func(t *testing.T) {
				defer func(old *impl) { curImpl.Store(old) }(cur())
				curImpl.Store(im)
				const n, stride = 19, 150
				q, kv := randSlice(r, d), randSlice(r, n*stride)
				scores := make([]float32, n)
				DotRows(scores, q, kv, stride)
				y, want := randSlice(r, d), make([]float32, d)
				copy(want, y)
				AxpyRows(scores, kv, stride, y)
				for i := range n {
					row := kv[i*stride : i*stride+d]
					var one [1]float32
					DotRows(one[:], q, row, stride)
					if scores[i] != one[0] {
						t.Fatalf("DotRows[%d] = %g, want %g bitwise (the row alone)", i, scores[i], one[0])
					}
					var abs float64
					for j := range row {
						abs += math.Abs(float64(q[j]) * float64(row[j]))
					}
					if s := Dot(q, row); math.Abs(float64(scores[i]-s)) > float64(d+1)*abs/(1<<23) {
						t.Fatalf("DotRows[%d] = %g, want about %g (Dot)", i, scores[i], s)
					}
					Axpy(scores[i], row, want)
				}
				for i := range y {
					if y[i] != want[i] {
						t.Fatalf("AxpyRows[%d] = %g, want %g bitwise", i, y[i], want[i])
					}
				}
			})
		}
	}
}

// TestMatVecsMatchesMatMul checks that MatVecs gives each matrix bitwise
// what MatMul gives it alone, on every path and format, for parts whose
// panels do not split into whole groups.
func TestMatVecsMatchesMatMul(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	const k = 96
	for _, f := range []Format{FP32, FP16, INT8, INT4} {
		var ws []*Packed
		var outs, want [][]float32
		for _, n := range []int{200, 33, 0, 128, 7, 161} {
			ws = append(ws, PackAs(randSlice(r, n*k), n, k, f))
			outs = append(outs, make([]float32, n))
			want = append(want, make([]float32, n))
		}
		x := randSlice(r, k)
		for _, im := range impls {
			defer SetImpl(Impl())
			if err := SetImpl(im.name); err != nil {
				t.Fatal(err)
			}
			MatVecs(outs, x, ws)
			for i, w := range ws {
				MatMul(want[i], x, 1, w, nil)
				if !slices.Equal(outs[i], want[i]) {
					t.Fatalf("%s/%s: matrix %d (n=%d): MatVecs %v, MatMul %v", f, im.name, i, w.N, outs[i], want[i])
				}
			}
		}
	}
}

// TestMatVecColsMatchesMatMul checks that MatVecCols, over any panel
// range (groups of four cut anywhere, a partial last panel), gives those
// columns bitwise what MatMul gives, touches no other column, and
// refuses a range off a panel boundary.
func TestMatVecColsMatchesMatMul(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	const n, k = 7*32 + 5, 130
	for _, f := range []Format{FP32, FP16, INT8, INT4} {
		w := PackAs(randSlice(r, n*k), n, k, f)
		x, bias := randSlice(r, k), randSlice(r, n)
		for _, im := range impls {
			t.Run(fmt.Sprintf("%s/%s", f, im.name), func(t *testing.T) {
				withImpl(im, func() {
					want := make([]float32, n)
					MatMul(want, x, 1, w, bias)
					for _, cut := range [][2]int{{0, n}, {0, 32}, {32, 96}, {96, 224}, {64, n}, {224, n}, {32, 32}} {
						got := make([]float32, n)
						for j := range got {
							got[j] = -7
						}
						MatVecCols(got, x, w, bias, cut[0], cut[1])
						for j := range n {
							if in := j >= cut[0] && j < cut[1]; in && got[j] != want[j] || !in && got[j] != -7 {
								t.Fatalf("cols %v: out[%d] = %g, want %g (MatMul) inside the range and -7 outside", cut, j, got[j], want[j])
							}
						}
					}
				})
			})
		}
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: MatVecCols(16, 64) did not panic", f)
				}
			}()
			MatVecCols(make([]float32, n), x, w, bias, 16, 64)
		}()
	}
}

// TestMatMulStridedMatchesCopy checks that MatMulStrided over columns of
// a wider matrix gives bitwise what MatMul gives over a copy of them, on
// every path and format, one row or many.
func TestMatMulStridedMatchesCopy(t *testing.T) {
	r := rand.New(rand.NewPCG(17, 18))
	const n, k, ldx, at = 70, 96, 250, 130 // x is columns [130, 226) of [m][250]
	for _, f := range []Format{FP32, FP16, INT8, INT4} {
		w := PackAs(randSlice(r, n*k), n, k, f)
		bias := randSlice(r, n)
		for _, im := range impls {
			for _, m := range []int{1, 2, 13} {
				wide := randSlice(r, m*ldx)
				x := make([]float32, m*k)
				for i := range m {
					copy(x[i*k:(i+1)*k], wide[i*ldx+at:])
				}
				want, got := make([]float32, m*n), make([]float32, m*n)
				matMul(im, want, x, m, w, bias)
				matMulStrided(im, got, wide[at:], ldx, m, w, bias)
				if !slices.Equal(got, want) {
					t.Fatalf("%s/%s/m=%d: strided %v, want %v (MatMul of a copy)", f, im.name, m, got, want)
				}
			}
		}
	}
}
