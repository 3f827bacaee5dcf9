package sched

import (
	"math"
	"math/rand/v2"
	"slices"

	"github.com/muaibench/muaibench/internal/infer"
)

// Sampling says how a request's next token is drawn from the logits.
type Sampling struct {
	// Temperature divides the logits; 0 means greedy (argmax).
	Temperature float64
	// TopK keeps the K most likely tokens; 0 (or >= vocab) keeps all.
	TopK int
	// TopP keeps the smallest set of most likely tokens whose probability
	// mass reaches TopP; 0 or 1 keeps all.
	TopP float64
	// Seed seeds the request's own RNG; nil derives one from
	// Options.Seed and the order of submission.
	Seed *int64
}

// sampler draws tokens for one request. It keeps its scratch space between
// calls, so a sequence allocates it once.
type sampler struct {
	p     Sampling
	rng   *rand.Rand
	idx   []int
	probs []float64
	sel   []float64
}

func newSampler(p Sampling, seed uint64) *sampler {
	return &sampler{p: p, rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}
}

// greedy reports whether the sampler always takes the argmax.
func (s *sampler) greedy() bool { return s.p.Temperature == 0 || s.p.TopK == 1 }

// sample returns the next token for logits, which it leaves as they are.
// Greedy ties go to the lowest id.
func (s *sampler) sample(logits []float32) int {
	if s.greedy() {
		return infer.Argmax(logits)
	}
	v := len(logits)
	k := s.p.TopK
	if k <= 0 || k > v {
		k = v
	}
	topP := s.p.TopP
	if topP <= 0 || topP > 1 {
		topP = 1
	}
	invT := 1 / s.p.Temperature
	if k < v {
		return s.sampleTopK(logits, k, topP, invT)
	}
	// The whole vocabulary, in id order: no sort. Top-p only needs the
	// nucleus as a set, which a selection finds in linear time; drawing in
	// id order also keeps near-tied tokens from swapping places when the
	// logits move by a rounding error.
	s.probs = growF(s.probs, v)
	probs := s.probs
	mx := float64(logits[infer.Argmax(logits)])
	var sum float64
	for i, l := range logits {
		p := math.Exp((float64(l) - mx) * invT)
		probs[i] = p
		sum += p
	}
	if topP < 1 {
		s.sel = growF(s.sel, v)
		copy(s.sel, probs)
		cut := nucleusCut(s.sel, topP*sum)
		sum = 0
		for i, p := range probs {
			if p < cut {
				probs[i] = 0
				continue
			}
			sum += p
		}
	}
	return drawIndex(probs, sum, s.rng.Float64(), nil)
}

// sampleTopK draws from the k most likely tokens, most likely first,
// cut further to the top-p nucleus.
func (s *sampler) sampleTopK(logits []float32, k int, topP, invT float64) int {
	cand := s.topCandidates(logits, k)
	s.probs = growF(s.probs, len(cand))
	probs := s.probs
	mx := float64(logits[cand[0]])
	var sum float64
	for i, id := range cand {
		p := math.Exp((float64(logits[id]) - mx) * invT)
		probs[i] = p
		sum += p
	}
	if topP < 1 {
		var cum float64
		n := len(cand)
		for i, p := range probs {
			cum += p
			if cum >= topP*sum {
				n = i + 1
				break
			}
		}
		cand, probs, sum = cand[:n], probs[:n], cum
	}
	return drawIndex(probs, sum, s.rng.Float64(), cand)
}

// nucleusCut returns the probability of the least likely token of the
// top-p nucleus: the tokens whose probability is at least the cut form
// the smallest most-likely set whose mass reaches target (tokens tied at
// the cut are all kept). It reorders vals, in expected linear time.
func nucleusCut(vals []float64, target float64) float64 {
	var above float64 // mass of the values known to be above vals[lo:hi]
	lo, hi := 0, len(vals)
	for lo < hi {
		pivot := median3(vals[lo], vals[lo+(hi-lo)/2], vals[hi-1])
		// Partition vals[lo:hi]: [lo,gt) > pivot, [gt,lt) == pivot,
		// [lt,hi) < pivot.
		gt, lt, i := lo, hi, lo
		for i < lt {
			switch x := vals[i]; {
			case x > pivot:
				vals[i], vals[gt] = vals[gt], vals[i]
				gt++
				i++
			case x < pivot:
				lt--
				vals[i], vals[lt] = vals[lt], vals[i]
			default:
				i++
			}
		}
		var greater float64
		for _, x := range vals[lo:gt] {
			greater += x
		}
		if above+greater >= target {
			hi = gt
			continue
		}
		if above+greater+pivot*float64(lt-gt) >= target {
			return pivot
		}
		above += greater + pivot*float64(lt-gt)
		lo = lt
	}
	return 0 // target not reached (rounding): keep everything
}

func median3(a, b, c float64) float64 {
	if a > b {
		a, b = b, a
	}
	if b > c {
		b = c
	}
	return max(a, b)
}

// topCandidates returns the ids of the k largest logits, most likely
// first, ties broken by the lower id.
func (s *sampler) topCandidates(logits []float32, k int) []int {
	less := func(a, b int) int {
		switch {
		case logits[a] > logits[b]:
			return -1
		case logits[a] < logits[b]:
			return 1
		}
		return a - b
	}
	if k <= 64 {
		// Bounded insertion: O(vocab·k) with k small beats a full sort.
		s.idx = s.idx[:0]
		for id := range logits {
			if len(s.idx) == k && less(id, s.idx[k-1]) >= 0 {
				continue
			}
			i := len(s.idx)
			if i < k {
				s.idx = append(s.idx, id)
			} else {
				i = k - 1
			}
			for i > 0 && less(id, s.idx[i-1]) < 0 {
				s.idx[i] = s.idx[i-1]
				i--
			}
			s.idx[i] = id
		}
		return s.idx
	}
	if cap(s.idx) < len(logits) {
		s.idx = make([]int, len(logits))
	}
	s.idx = s.idx[:len(logits)]
	for i := range s.idx {
		s.idx[i] = i
	}
	slices.SortFunc(s.idx, less)
	return s.idx[:k]
}

// drawIndex picks position i with probability probs[i]/sum using the
// uniform draw u in [0,1), and returns ids[i] (or i when ids is nil).
func drawIndex(probs []float64, sum, u float64, ids []int) int {
	target := u * sum
	var cum float64
	last := 0
	for i, p := range probs {
		if p == 0 {
			continue
		}
		last = i
		cum += p
		if target < cum {
			break
		}
	}
	if ids != nil {
		return ids[last]
	}
	return last
}

func growF(b []float64, n int) []float64 {
	if cap(b) < n {
		return make([]float64, n)
	}
	return b[:n]
}
