package infer

import (
	"time"

	"github.com/muaibench/muaibench/internal/infer/kernels"
)

// buffers are Forward's scratch space, grown to the largest batch seen and
// reused by every later call.
type buffers struct {
	x    []float32 // [M][E] residual stream
	h    []float32 // [M][E] LayerNorm output, then attention output
	t    []float32 // [M][E] projection output before the residual add
	t1   []float32 // [M][E] its second half's part (see splitProduct)
	qkv  []float32 // [M][3E] in Shape.qkvAt's order
	fc   []float32 // [M][4E]
	rows []int     // [len(batch)] first activation row of each sequence

	// A decode step in halves (see decodeBlock) has each half's LayerNorm
	// output and product part to itself.
	halfLN, halfOut [2][]float32 // [E]
	halfAttn        [2]*attnScratch
	halfProd        [2]kernels.Shared // each half's last product

	last   []float32  // [G][E] the last token of each sequence that wants logits
	narrow []Seq      // [G] the last block's batch: those last tokens alone
	caches []SeqCache // [G] their caches' views, Len at the token
	logits []float32  // [G][V] their logits, when G > 1
	tmp    []float32  // [G][PartRows] one embedding part's logits, when G > 1
}

func grow(b []float32, n int) []float32 {
	if cap(b) < n {
		return make([]float32, n)
	}
	return b[:n]
}

// Forward runs one step over batch: it embeds every sequence's new
// tokens, runs them through the blocks as one [M][Embd] activation matrix
// (attention per sequence and head over the KV cache), appends their keys
// and values to the caches, and fills the logits asked for, from the last
// token of each such sequence. A batch that fails validation changes
// nothing.
func (g *GPT2) Forward(batch []Seq) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	m, nl, err := g.checkBatch(batch)
	if err != nil || m == 0 {
		return err
	}
	s, w, b := g.shape, g.w, &g.buf
	e := s.Embd
	b.x = grow(b.x, m*e)
	b.h = grow(b.h, m*e)
	b.t = grow(b.t, m*e)
	b.t1 = grow(b.t1, m*e)
	b.qkv = grow(b.qkv, m*3*e)
	b.fc = grow(b.fc, m*4*e)
	if cap(b.rows) < len(batch) {
		b.rows = make([]int, len(batch))
	}
	b.rows = b.rows[:len(batch)]

	all := batch
	clk := g.startClock()
	// Token and position embeddings.
	r := 0
	for i, q := range batch {
		b.rows[i] = r
		for j, tok := range q.Tokens {
			row := b.x[r*e : (r+1)*e]
			w.WTE.Row(tok, row)
			pos := q.Cache.Len + j
			kernels.Add(row, w.WPE[pos*e:(pos+1)*e])
			r++
		}
	}

	clk.lap(phaseEmbed)
	halves := m == 1 && g.halves && kernels.Threads() <= 2
	for l := range w.Blocks {
		bw := &w.Blocks[l]
		if halves {
			g.decodeBlock(batch[0], l, &clk)
			continue
		}
		// Attention sub-block.
		g.layerNorm(b.h, b.x, m, bw.LN1Gamma, bw.LN1Beta)
		clk.lap(phaseLayerNorm)
		kernels.MatMul(b.qkv, b.h, m, bw.Attn, bw.AttnBias)
		clk.lap(phaseQKV)
		g.storeKV(batch, l)
		clk.lap(phaseStoreKV)
		if l == len(w.Blocks)-1 {
			// Past its keys and values, the last block's output is read
			// only where logits are.
			batch, m = g.narrow(batch)
			if m == 0 {
				break
			}
		}
		g.attention(batch, l)
		clk.lap(phaseAttention)
		g.splitProduct(b.h, e, s.headSplit()*s.HeadDim(), m, bw.AttnProj, bw.AttnProjBias)
		clk.lap(phaseProj)
		g.residual(b.x, b.t, m)
		clk.lap(phaseAdd)
		// MLP sub-block.
		g.layerNorm(b.h, b.x, m, bw.LN2Gamma, bw.LN2Beta)
		clk.lap(phaseLayerNorm)
		kernels.MatMul(b.fc, b.h, m, bw.FC, bw.FCBias)
		clk.lap(phaseFC)
		g.gelu(b.fc, m)
		clk.lap(phaseGELU)
		g.splitProduct(b.fc, 4*e, 2*e, m, bw.FCProj, bw.FCProjBias)
		clk.lap(phaseFCProj)
		g.residual(b.x, b.t, m)
		clk.lap(phaseAdd)
	}
	for i := range all {
		all[i].Cache.Len += len(all[i].Tokens)
	}
	if nl > 0 {
		g.logits(batch, nl)
	}
	// The narrowed batch's views must not keep the callers' buffers.
	clear(b.narrow)
	clear(b.caches)
	clk.lap(phaseLogits)
	return nil
}

