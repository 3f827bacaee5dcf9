package infer

import (
	"math"
	"testing"
)

// TestPrefillFLOPs counts a prefill's operations matrix by matrix and
// token by token, the last block's after QKV for the last token alone,
// and compares with the closed form.
func TestPrefillFLOPs(t *testing.T) {
	for _, name := range []string{"tiny", "gpt2"} {
		s, _ := ShapeByName(name)
		for _, n := range []int{1, 7, 128} {
			e := float64(s.Embd)
			var want float64
			for l := range s.Layers {
				rows := float64(n)
				want += 2 * rows * e * 3 * e
				if l == s.Layers-1 {
					rows = 1
				}
				for _, kn := range [][2]float64{{e, e}, {e, 4 * e}, {4 * e, e}} {
					want += 2 * rows * kn[0] * kn[1]
				}
				for tok := range n { // token tok attends to tok+1 keys, every head
					if l < s.Layers-1 || tok == n-1 {
						want += 2 * 2 * float64(tok+1) * e
					}
				}
			}
			want += 2 * float64(s.Vocab) * e
			if got := s.PrefillFLOPs(n); math.Abs(got-want) > 1e-9*want {
				t.Errorf("%s n=%d: PrefillFLOPs = %g, want %g", name, n, got, want)
			}
		}
	}
}
