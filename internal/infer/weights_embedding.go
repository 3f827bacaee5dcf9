package infer

import "github.com/muaibench/muaibench/internal/infer/kernels"

// embedPartFloats bounds one part of the token embedding (8 MiB), and so
// the scratch buffer a load or a synthetic draw needs for it.
const embedPartFloats = 2 << 20

// Embedding is GPT-2's token embedding, tied to the LM head: one packed
// [Vocab][Embd] matrix, read by rows for the lookup and multiplied for the
// logits. It is packed in parts of PartRows rows so that it can be built
// from a small scratch buffer, never from a full unpacked copy.
type Embedding struct {
	Vocab, Embd int
	// PartRows is the number of rows in each part but the last; it is a
	// multiple of 32, the kernels' panel width.
	PartRows int
	Parts    []*kernels.Packed
}

// embedPartRows is the part size for an embedding of width embd.
func embedPartRows(vocab, embd int) int {
	r := max(32, embedPartFloats/embd/32*32)
	return min(r, (vocab+31)/32*32)
}

// numParts is the number of parts of PartRows rows covering Vocab.
func (e *Embedding) numParts() int { return (e.Vocab + e.PartRows - 1) / e.PartRows }

// partRange returns the rows [lo, hi) of part p.
func (e *Embedding) partRange(p int) (lo, hi int) {
	lo = p * e.PartRows
	return lo, min(lo+e.PartRows, e.Vocab)
}

// Row copies token tok's embedding into dst.
func (e *Embedding) Row(tok int, dst []float32) {
	e.Parts[tok/e.PartRows].Row(tok%e.PartRows, dst)
}

// Bytes is the resident size of the packed embedding.
func (e *Embedding) Bytes() int64 {
	var n int64
	for _, p := range e.Parts {
		n += p.Bytes()
	}
	return n
}

// Logits computes out[m][Vocab] = x[m][Embd]·WTEᵀ: with m = 1 (decode)
// all parts in one parallel loop; with m > 1 part by part, each part's
// result through tmp, which needs m·PartRows floats.
func (e *Embedding) Logits(out, x []float32, m int, tmp []float32) {
	if m == 1 {
		outs := make([][]float32, len(e.Parts))
		for p := range e.Parts {
			lo, hi := e.partRange(p)
			outs[p] = out[lo:hi]
		}
		kernels.MatVecs(outs, x, e.Parts)
		return
	}
	for p, w := range e.Parts {
		lo, hi := e.partRange(p)
		n := hi - lo
		kernels.MatMul(tmp[:m*n], x, m, w, nil)
		for i := range m {
			copy(out[i*e.Vocab+lo:i*e.Vocab+hi], tmp[i*n:(i+1)*n])
		}
	}
}