// splitProduct computes buf.t = (x₀·W₀ᵀ + bias) + x₁·W₁ᵀ for the m rows
// of x ([m][k]), where x₀ is each row's first at features, x₁ the rest:
// a product stored in halves along its input (see BlockWeights).
func (g *GPT2) splitProduct(x []float32, k, at, m int, ws [2]*kernels.Packed, bias []float32) {
	b := &g.buf
	kernels.MatMulStrided(b.t, x, k, m, ws[0], bias)
	kernels.MatMulStrided(b.t1, x[at:], k, m, ws[1], nil)
	g.residual(b.t, b.t1, m)
}

// decodeBlock runs block l for a batch of one token in two halves, one
// per thread of the kernels' pool, split by heads: each half normalises
// the residual stream itself, computes its heads' queries, keys and
// values (one run of Attn), stores its keys and values, attends, and
// multiplies its heads' outputs by its part of AttnProj; then, after the
// residual add, each computes half of the MLP's hidden features, their
// GELU, and its part of FCProj. A block is two hand-offs between the
// threads where running each product over both takes five, and each
// thread streams its share of a block's weights without waiting for the
// other; a thread done with its last product first helps with the
// other's (kernels.Shared). The halves' products are those of Forward's
// other path, added in the same order, so logits are bitwise the same.
// Alternating env runs at full bandwidth against one product at a time
// (scripts/ab-env.sh 6823fe0 927d3bb 20): fp16 0.866 → 0.878 of the
// ceiling, int8 0.731 → 0.775, int4 0.646 → 0.713.
//
// Phase times (BenchmarkDecodePhases) are those of the first half's
// thread; the wait for the other half counts as the residual add.
func (g *GPT2) decodeBlock(q Seq, l int, clk *phaseClock) {
	s, bw, b := g.shape, &g.w.Blocks[l], &g.buf
	e, d, hs := s.Embd, s.HeadDim(), s.headSplit()
	heads := [3]int{0, hs, s.Heads}
	last := l == len(g.w.Blocks)-1
	for t := range 2 {
		b.halfLN[t] = grow(b.halfLN[t], e)
		b.halfOut[t] = grow(b.halfOut[t], e)
		if b.halfAttn[t] == nil {
			b.halfAttn[t] = new(attnScratch)
		}
	}
	lap := func(t int, p phase) {
		if t == 0 {
			clk.lap(p)
		}
	}
	sh := &b.halfProd
	sh[0].Reset()
	sh[1].Reset()
	kernels.ParallelFor(2, 1, func(lo, hi int) {
		for t := lo; t < hi; t++ {
			sh[t].Claim()
			h0, h1 := heads[t], heads[t+1]
			ln := b.halfLN[t]
			kernels.LayerNorm(ln, b.x[:e], bw.LN1Gamma, bw.LN1Beta, lnEps)
			lap(t, phaseLayerNorm)
			kernels.MatVecCols(b.qkv, ln, bw.Attn, bw.AttnBias, 3*h0*d, 3*h1*d)
			lap(t, phaseQKV)
			g.storeKVRow(q.Cache, q.Cache.Len, b.qkv, l, h0, h1)
			lap(t, phaseStoreKV)
			if last && q.Logits == nil {
				// The last block's output is read only where logits are.
				sh[t].Skip()
				continue
			}
			g.attend(b.halfAttn[t], q, 0, l, h0, h1)
			lap(t, phaseAttention)
			bias := bw.AttnProjBias
			if t == 1 {
				bias = nil
			}
			sh[t].Run(b.halfOut[t], b.h[h0*d:h1*d], bw.AttnProj[t], bias)
			sh[1-t].Help()
			lap(t, phaseProj)
		}
	})
	if last && q.Logits == nil {
		return
	}
	kernels.Add(b.halfOut[0], b.halfOut[1])
	kernels.Add(b.x[:e], b.halfOut[0])
	clk.lap(phaseAdd)
	sh[0].Reset()
	sh[1].Reset()
	kernels.ParallelFor(2, 1, func(lo, hi int) {
		for t := lo; t < hi; t++ {
			sh[t].Claim()
			ln, fc := b.halfLN[t], b.fc[t*2*e:(t+1)*2*e]
			kernels.LayerNorm(ln, b.x[:e], bw.LN2Gamma, bw.LN2Beta, lnEps)
			lap(t, phaseLayerNorm)
			kernels.MatVecCols(b.fc, ln, bw.FC, bw.FCBias, t*2*e, (t+1)*2*e)
			lap(t, phaseFC)
			kernels.GELU(fc)
			lap(t, phaseGELU)
			bias := bw.FCProjBias
			if t == 1 {
				bias = nil
			}
			sh[t].Run(b.halfOut[t], fc, bw.FCProj[t], bias)
			sh[1-t].Help()
			lap(t, phaseFCProj)
		}
	})
	kernels.Add(b.halfOut[0], b.halfOut[1])
	kernels.Add(b.x[:e], b.halfOut[0])
	clk.lap(phaseAdd)
}

