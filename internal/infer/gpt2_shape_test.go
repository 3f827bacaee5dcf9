package infer

import (
	"math"
	"testing"
)

// TestPrefillFLOPs counts a prefill's operations matrix by matrix and
// token by token, and compares with the closed form.
func TestPrefillFLOPs(t *testing.T) {
	for _, name := range []string{"tiny", "gpt2"} {
		s, _ := ShapeByName(name)
		for _, n := range []int{1, 7, 128} {
			e := float64(s.Embd)
			var want float64
			for range s.Layers {
				for _, kn := range [][2]float64{{e, 3 * e}, {e, e}, {e, 4 * e}, {4 * e, e}} {
					want += 2 * float64(n) * kn[0] * kn[1]
				}
				for tok := range n { // token tok attends to tok+1 keys, every head
					want += 2 * 2 * float64(tok+1) * e
				}
			}
			want += 2 * float64(s.Vocab) * e
			if got := s.PrefillFLOPs(n); math.Abs(got-want) > 1e-9*want {
				t.Errorf("%s n=%d: PrefillFLOPs = %g, want %g", name, n, got, want)
			}
		}
	}
}
