package infer

import (
	"fmt"
	"math"

	"github.com/muaibench/muaibench/internal/infer/kernels"
)

// Weights are a GPT-2 model's parameters, laid out for the forward pass:
// every Linear is packed for kernels.MatMul, the rest stays as plain
// float32 slices. The LM head is tied to WTE, so there is one copy of the
// token embedding.
type Weights struct {
	Shape Shape
	// WTE is the token embedding [Vocab][Embd], read by rows for the
	// embedding lookup and multiplied for the logits.
	WTE *Embedding
	// WPE is the position embedding, row-major [Context][Embd].
	WPE    []float32
	Blocks []BlockWeights
	// LNFGamma and LNFBeta are the final LayerNorm's parameters.
	LNFGamma, LNFBeta []float32

	// Format is how the Linear layers' matrices are stored, EmbedFormat
	// how WTE is; see WithFormat.
	Format, EmbedFormat kernels.Format

	// Source is "synthetic" or the checkpoint's path.
	Source string
	// SHA256 is the checkpoint's hash, or the synthetic seed as text.
	SHA256 string
}

// BlockWeights are one transformer block's parameters. Linear layers are
// y = x·Wᵀ + b with W packed as [out][in].
//
// A decode step is split in two halves by heads (see GPT2.decodeBlock), and
// the weights are laid out for it: Attn's output features are the q, k
// and v of the first half's heads, then those of the second's
// (Shape.qkvAt), so that each half's share is one run of memory, and
// the products that follow a split, AttnProj and FCProj, are stored as
// two matrices along their input, one per half. Every path computes
// those two as (x₀·W₀ᵀ + b) + x₁·W₁ᵀ, so a token's logits stay bitwise
// the same whether the halves run on two threads or not.
type BlockWeights struct {
	LN1Gamma, LN1Beta []float32
	Attn              *kernels.Packed    // [3·Embd][Embd]: q, k, v by halves of the heads
	AttnBias          []float32          // in Attn's order
	AttnProj          [2]*kernels.Packed // [Embd][Embd], its input split at the second half's first head
	AttnProjBias      []float32
	LN2Gamma, LN2Beta []float32
	FC                *kernels.Packed // [4·Embd][Embd]
	FCBias            []float32
	FCProj            [2]*kernels.Packed // [Embd][4·Embd], its input split in halves
	FCProjBias        []float32
}

// Bytes is the resident size of the weights.
func (w *Weights) Bytes() int64 {
	n := w.WTE.Bytes() + 4*int64(len(w.WPE)+len(w.LNFGamma)+len(w.LNFBeta))
	for i := range w.Blocks {
		b := &w.Blocks[i]
		n += b.Attn.Bytes() + b.AttnProj[0].Bytes() + b.AttnProj[1].Bytes() + b.FC.Bytes() + b.FCProj[0].Bytes() + b.FCProj[1].Bytes()
		n += 4 * int64(len(b.LN1Gamma)+len(b.LN1Beta)+len(b.AttnBias)+len(b.AttnProjBias)+
			len(b.LN2Gamma)+len(b.LN2Beta)+len(b.FCBias)+len(b.FCProjBias))
	}
	return n
}

// tensorLayout says how a checkpoint tensor is stored in Weights.
type tensorLayout int

const (
	layoutVector    tensorLayout = iota // plain float32 slice (biases, LayerNorm, wpe)
	layoutNK                            // [out][in] matrix, packed with kernels.Pack
	layoutKN                            // Conv1D [in][out] matrix, packed with kernels.PackKN
	layoutEmbedding                     // [vocab][embd], packed in parts into an Embedding
	layoutKNSplit                       // Conv1D matrix packed as two, its input rows split at splitAt
)

// tensorSpec is one parameter: its Hugging Face name and shape, where it
// lives in Weights, and how GPT-2 initialises it.
type tensorSpec struct {
	name   string
	shape  []int
	layout tensorLayout
	vec    *[]float32
	packed **kernels.Packed
	embed  **Embedding
	// split and splitAt are where a layoutKNSplit matrix goes and the row
	// of the checkpoint's [in][out] matrix its second part starts at.
	split   *[2]*kernels.Packed
	splitAt int
	// perm, if set, reorders a vector or the output features of a matrix:
	// the stored element i is the checkpoint's perm[i].
	perm []int
	// format is how a matrix or the embedding is stored.
	format kernels.Format
	// std is the normal initialisation's standard deviation; with std 0
	// every element is fill.
	std  float64
	fill float32
}

