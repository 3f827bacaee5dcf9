package kernels

import (
	"encoding/binary"
	"math"
	"runtime"
	"unsafe"
)

// PackAs is Pack storing the weights in format f. The quantized formats
// are converted one panel at a time, so packing holds w, the result and
// one panel of float32 scratch.
func PackAs(w []float32, n, k int, f Format) *Packed {
	if f == FP32 {
		return Pack(w, n, k)
	}
	if len(w) < n*k {
		panic("kernels: PackAs: w is shorter than n*k")
	}
	return packQuant(n, k, f, func(pan []float32, j0, j1 int) {
		for j := j0; j < j1 && k > 0; j++ {
			dst := pan[j-j0:]
			for kk, v := range w[j*k : j*k+k] {
				dst[kk*nr] = v
			}
		}
	})
}

// PackKNAs is PackKN storing the weights in format f.
func PackKNAs(w []float32, k, n int, f Format) *Packed {
	if f == FP32 {
		return PackKN(w, k, n)
	}
	if len(w) < n*k {
		panic("kernels: PackKNAs: w is shorter than k*n")
	}
	return packQuant(n, k, f, func(pan []float32, j0, j1 int) {
		for kk := range k {
			copy(pan[kk*nr:kk*nr+j1-j0], w[kk*n+j0:kk*n+j1])
		}
	})
}

// packQuant builds a Packed of format f panel by panel: fill writes the
// float32 panel of output features [j0, j1) into pan, zeroed beforehand.
func packQuant(n, k int, f Format, fill func(pan []float32, j0, j1 int)) *Packed {
	if n < 0 || k < 0 {
		panic("kernels: negative matrix dimension")
	}
	p := &Packed{N: n, K: k, format: f}
	np, nb := p.panels(), p.blocks()
	var frees []func()
	p.q, frees = allocBytes(p, np*p.rows()*f.rowBytes(), frees)
	if f == INT8 || f == INT4 {
		var sb []byte
		sb, frees = allocBytes(p, 2*np*nb*f.scaleHalves(), frees)
		p.scale = unsafe.Slice((*uint16)(unsafe.Pointer(unsafe.SliceData(sb))), len(sb)/2)
	}
	p.free = func() {
		for _, fr := range frees {
			fr()
		}
	}
	pan := make([]float32, k*nr)
	for q := range np {
		clear(pan)
		j0 := q * nr
		fill(pan, j0, min(j0+nr, n))
		p.encodePanel(q, pan)
	}
	return p
}

// allocBytes is allocFloats for n bytes.
func allocBytes(owner *Packed, n int, frees []func()) ([]byte, []func()) {
	f, free := allocFloats(owner, (n+3)/4)
	if n == 0 {
		return nil, append(frees, free)
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(f))), n), append(frees, free)
}

// blocks returns the number of scale blocks along K.
func (p *Packed) blocks() int { return (p.K + qblock - 1) / qblock }

// rows is the number of K rows a panel stores: K, or for INT8 and INT4 K
// rounded up to whole blocks, zero-padded.
func (p *Packed) rows() int {
	if p.format == INT8 || p.format == INT4 {
		return p.blocks() * qblock
	}
	return p.K
}

// qpanel returns the stored bytes of panel q.
func (p *Packed) qpanel(q int) []byte {
	sz := p.rows() * p.format.rowBytes()
	return p.q[q*sz : (q+1)*sz]
}

// blockScales returns the scales of panel q's block b: 32 halves, then
// for INT4 32 minimums.
func (p *Packed) blockScales(q, b int) []uint16 {
	sh := p.format.scaleHalves()
	o := (q*p.blocks() + b) * sh
	return p.scale[o : o+sh]
}

// toHalf rounds v to the nearest IEEE half, the largest finite one where
// it would overflow (a block scale or minimum of weights past ±65504·127
// saturates rather than turn the block into infinities), and returns it
// with its value.
func toHalf(v float32) (uint16, float32) {
	const maxHalf = 65504
	h := f32ToF16(max(-maxHalf, min(maxHalf, v)))
	return h, f16ToF32(h)
}

