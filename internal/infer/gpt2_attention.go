package infer

import (
	"math"

	"github.com/muaibench/muaibench/internal/infer/kernels"
)

// attnMatMulTokens is the chunk length from which a sequence's attention
// runs as two matrix multiplies per head instead of a dot product and an
// axpy per key and token.
const attnMatMulTokens = 8

// attnParallelWork is the number of (query, key) pairs, over all heads,
// from which attention is spread over the cores. Below it, a decode step's
// attention is over before a second goroutine would be running. (A
// variable so that tests can run both ways.)
var attnParallelWork = 16 << 10

// attnScratch is one attention worker's buffers, grown as needed.
type attnScratch struct {
	scores []float32 // [tokens][keys]
	q      []float32 // [tokens][headDim]
	k, v   []float32 // [keys][headDim]
	out    []float32 // [tokens][headDim]
}

// attention computes causal multi-head attention for layer l into buf.h,
// one (sequence, head) pair per work item, over the cache, which already
// holds the new tokens' keys and values.
func (g *GPT2) attention(batch []Seq, l int) {
	s, b := g.shape, &g.buf
	nh := s.Heads
	work := 0
	for _, q := range batch {
		work += nh * len(q.Tokens) * (q.Cache.Len + len(q.Tokens))
	}
	workers := 1
	if work >= attnParallelWork {
		workers = maxWorkers(len(batch) * nh)
	}
	for len(b.attn) < workers {
		b.attn = append(b.attn, attnScratch{})
	}
	forEach(len(batch)*nh, workers, func(worker, item int) {
		i, h := item/nh, item%nh
		if len(batch[i].Tokens) >= attnMatMulTokens {
			g.attendMatMul(&b.attn[worker], batch[i], b.rows[i], l, h)
		} else {
			g.attendDots(&b.attn[worker], batch[i], b.rows[i], l, h)
		}
	})
}

// attendDots is attention for a few tokens (decode): per token, a dot
// product with every key, a softmax, and a weighted sum of the values.
func (g *GPT2) attendDots(sc *attnScratch, q Seq, row0, l, h int) {
	s, b := g.shape, &g.buf
	e, d := s.Embd, s.HeadDim()
	scale := float32(1 / math.Sqrt(float64(d)))
	c := q.Cache
	pool, bt := c.pool, c.pool.blockTokens
	sc.scores = grow(sc.scores, c.Len+len(q.Tokens))
	scores := sc.scores
	for j := range q.Tokens {
		r, pos := row0+j, c.Len+j
		qv := b.qkv[r*3*e+h*d : r*3*e+h*d+d]
		n := pos + 1 // causal: keys 0..pos
		for k0 := 0; k0 < n; k0 += bt {
			keys := pool.K(c.Blocks[k0/bt], l)
			for t := k0; t < min(k0+bt, n); t++ {
				off := (t-k0)*e + h*d
				scores[t] = kernels.Dot(qv, keys[off:off+d]) * scale
			}
		}
		kernels.Softmax(scores[:n])
		out := b.h[r*e+h*d : r*e+h*d+d]
		clear(out)
		for k0 := 0; k0 < n; k0 += bt {
			vals := pool.V(c.Blocks[k0/bt], l)
			for t := k0; t < min(k0+bt, n); t++ {
				off := (t-k0)*e + h*d
				kernels.Axpy(scores[t], vals[off:off+d], out)
			}
		}
	}
}

// attendMatMul is attention for a prompt chunk of T tokens over n keys:
// scores = Q·Kᵀ as one [T][n] matrix multiply, a causal mask and a softmax
// per row, then out = scores·V as a second.
func (g *GPT2) attendMatMul(sc *attnScratch, q Seq, row0, l, h int) {
	s, b := g.shape, &g.buf
	e, d := s.Embd, s.HeadDim()
	scale := float32(1 / math.Sqrt(float64(d)))
	c := q.Cache
	pool, bt := c.pool, c.pool.blockTokens
	nt, n := len(q.Tokens), c.Len+len(q.Tokens)

	sc.q = grow(sc.q, nt*d)
	for j := range nt {
		src := b.qkv[(row0+j)*3*e+h*d:]
		dst := sc.q[j*d : (j+1)*d]
		for x := range dst {
			dst[x] = src[x] * scale
		}
	}
	sc.k = grow(sc.k, n*d)
	sc.v = grow(sc.v, n*d)
	for k0 := 0; k0 < n; k0 += bt {
		keys, vals := pool.K(c.Blocks[k0/bt], l), pool.V(c.Blocks[k0/bt], l)
		for t := k0; t < min(k0+bt, n); t++ {
			off := (t-k0)*e + h*d
			copy(sc.k[t*d:(t+1)*d], keys[off:off+d])
			copy(sc.v[t*d:(t+1)*d], vals[off:off+d])
		}
	}
	sc.scores = grow(sc.scores, nt*n)
	kernels.MatMul(sc.scores, sc.q, nt, kernels.Pack(sc.k, n, d), nil)
	for j := range nt {
		row := sc.scores[j*n : (j+1)*n]
		visible := c.Len + j + 1
		kernels.Softmax(row[:visible])
		clear(row[visible:])
	}
	sc.out = grow(sc.out, nt*d)
	kernels.MatMul(sc.out, sc.scores, nt, kernels.PackKN(sc.v, n, d), nil)
	for j := range nt {
		r := row0 + j
		copy(b.h[r*e+h*d:r*e+h*d+d], sc.out[j*d:(j+1)*d])
	}
}
