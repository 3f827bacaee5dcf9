package kernels

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"
)

// TestSharedTakes checks the two ends of a Shared's groups: the owner
// from the front, a helper from the back only while two are left, then
// while any is, every group taken once, and the output bitwise MatMul's
// whoever computed each group, on every path and format.
func TestSharedTakes(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 14))
	const n, k = 9*32 + 3, 100 // 10 panels: groups 0, 1 and a partial 2
	for _, f := range []Format{FP32, FP16, INT8, INT4} {
		w := PackAs(randSlice(r, n*k), n, k, f)
		x, bias := randSlice(r, k), randSlice(r, n)
		for _, im := range impls {
			t.Run(fmt.Sprintf("%s/%s", f, im.name), func(t *testing.T) {
				want := make([]float32, n)
				matMul(im, want, x, 1, w, bias)
				var s Shared
				got := make([]float32, n)
				s.open(im, got, x, w, bias)
				if g, ok := s.takeBack(2); !ok || g != 2 {
					t.Fatalf("takeBack(2) of 3 groups = %d, %v; want 2, true", g, ok)
				}
				s.group(im, 2)
				if g, ok := s.takeFront(); !ok || g != 0 {
					t.Fatalf("takeFront = %d, %v; want 0, true", g, ok)
				}
				s.group(im, 0)
				if _, ok := s.takeBack(2); ok {
					t.Fatal("takeBack(2) took a group with one left")
				}
				if g, ok := s.takeBack(1); !ok || g != 1 {
					t.Fatalf("takeBack(1) = %d, %v; want 1, true", g, ok)
				}
				s.group(im, 1)
				if _, ok := s.takeFront(); ok {
					t.Fatal("takeFront took a group after all were taken")
				}
				if !slices.Equal(got, want) {
					t.Fatalf("groups from both ends: %v, want %v (MatMul)", got, want)
				}
			})
		}
	}
}

// TestSharedConcurrent runs an owner and a helper on two goroutines, the
// helper arriving before the owner claims, while it is claimed, after it
// is open, or after a Skip, and checks the output bitwise against MatMul
// every time. Run under -race it checks that the helper reads what the
// owner set up only after it opened the groups.
func TestSharedConcurrent(t *testing.T) {
	r := rand.New(rand.NewPCG(15, 16))
	for _, f := range []Format{FP32, INT8} {
		for _, n := range []int{32, 300, 1000} {
			const k = 256
			w := PackAs(randSlice(r, n*k), n, k, f)
			x, bias := randSlice(r, k), randSlice(r, n)
			want := make([]float32, n)
			MatMul(want, x, 1, w, bias)
			var s Shared
			for i := range 200 {
				got := make([]float32, n)
				s.Reset()
				skip := i%7 == 3
				var wg sync.WaitGroup
				wg.Add(2)
				claimed := make(chan struct{})
				go func() {
					defer wg.Done()
					s.Claim()
					close(claimed)
					if skip {
						s.Skip()
						return
					}
					s.Run(got, x, w, bias)
				}()
				go func() {
					defer wg.Done()
					if i%2 == 0 {
						<-claimed
					}
					s.Help()
				}()
				wg.Wait()
				if !skip && !slices.Equal(got, want) {
					t.Fatalf("%s n=%d run %d: %v, want %v (MatMul)", f, n, i, got, want)
				}
			}
		}
	}
}

// TestSharedHelpReturns checks that a helper returns at once when no
// thread has claimed the product (the parallel loop may yet run the
// owner's chunk on the helper's own thread) or its owner skipped it.
func TestSharedHelpReturns(t *testing.T) {
	var s Shared
	for _, state := range []string{"unclaimed", "skipped"} {
		s.Reset()
		if state == "skipped" {
			s.Claim()
			s.Skip()
		}
		done := make(chan struct{})
		go func() {
			s.Help()
			close(done)
		}()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Fatalf("Help on an %s Shared has not returned after 10 s", state)
		}
	}
}
