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
	scores []float32 // [heads][keys]
	q      []float32 // [heads][headDim]
}

var attnScratchPool = sync.Pool{New: func() any { return new(attnScratch) }}

// attention computes causal multi-head attention for layer l into buf.h
// over the cache, which already holds the new tokens' keys and values.
// A work item is one sequence and a run of heads, one run per thread: a
// block holds its heads' keys (and values) side by side, so a run of
// heads reads one stretch of memory per block, where a head alone reads
// 4 KiB here and 4 KiB there, and decode's attention waits on memory.
func (g *GPT2) attention(batch []Seq, l int) {
	nh := g.shape.Heads
	work := 0
	for _, q := range batch {
		work += nh * len(q.Tokens) * (q.Cache.Len + len(q.Tokens))
	}
	per := nh // heads per work item
	if work >= attnParallelWork {
		per = (nh + kernels.Threads() - 1) / kernels.Threads()
	}
	groups := (nh + per - 1) / per
	run := func(lo, hi int) {
		sc := attnScratchPool.Get().(*attnScratch)
		for item := lo; item < hi; item++ {
			i, h0 := item/groups, item%groups*per
			g.attend(sc, batch[i], g.buf.rows[i], l, h0, min(h0+per, nh))
		}
		attnScratchPool.Put(sc)
	}
	if work < attnParallelWork {
		run(0, len(batch)*groups)
		return
	}
	kernels.ParallelFor(len(batch)*groups, 1, run)
}

// attend is attention for one sequence and heads [h0, h1), token by
// token: each head's query, scaled, is scored against every visible key,
// the scores go through a softmax, and the head's output is the scores'
// weighted sum of the values, added in key order. Every token's output is
// computed by the same operations in the same order whether it arrives
// alone (decode) or in a prompt chunk of any length, whatever heads share
// its work item and whatever else is in the batch, so a sequence's logits
// are bitwise the same however the scheduler batches and chunks it.
func (g *GPT2) attend(sc *attnScratch, q Seq, row0, l, h0, h1 int) {
	s, b := g.shape, &g.buf
	e, d := s.Embd, s.HeadDim()
	scale := float32(1 / math.Sqrt(float64(d)))
	c := q.Cache
	pool, bt := c.pool, c.pool.blockTokens
	half := pool.Format() == kernels.FP16
	keys := c.Len + len(q.Tokens)
	nh := h1 - h0
	sc.scores = grow(sc.scores, nh*keys)
	sc.q = grow(sc.q, nh*d)
	for j := range q.Tokens {
		r, pos := row0+j, c.Len+j
		for h := h0; h < h1; h++ {
			qs := sc.q[(h-h0)*d : (h-h0+1)*d]
			at := r*3*e + s.qkvAt(0, h)
			for x, v := range b.qkv[at : at+d] {
				qs[x] = v * scale
			}
		}
		n := pos + 1 // causal: keys 0..pos
		for k0 := 0; k0 < n; k0 += bt {
			blk, k1 := c.Blocks[k0/bt], min(k0+bt, n)
			for h := h0; h < h1; h++ {
				out, qh := sc.scores[(h-h0)*keys+k0:(h-h0)*keys+k1], sc.q[(h-h0)*d:(h-h0+1)*d]
				if half {
					kernels.DotRowsF16(out, qh, pool.KHalf(blk, l)[h*bt*d:], d)
				} else {
					kernels.DotRows(out, qh, pool.K(blk, l)[h*bt*d:], d)
				}
			}
		}
		for h := h0; h < h1; h++ {
			kernels.Softmax(sc.scores[(h-h0)*keys : (h-h0)*keys+n])
			clear(b.h[r*e+h*d : r*e+h*d+d])
		}
		for k0 := 0; k0 < n; k0 += bt {
			blk, k1 := c.Blocks[k0/bt], min(k0+bt, n)
			for h := h0; h < h1; h++ {
				p, y := sc.scores[(h-h0)*keys+k0:(h-h0)*keys+k1], b.h[r*e+h*d:r*e+h*d+d]
				if half {
					kernels.AxpyRowsF16(p, pool.VHalf(blk, l)[h*bt*d:], d, y)
				} else {
					kernels.AxpyRows(p, pool.V(blk, l)[h*bt*d:], d, y)
				}
			}
		}
	}
}
