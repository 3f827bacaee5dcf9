package sched

import (
	"cmp"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

func TestGreedyIsArgmax(t *testing.T) {
	t.Parallel()
	logits := []float32{0.1, 2, -1, 2, 1.9}
	for _, p := range []Sampling{{}, {Temperature: 1, TopK: 1}, {Temperature: 0, TopP: 0.1}} {
		s := newSampler(p, 1)
		for range 20 {
			if got := s.sample(logits); got != 1 {
				t.Fatalf("%+v: got %d, want 1 (first of the tied maxima)", p, got)
			}
		}
	}
}

func TestSeedDeterminism(t *testing.T) {
	t.Parallel()
	logits := make([]float32, 1000)
	for i := range logits {
		logits[i] = float32(math.Sin(float64(i)))
	}
	for _, p := range []Sampling{{Temperature: 1}, {Temperature: 0.8, TopK: 50}, {Temperature: 1.2, TopP: 0.9}, {Temperature: 1, TopK: 200, TopP: 0.5}} {
		a, b, c := newSampler(p, 42), newSampler(p, 42), newSampler(p, 43)
		same, differ := true, false
		for range 200 {
			x, y, z := a.sample(logits), b.sample(logits), c.sample(logits)
			same = same && x == y
			differ = differ || x != z
		}
		if !same {
			t.Errorf("%+v: one seed gave two sequences", p)
		}
		if !differ {
			t.Errorf("%+v: seeds 42 and 43 gave the same 200 draws", p)
		}
	}
}

// probs makes logits whose softmax is p.
func logitsOf(p ...float64) []float32 {
	out := make([]float32, len(p))
	for i, v := range p {
		out[i] = float32(math.Log(v))
	}
	return out
}

func TestTopPKeepsMass(t *testing.T) {
	t.Parallel()
	logits := logitsOf(0.05, 0.5, 0.15, 0.3)
	s := newSampler(Sampling{Temperature: 1, TopP: 0.8}, 7)
	counts := make([]int, 4)
	const n = 20000
	for range n {
		counts[s.sample(logits)]++
	}
	// 0.5 + 0.3 reaches 0.8: only ids 1 and 3, in ratio 5:3.
	if counts[0] != 0 || counts[2] != 0 {
		t.Fatalf("top_p 0.8 sampled outside the nucleus: %v", counts)
	}
	if got := float64(counts[1]) / n; math.Abs(got-0.625) > 0.02 {
		t.Errorf("share of id 1: got %.3f, want 0.625±0.02", got)
	}
}

func TestTopKRestricts(t *testing.T) {
	t.Parallel()
	logits := logitsOf(0.1, 0.2, 0.3, 0.4)
	for _, k := range []int{2, 3} {
		s := newSampler(Sampling{Temperature: 1, TopK: k}, 3)
		seen := map[int]bool{}
		for range 5000 {
			seen[s.sample(logits)] = true
		}
		if len(seen) != k || !seen[3] {
			t.Errorf("top_k %d: sampled %v, want the %d most likely", k, seen, k)
		}
		for id := range 4 - k {
			if seen[id] {
				t.Errorf("top_k %d: sampled id %d", k, id)
			}
		}
	}
}

func TestTemperatureSharpens(t *testing.T) {
	t.Parallel()
	logits := logitsOf(0.25, 0.75)
	count := func(temp float64) float64 {
		s := newSampler(Sampling{Temperature: temp}, 11)
		c := 0
		for range 10000 {
			if s.sample(logits) == 1 {
				c++
			}
		}
		return float64(c) / 10000
	}
	// At T=1 the share is 0.75; at T=0.5 it is 0.9 (0.75²/(0.75²+0.25²)).
	if got := count(1); math.Abs(got-0.75) > 0.02 {
		t.Errorf("T=1: got %.3f, want 0.75±0.02", got)
	}
	if got := count(0.5); math.Abs(got-0.9) > 0.02 {
		t.Errorf("T=0.5: got %.3f, want 0.9±0.02", got)
	}
}

func TestTopCandidatesLargeK(t *testing.T) {
	t.Parallel()
	logits := make([]float32, 300)
	for i := range logits {
		logits[i] = float32((i * 37) % 300)
	}
	s := newSampler(Sampling{Temperature: 1}, 1)
	for _, k := range []int{5, 100} {
		got := s.topCandidates(logits, k)
		for i := 1; i < len(got); i++ {
			if logits[got[i]] > logits[got[i-1]] {
				t.Fatalf("k=%d: not in descending order at %d", k, i)
			}
		}
		if logits[got[0]] != 299 || logits[got[k-1]] != float32(300-k) {
			t.Errorf("k=%d: got range %v..%v", k, logits[got[0]], logits[got[k-1]])
		}
	}
}

func BenchmarkSample(b *testing.B) {
	logits := make([]float32, 50257)
	for i := range logits {
		logits[i] = float32(math.Sin(float64(i) * 0.37))
	}
	for _, p := range []Sampling{{}, {Temperature: 1}, {Temperature: 1, TopK: 40}, {Temperature: 1, TopP: 0.9}} {
		b.Run(fmt.Sprintf("T%g_k%d_p%g", p.Temperature, p.TopK, p.TopP), func(b *testing.B) {
			s := newSampler(p, 1)
			for b.Loop() {
				s.sample(logits)
			}
		})
	}
}

// TestNucleusCut checks the linear-time nucleus against sorting.
func TestNucleusCut(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(1, 2))
	for trial := range 300 {
		n := 1 + rng.IntN(200)
		vals := make([]float64, n)
		var sum float64
		for i := range vals {
			vals[i] = math.Exp(rng.NormFloat64() * 2)
			if trial%3 == 0 {
				vals[i] = float64(1 + rng.IntN(4)) // many ties
			}
			sum += vals[i]
		}
		p := rng.Float64()
		sorted := slices.Clone(vals)
		slices.SortFunc(sorted, func(a, b float64) int { return cmp.Compare(b, a) })
		var cum, want float64
		for _, v := range sorted {
			cum += v
			want = v
			if cum >= p*sum {
				break
			}
		}
		if got := nucleusCut(slices.Clone(vals), p*sum); got != want {
			t.Fatalf("trial %d (n %d, p %.3f): got cut %g, want %g", trial, n, p, got, want)
		}
	}
}