// A phase is one kind of step of Forward, for phaseTimes.
type phase int

const (
	phaseEmbed     phase = iota // token and position embeddings
	phaseLayerNorm              // both LayerNorms of every block
	phaseQKV                    // the attention's input product
	phaseStoreKV
	phaseAttention
	phaseProj // the attention's output product
	phaseAdd  // residual adds
	phaseFC
	phaseGELU
	phaseFCProj
	phaseLogits // the final LayerNorm and the LM head
	numPhases
)

// phaseTimes sums Forward's wall time per phase while a model's timing
// points at it (BenchmarkDecodePhases): where a decode step's time goes
// beside what its weights' bytes cost. Unset, it costs a nil test a phase.
type phaseTimes [numPhases]time.Duration

// A phaseClock adds the time since its last lap to a phase's sum.
type phaseClock struct {
	sums *phaseTimes
	t    time.Time
}

func (g *GPT2) startClock() phaseClock {
	if g.timing == nil {
		return phaseClock{}
	}
	return phaseClock{g.timing, time.Now()}
}

func (c *phaseClock) lap(p phase) {
	if c.sums == nil {
		return
	}
	now := time.Now()
	c.sums[p] += now.Sub(c.t)
	c.t = now
}

// rowGrain is the fewest activation rows the steps between the products
// hand to a thread of the kernels' pool: a prefill chunk's rows are split
// over the cores, a decode step's few stay on the caller.
const rowGrain = 16

// layerNorm normalises each of the m rows of x into out.
func (g *GPT2) layerNorm(out, x []float32, m int, gamma, beta []float32) {
	e := g.shape.Embd
	kernels.ParallelFor(m, rowGrain, func(lo, hi int) {
		for r := lo; r < hi; r++ {
			kernels.LayerNorm(out[r*e:(r+1)*e], x[r*e:(r+1)*e], gamma, beta, lnEps)
		}
	})
}

// gelu applies GELU to the m rows of the MLP's hidden activations.
func (g *GPT2) gelu(x []float32, m int) {
	n := 4 * g.shape.Embd
	kernels.ParallelFor(m, rowGrain/4, func(lo, hi int) { kernels.GELU(x[lo*n : hi*n]) })
}

// residual adds the m rows of t into the residual stream x.
func (g *GPT2) residual(x, t []float32, m int) {
	e := g.shape.Embd
	kernels.ParallelFor(m, rowGrain, func(lo, hi int) { kernels.Add(x[lo*e:hi*e], t[lo*e:hi*e]) })
}

// storeKV copies layer l's new keys and values from qkv into the caches,
// head by head: a block holds each head's keys of its tokens side by
// side ([head][token][headDim]), so that attention reads one head's keys
// and values as one run of memory.
func (g *GPT2) storeKV(batch []Seq, l int) {
	m := 0
	for _, q := range batch {
		m += len(q.Tokens)
	}
	kernels.ParallelFor(m, rowGrain, func(lo, hi int) { g.storeKVRows(batch, l, lo, hi) })
}

