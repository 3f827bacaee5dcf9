package kernels

import (
	"runtime"
	"unsafe"
)

// nr is the number of output features in one panel of a Packed.
const nr = 32

// PanelCols is the number of output features in one panel of a Packed:
// the unit MatVecCols splits a product's columns in. It is a multiple of
// every SIMD path's vector width.
const PanelCols = nr

// Packed is a weight matrix of a Linear layer y = x·Wᵀ + b with N output
// features and K input features, laid out for the kernels. Large ones live
// outside the Go heap until the *Packed is collected or freed, so a Packed
// is used through its pointer and never copied.
type Packed struct {
	_    noCopy
	N, K int
	// data holds ceil(N/32) panels of K rows of 32 floats; the columns past
	// N in the last panel are zero. It is nil unless format is FP32.
	data []float32
	// format says how the weights are stored; the quantized formats keep
	// the same panels in q, panel after panel, Format.rowBytes a row.
	format Format
	q      []byte
	// scale holds, for INT8 and INT4, ceil(K/32) rows of 32 halves per
	// panel (INT4: 64, the scales then the minimums): row b scales rows
	// [32b, 32b+32) of the panel.
	scale []uint16
	// free releases data at once; otherwise it goes when p is collected.
	free func()
}

// panels returns the number of panels, the last one possibly partial.
func (p *Packed) panels() int { return (p.N + nr - 1) / nr }

// panel returns panel q: K rows of 32 floats.
func (p *Packed) panel(q int) []float32 {
	sz := p.K * nr
	return p.data[q*sz : (q+1)*sz]
}

func newPacked(n, k int) *Packed {
	if n < 0 || k < 0 {
		panic("kernels: negative matrix dimension")
	}
	np := (n + nr - 1) / nr
	p := &Packed{N: n, K: k}
	p.data, p.free = allocFloats(p, np*nr*k)
	return p
}

// Pack copies w, given row-major as [N][K] (out-features major, the PyTorch
// Linear layout), into a Packed.
func Pack(w []float32, n, k int) *Packed {
	if len(w) < n*k {
		panic("kernels: Pack: w is shorter than n*k")
	}
	p := newPacked(n, k)
	for j := range n * min(k, 1) { // nothing to copy when k is 0
		q, c := j/nr, j%nr
		dst := p.panel(q)[c:]
		row := w[j*k : j*k+k]
		for kk, v := range row {
			dst[kk*nr] = v
		}
	}
	return p
}

// PackKN is Pack for w given as [K][N] (the Hugging Face GPT-2 Conv1D
// layout).
func PackKN(w []float32, k, n int) *Packed {
	if len(w) < n*k {
		panic("kernels: PackKN: w is shorter than k*n")
	}
	p := newPacked(n, k)
	for q := range p.panels() {
		pan := p.panel(q)
		j0 := q * nr
		j1 := min(j0+nr, n)
		for kk := range k {
			copy(pan[kk*nr:kk*nr+nr], w[kk*n+j0:kk*n+j1])
		}
	}
	return p
}

// Row copies row i (length K) of the original [N][K] matrix into dst,
// dequantized. The model uses it for the token embedding lookup, since
// GPT-2 ties its LM head to the embedding and one Packed serves both.
func (p *Packed) Row(i int, dst []float32) {
	if i < 0 || i >= p.N {
		panic("kernels: Row: index out of range")
	}
	if p.format != FP32 {
		p.rowQuant(i, dst[:p.K])
		runtime.KeepAlive(p)
		return
	}
	src := p.panel(i / nr)[i%nr:]
	dst = dst[:p.K]
	for kk := range dst {
		dst[kk] = src[kk*nr]
	}
	runtime.KeepAlive(p)
}

// Bytes is the resident size of the packed weights, scales included.
func (p *Packed) Bytes() int64 {
	return int64(len(p.data))*4 + int64(len(p.scale))*2 + int64(len(p.q))
}

// Format returns how the weights are stored.
func (p *Packed) Format() Format { return p.format }

// Free releases the packed weights now rather than when p is collected:
// large ones live outside the Go heap, which the collector does not see
// filling up. p must not be used afterwards.
func (p *Packed) Free() {
	if p.free != nil {
		p.free()
	}
	p.data, p.q, p.scale, p.N, p.K = nil, nil, nil, 0, 0
}

// noCopy makes go vet's copylocks check report copies of a Packed.
type noCopy struct{}

func (*noCopy) Lock()   {}
func (*noCopy) Unlock() {}

// prefetch asks for up to n bytes of panel q's weights, and their share of
// its scales, to be brought into cache, without waiting for them.
func (p *Packed) prefetch(q, n int) {
	if p.format == FP32 {
		if pan := p.data[q*p.K*nr:]; len(pan) > 0 {
			prefetchLines((*byte)(unsafe.Pointer(&pan[0])), min(n, 4*len(pan)))
		}
		return
	}
	if qp := p.q[q*p.rows()*p.format.rowBytes():]; len(qp) > 0 {
		prefetchLines(&qp[0], min(n, len(qp)))
	}
	if sh := p.format.scaleHalves(); sh > 0 {
		if sc := p.scale[q*p.blocks()*sh:]; len(sc) > 0 {
			sn := n / (qblock * p.format.rowBytes()) * sh * 2
			prefetchLines((*byte)(unsafe.Pointer(&sc[0])), min(sn, 2*len(sc)))
		}
	}
}