// qoff is the offset in a panel's bytes of the weight of row kk (along K)
// and column c (< 32) in the INT8 and INT4 layouts: the rows go in quads,
// as the VNNI dot product takes them, a quad holding for each column its
// four rows side by side (INT8: 128 bytes, column c at 4c); in INT4 a
// quad's 64 bytes hold columns 0–15 in their low nibbles and 16–31 in
// their high ones.
func qoff(f Format, kk, c int) int {
	if f == INT8 {
		return kk/4*128 + 4*c + kk%4
	}
	return kk/4*64 + 4*(c%16) + kk%4
}

// encodePanel stores the float32 panel pan as panel q of p's format.
func (p *Packed) encodePanel(q int, pan []float32) {
	k, nb := p.K, p.blocks()
	dst := p.qpanel(q)
	switch p.format {
	case FP16:
		for i, v := range pan {
			binary.LittleEndian.PutUint16(dst[2*i:], f32ToF16(v))
		}
	case INT8:
		// Stored with 128 added (0x80 in the padding rows): the VNNI dot
		// product multiplies unsigned bytes by signed ones.
		for i := range dst {
			dst[i] = 128
		}
		for b := range nb {
			sc := p.blockScales(q, b)
			r0, r1 := b*qblock, min(b*qblock+qblock, k)
			for c := range nr {
				var amax float32
				for r := r0; r < r1; r++ {
					amax = max(amax, abs32(pan[r*nr+c]))
				}
				// The weights are quantized against the scale as stored.
				var s float32
				sc[c], s = toHalf(amax / 127)
				for r := r0; r < r1; r++ {
					var v float64
					if s > 0 {
						v = math.Round(float64(pan[r*nr+c]) / float64(s))
					}
					dst[qoff(INT8, r, c)] = byte(int(max(-127, min(127, v))) + 128)
				}
			}
		}
	case INT4:
		for b := range nb {
			sc := p.blockScales(q, b)
			r0, r1 := b*qblock, min(b*qblock+qblock, k)
			for c := range nr {
				lo, hi := pan[r0*nr+c], pan[r0*nr+c]
				for r := r0; r < r1; r++ {
					lo, hi = min(lo, pan[r*nr+c]), max(hi, pan[r*nr+c])
				}
				// The weights are quantized against the scale and the
				// minimum as stored.
				var s float32
				sc[nr+c], lo = toHalf(lo)
				sc[c], s = toHalf((hi - lo) / 15)
				for r := r0; r < r1; r++ {
					var v float64
					if s > 0 {
						v = math.Round(float64(pan[r*nr+c]-lo) / float64(s))
					}
					nib := byte(max(0, min(15, v)))
					dst[qoff(INT4, r, c)] |= nib << (4 * (c / 16))
				}
			}
		}
	}
}

func abs32(v float32) float32 { return math.Float32frombits(math.Float32bits(v) &^ (1 << 31)) }

// dequantPanel widens panel q of an FP16 matrix into dst (K rows of 32
// floats) with im's conversion kernel, which every path computes bitwise
// alike.
func (p *Packed) dequantPanel(im *impl, dst []float32, q int) {
	if p.K == 0 {
		return
	}
	src := p.qpanel(q)
	im.deq16((*uint16)(unsafe.Pointer(&src[0])), ptr(dst, 0), p.K*nr)
}

// rowQuant writes row i of a quantized matrix, dequantized, into dst.
func (p *Packed) rowQuant(i int, dst []float32) {
	q, c := i/nr, i%nr
	src := p.qpanel(q)
	nb := p.blocks()
	sh := p.format.scaleHalves()
	for kk := range dst {
		o := (q*nb+kk/qblock)*sh + c
		switch p.format {
		case FP16:
			dst[kk] = f16ToF32(binary.LittleEndian.Uint16(src[2*(kk*nr+c):]))
		case INT8:
			dst[kk] = float32(int(src[qoff(INT8, kk, c)])-128) * f16ToF32(p.scale[o])
		case INT4:
			b := src[qoff(INT4, kk, c)] >> (4 * (c / 16))
			dst[kk] = float32(float32(b&15)*f16ToF32(p.scale[o])) + f16ToF32(p.scale[o+nr])
		}
	}
	runtime.KeepAlive(p)
}

// deq16Generic widens n halves.
func deq16Generic(src *uint16, dst *float32, n int) {
	s, d := unsafe.Slice(src, n), view(dst, n)
	for i, h := range s {
		d[i] = f16ToF32(h)
	}
}