// storeKVRows is storeKV for activation rows [lo, hi).
func (g *GPT2) storeKVRows(batch []Seq, l, lo, hi int) {
	e, rows := g.shape.Embd, g.buf.rows
	for i, q := range batch {
		for j := max(lo-rows[i], 0); j < min(len(q.Tokens), hi-rows[i]); j++ {
			r := rows[i] + j
			g.storeKVRow(q.Cache, q.Cache.Len+j, g.buf.qkv[r*3*e:(r+1)*3*e], l, 0, g.shape.Heads)
		}
	}
}

// storeKVRow stores the keys and values of heads [h0, h1) from src, one
// row of the QKV product, as layer l's at position pos of c.
func (g *GPT2) storeKVRow(c *SeqCache, pos int, src []float32, l, h0, h1 int) {
	s := g.shape
	d, bt := s.HeadDim(), c.pool.blockTokens
	blk, t := c.Blocks[pos/bt], pos%bt
	if c.pool.Format() == kernels.FP16 {
		k, v := c.pool.KHalf(blk, l), c.pool.VHalf(blk, l)
		for h := h0; h < h1; h++ {
			o, ks, vs := (h*bt+t)*d, s.qkvAt(1, h), s.qkvAt(2, h)
			kernels.ToF16(k[o:o+d], src[ks:ks+d])
			kernels.ToF16(v[o:o+d], src[vs:vs+d])
		}
		return
	}
	k, v := c.pool.K(blk, l), c.pool.V(blk, l)
	for h := h0; h < h1; h++ {
		o, ks, vs := (h*bt+t)*d, s.qkvAt(1, h), s.qkvAt(2, h)
		copy(k[o:o+d], src[ks:ks+d])
		copy(v[o:o+d], src[vs:vs+d])
	}
}

// narrow cuts the batch down to the last token of each sequence that
// wants logits, once the last block has stored every token's keys and
// values: the rest of that block (10/12 of its products, 7% of gpt2's
// in all) serves only those rows. Their qkv and residual rows move to the front, in
// batch order, each a sequence of one token seeing the cache up to it.
// Every kept row is computed by the same operations as before, so logits
// do not change by a bit.
func (g *GPT2) narrow(batch []Seq) ([]Seq, int) {
	b, e := &g.buf, g.shape.Embd
	b.narrow, b.caches = b.narrow[:0], b.caches[:0]
	for i, q := range batch {
		if q.Logits == nil {
			continue
		}
		k, n := len(b.narrow), len(q.Tokens)
		if r := b.rows[i] + n - 1; r != k {
			copy(b.qkv[k*3*e:(k+1)*3*e], b.qkv[r*3*e:(r+1)*3*e])
			copy(b.x[k*e:(k+1)*e], b.x[r*e:(r+1)*e])
		}
		b.rows[k] = k
		c := *q.Cache
		c.Len += n - 1
		b.caches = append(b.caches, c)
		b.narrow = append(b.narrow, Seq{Tokens: q.Tokens[n-1:], Logits: q.Logits})
	}
	for k := range b.narrow {
		b.narrow[k].Cache = &b.caches[k]
	}
	return b.narrow, len(b.narrow)
}

// logits runs the final LayerNorm and the tied LM head over the last token
// of each of the nl sequences that asked for logits.
func (g *GPT2) logits(batch []Seq, nl int) {
	s, w, b := g.shape, g.w, &g.buf
	e := s.Embd
	b.last = grow(b.last, nl*e)
	k := 0
	for i, q := range batch {
		if q.Logits == nil {
			continue
		}
		r := b.rows[i] + len(q.Tokens) - 1
		kernels.LayerNorm(b.last[k*e:(k+1)*e], b.x[r*e:(r+1)*e], w.LNFGamma, w.LNFBeta, lnEps)
		k++
	}
	if nl == 1 {
		for _, q := range batch {
			if q.Logits != nil {
				w.WTE.Logits(q.Logits, b.last, 1, nil)
			}
		}
		return
	}
	b.logits = grow(b.logits, nl*s.Vocab)
	b.tmp = grow(b.tmp, nl*w.WTE.PartRows)
	w.WTE.Logits(b.logits, b.last, nl, b.tmp)
	k = 0
	for _, q := range batch {
		if q.Logits != nil {
			copy(q.Logits, b.logits[k*s.Vocab:(k+1)*s.Vocab])
			k++
		}
	}
}
