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
	qkv  []float32 // [M][3E]
	fc   []float32 // [M][4E]
	rows []int     // [len(batch)] first activation row of each sequence

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
	for l := range w.Blocks {
		bw := &w.Blocks[l]
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
		kernels.MatMul(b.t, b.h, m, bw.AttnProj, bw.AttnProjBias)
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
		kernels.MatMul(b.t, b.fc, m, bw.FCProj, bw.FCProjBias)
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
	e, d, qkv, rows := g.shape.Embd, g.shape.HeadDim(), g.buf.qkv, g.buf.rows
	for i, q := range batch {
		c := q.Cache
		bt := c.pool.blockTokens
		for j := max(lo-rows[i], 0); j < min(len(q.Tokens), hi-rows[i]); j++ {
			pos, r := c.Len+j, rows[i]+j
			blk, t := c.Blocks[pos/bt], pos%bt
			src := qkv[r*3*e : (r+1)*3*e]
			if c.pool.Format() == kernels.FP16 {
				k, v := c.pool.KHalf(blk, l), c.pool.VHalf(blk, l)
				for h := range g.shape.Heads {
					o := (h*bt + t) * d
					kernels.ToF16(k[o:o+d], src[e+h*d:e+h*d+d])
					kernels.ToF16(v[o:o+d], src[2*e+h*d:2*e+h*d+d])
				}
				continue
			}
			k, v := c.pool.K(blk, l), c.pool.V(blk, l)
			for h := range g.shape.Heads {
				o := (h*bt + t) * d
				copy(k[o:o+d], src[e+h*d:e+h*d+d])
				copy(v[o:o+d], src[2*e+h*d:2*e+h*d+d])
			}
		}
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