func (t *tensorSpec) numel() int {
	n := 1
	for _, d := range t.shape {
		n *= d
	}
	return n
}

// fillFunc writes elements [off, off+len(dst)) of a tensor, laid out as
// the checkpoint stores it, into dst.
type fillFunc func(t *tensorSpec, dst []float32, off int) error

// buildWeights stores every tensor of specs into Weights, filling each
// with fill, on every core. Vectors are filled in place; matrices, and the
// embedding part by part, are filled into a scratch buffer of the worker's
// and packed from there, so that building never holds a second copy of the
// model: at most one matrix (or embedding part) per core. fill must be safe
// for concurrent use.
func buildWeights(specs []tensorSpec, fill fillFunc) error {
	type job struct {
		t      *tensorSpec
		off, n int             // elements [off, off+n) of the tensor
		vec    []float32       // a vector's own storage, filled in place
		store  func([]float32) // packs a matrix from the filled scratch
	}
	var jobs []job
	scratchLen := 0
	for i := range specs {
		t := &specs[i]
		n := t.numel()
		switch t.layout {
		case layoutVector:
			*t.vec = make([]float32, n)
			jobs = append(jobs, job{t: t, n: n, vec: *t.vec})
			continue
		case layoutKNSplit:
			jobs = append(jobs, job{t: t, n: n, store: func(d []float32) {
				k, n, at := t.shape[0], t.shape[1], t.splitAt
				t.split[0] = kernels.PackKNAs(d[:at*n], at, n, t.format)
				t.split[1] = kernels.PackKNAs(d[at*n:], k-at, n, t.format)
			}})
		case layoutNK:
			jobs = append(jobs, job{t: t, n: n, store: func(d []float32) { *t.packed = kernels.PackAs(d, t.shape[0], t.shape[1], t.format) }})
		case layoutKN:
			jobs = append(jobs, job{t: t, n: n, store: func(d []float32) { *t.packed = kernels.PackKNAs(d, t.shape[0], t.shape[1], t.format) }})
		case layoutEmbedding:
			vocab, embd := t.shape[0], t.shape[1]
			e := &Embedding{Vocab: vocab, Embd: embd, PartRows: embedPartRows(vocab, embd)}
			e.Parts = make([]*kernels.Packed, e.numParts())
			*t.embed = e
			for p := range e.Parts {
				lo, hi := e.partRange(p)
				jobs = append(jobs, job{t: t, off: lo * embd, n: (hi - lo) * embd, store: func(d []float32) {
					e.Parts[p] = kernels.PackAs(d, hi-lo, embd, t.format)
				}})
				scratchLen = max(scratchLen, (hi-lo)*embd)
			}
			continue
		}
		scratchLen = max(scratchLen, n)
	}
	workers := maxWorkers(len(jobs))
	scratch := make([][]float32, workers)
	errs := make([]error, len(jobs))
	forEach(len(jobs), workers, func(worker, i int) {
		j := jobs[i]
		if j.vec != nil {
			if errs[i] = fill(j.t, j.vec, 0); errs[i] == nil && j.t.perm != nil {
				permute(j.vec, j.t.perm, make([]float32, len(j.vec)))
			}
			return
		}
		if scratch[worker] == nil {
			scratch[worker] = make([]float32, scratchLen)
		}
		dst := scratch[worker][:j.n]
		if errs[i] = fill(j.t, dst, j.off); errs[i] == nil {
			if p := j.t.perm; p != nil {
				// A Conv1D matrix's rows are its inputs: reorder the
				// outputs within each.
				row := make([]float32, len(p))
				for r := 0; r < len(dst); r += len(p) {
					permute(dst[r:r+len(p)], p, row)
				}
			}
			j.store(dst)
		}
	})
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// permute reorders x so that x[i] becomes the old x[perm[i]], through tmp
// (len(x) long).
func permute(x []float32, perm []int, tmp []float32) {
	copy(tmp, x)
	for i, p := range perm {
		x[i] = tmp[p]
	}
}

// specs lists the architecture's parameters in checkpoint order, pointing
// into w, which must have len(Blocks) == Shape.Layers.
func (w *Weights) specs() []tensorSpec {
	s := w.Shape
	e := s.Embd
	std := 0.02
	residStd := 0.02 / math.Sqrt(2*float64(s.Layers))
	vec := func(name string, p *[]float32, n int, fill float32) tensorSpec {
		return tensorSpec{name: name, shape: []int{n}, layout: layoutVector, vec: p, fill: fill}
	}
	perm := s.qkvPerm()
	specs := []tensorSpec{
		{name: "wte.weight", shape: []int{s.Vocab, e}, layout: layoutEmbedding, embed: &w.WTE, std: std, format: w.EmbedFormat},
		{name: "wpe.weight", shape: []int{s.Context, e}, layout: layoutVector, vec: &w.WPE, std: std},
	}
	for i := range w.Blocks {
		b := &w.Blocks[i]
		p := fmt.Sprintf("h.%d.", i)
		specs = append(specs,
			vec(p+"ln_1.weight", &b.LN1Gamma, e, 1),
			vec(p+"ln_1.bias", &b.LN1Beta, e, 0),
			tensorSpec{name: p + "attn.c_attn.weight", shape: []int{e, 3 * e}, layout: layoutKN, packed: &b.Attn, format: w.Format, std: std, perm: perm},
			tensorSpec{name: p + "attn.c_attn.bias", shape: []int{3 * e}, layout: layoutVector, vec: &b.AttnBias, perm: perm},
			tensorSpec{name: p + "attn.c_proj.weight", shape: []int{e, e}, layout: layoutKNSplit, split: &b.AttnProj, splitAt: s.headSplit() * s.HeadDim(), format: w.Format, std: residStd},
			vec(p+"attn.c_proj.bias", &b.AttnProjBias, e, 0),
			vec(p+"ln_2.weight", &b.LN2Gamma, e, 1),
			vec(p+"ln_2.bias", &b.LN2Beta, e, 0),
			tensorSpec{name: p + "mlp.c_fc.weight", shape: []int{e, 4 * e}, layout: layoutKN, packed: &b.FC, format: w.Format, std: std},
			vec(p+"mlp.c_fc.bias", &b.FCBias, 4*e, 0),
			tensorSpec{name: p + "mlp.c_proj.weight", shape: []int{4 * e, e}, layout: layoutKNSplit, split: &b.FCProj, splitAt: 2 * e, format: w.Format, std: residStd},
			vec(p+"mlp.c_proj.bias", &b.FCProjBias, e, 0),
		)
	}
	specs = append(specs,
		vec("ln_f.weight", &w.LNFGamma, e, 1),
		vec("ln_f.bias", &w.LNFBeta, e, 0),
	)
	return specs
}

// newWeights returns empty Weights for shape in the format opts ask for,
// ready for specs.
func newWeights(shape Shape, opts []Option) (*Weights, error) {
	if err := shape.Validate(); err != nil {
		return nil, err
	}
	o := applyOptions(opts)
	return &Weights{Shape: shape, Blocks: make([]BlockWeights, shape.Layers), Format: o.format, EmbedFormat: embedFormat(o.format)}, nil
}

// Tensors returns the weights as checkpoint tensors in Hugging Face GPT-2
// names and layouts (Conv1D matrices [in][out]), in F32. It copies every
// parameter; it is meant for tests and for exporting a checkpoint.
func (w *Weights) Tensors() []Tensor {
	specs := w.specs()
	out := make([]Tensor, len(specs))
	for i := range specs {
		t := &specs[i]
		data := make([]float32, t.numel())
		switch t.layout {
		case layoutVector:
			copy(data, *t.vec)
			if t.perm != nil {
				for i, p := range t.perm {
					data[p] = (*t.vec)[i]
				}
			}
		case layoutEmbedding:
			e := *t.embed
			for r := range e.Vocab {
				e.Row(r, data[r*e.Embd:(r+1)*e.Embd])
			}
		case layoutNK:
			p := *t.packed
			for r := 0; r < p.N; r++ {
				p.Row(r, data[r*p.K:(r+1)*p.K])
			}
		case layoutKN:
			p := *t.packed
			row := make([]float32, p.K)
			for r := 0; r < p.N; r++ {
				p.Row(r, row)
				col := r
				if t.perm != nil {
					col = t.perm[r]
				}
				for c, v := range row {
					data[c*p.N+col] = v
				}
			}
		case layoutKNSplit:
			n := t.shape[1]
			for h, p := range t.split {
				row := make([]float32, p.K)
				for r := range n {
					p.Row(r, row)
					for c, v := range row {
						data[(h*t.splitAt+c)*n+r] = v
					}
				}
			}
		}
		out[i] = Tensor{Name: t.name, DType: "F32", Shape: append([]int(nil), t.shape...), Data: data}
	}
	return out
}
