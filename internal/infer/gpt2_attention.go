package infer

import (
	"math"
	"sync"

	"github.com/muaibench/muaibench/internal/infer/kernels"
)

// attnParallelWork is the number of (query, key) pairs, over all heads,
// from which attention is spread over the cores. The kernels' worker pool
// hands a loop over in about a microsecond, so only the shortest contexts
// stay on one. (A variable so that tests can run both ways.)
var attnParallelWork = 1 << 8

// attnScratch is one attention worker's buffers, grown as needed.
type attnScratch struct {
	scores []float32 // [keys]
	q      []float32 // [headDim]
}

var attnScratchPool = sync.Pool{New: func() any { return new(attnScratch) }}

// attention computes causal multi-head attention for layer l into buf.h,
// one (sequence, head) pair per work item, over the cache, which already
// holds the new tokens' keys and values.
func (g *GPT2) attention(batch []Seq, l int) {
	nh := g.shape.Heads
	work := 0
	for _, q := range batch {
		work += nh * len(q.Tokens) * (q.Cache.Len + len(q.Tokens))
	}
	run := func(lo, hi int) {
		sc := attnScratchPool.Get().(*attnScratch)
		for item := lo; item < hi; item++ {
			i, h := item/nh, item%nh
			g.attend(sc, batch[i], g.buf.rows[i], l, h)
		}
		attnScratchPool.Put(sc)
	}
	if work < attnParallelWork {
		run(0, len(batch)*nh)
		return
	}
	kernels.ParallelFor(len(batch)*nh, 1, run)
}

// attend is attention for one sequence and head, token by token: the
// query, scaled, is scored against every visible key, the scores go
// through a softmax, and the output is the scores' weighted sum of the
// values, added in key order. Every token's output is computed by the
// same operations in the same order whether it arrives alone (decode) or
// in a prompt chunk of any length, and whatever else is in the batch, so
// a sequence's logits are bitwise the same however the scheduler batches
// and chunks it.
func (g *GPT2) attend(sc *attnScratch, q Seq, row0, l, h int) {
	s, b := g.shape, &g.buf
	e, d := s.Embd, s.HeadDim()
	scale := float32(1 / math.Sqrt(float64(d)))
	c := q.Cache
	pool, bt := c.pool, c.pool.blockTokens
	sc.scores = grow(sc.scores, c.Len+len(q.Tokens))
	sc.q = grow(sc.q, d)
	scores, qs := sc.scores, sc.q
	for j := range q.Tokens {
		r, pos := row0+j, c.Len+j
		for x, v := range b.qkv[r*3*e+h*d : r*3*e+h*d+d] {
			qs[x] = v * scale
		}
		n := pos + 1 // causal: keys 0..pos
		for k0 := 0; k0 < n; k0 += bt {
			keys := pool.K(c.Blocks[k0/bt], l)
			k1 := min(k0+bt, n)
			kernels.DotRows(scores[k0:k1], qs, keys[h*bt*d:], d)
		}
		kernels.Softmax(scores[:n])
		out := b.h[r*e+h*d : r*e+h*d+d]
		clear(out)
		for k0 := 0; k0 < n; k0 += bt {
			vals := pool.V(c.Blocks[k0/bt], l)
			k1 := min(k0+bt, n)
			kernels.AxpyRows(scores[k0:k1], vals[h*bt*d:], d, out)
		}
	}
}
