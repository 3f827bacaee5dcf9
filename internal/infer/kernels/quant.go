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
		for j := j0; j < j1; j++ {
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
	p.q, frees = allocBytes(p, np*k*f.rowBytes(), frees)
	if f == INT8 || f == INT4 {
		var free func()
		p.scale, free = allocFloats(p, np*nb*nr)
		frees = append(frees, free)
	}
	if f == INT4 {
		var free func()
		p.min, free = allocFloats(p, np*nb*nr)
		frees = append(frees, free)
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

// qpanel returns the stored bytes of panel q.
func (p *Packed) qpanel(q int) []byte {
	sz := p.K * p.format.rowBytes()
	return p.q[q*sz : (q+1)*sz]
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
		sc := p.scale[q*nb*nr : (q+1)*nb*nr]
		for b := range nb {
			r0, r1 := b*qblock, min(b*qblock+qblock, k)
			for c := range nr {
				var amax float32
				for r := r0; r < r1; r++ {
					amax = max(amax, abs32(pan[r*nr+c]))
				}
				s := amax / 127
				sc[b*nr+c] = s
				for r := r0; r < r1; r++ {
					var v float64
					if s > 0 {
						v = math.Round(float64(pan[r*nr+c]) / float64(s))
					}
					dst[r*nr+c] = byte(int8(max(-127, min(127, v))))
				}
			}
		}
	case INT4:
		sc := p.scale[q*nb*nr : (q+1)*nb*nr]
		mn := p.min[q*nb*nr : (q+1)*nb*nr]
		for b := range nb {
			r0, r1 := b*qblock, min(b*qblock+qblock, k)
			for c := range nr {
				lo, hi := pan[r0*nr+c], pan[r0*nr+c]
				for r := r0; r < r1; r++ {
					lo, hi = min(lo, pan[r*nr+c]), max(hi, pan[r*nr+c])
				}
				s := (hi - lo) / 15
				sc[b*nr+c], mn[b*nr+c] = s, lo
				for r := r0; r < r1; r++ {
					var v float64
					if s > 0 {
						v = math.Round(float64(pan[r*nr+c]-lo) / float64(s))
					}
					nib := byte(max(0, min(15, v)))
					// Row byte i holds column i (low nibble) and i+16.
					if c < nr/2 {
						dst[r*nr/2+c] |= nib
					} else {
						dst[r*nr/2+c-nr/2] |= nib << 4
					}
				}
			}
		}
	}
}

func abs32(v float32) float32 { return math.Float32frombits(math.Float32bits(v) &^ (1 << 31)) }

// dequantPanel widens panel q into dst (K rows of 32 floats) with im's
// conversion kernels, which every path computes bitwise alike.
func (p *Packed) dequantPanel(im *impl, dst []float32, q int) {
	k, nb := p.K, p.blocks()
	if k == 0 {
		return
	}
	src := p.qpanel(q)
	switch p.format {
	case FP16:
		im.deq16((*uint16)(unsafe.Pointer(&src[0])), ptr(dst, 0), k*nr)
	case INT8:
		for b := range nb {
			r0 := b * qblock
			im.deq8((*int8)(unsafe.Pointer(&src[r0*nr])), ptr(dst, r0*nr), ptr(p.scale, (q*nb+b)*nr), min(qblock, k-r0))
		}
	case INT4:
		for b := range nb {
			r0 := b * qblock
			o := (q*nb + b) * nr
			im.deq4(&src[r0*nr/2], ptr(dst, r0*nr), ptr(p.scale, o), ptr(p.min, o), min(qblock, k-r0))
		}
	}
}

// rowQuant writes row i of a quantized matrix, dequantized, into dst.
func (p *Packed) rowQuant(i int, dst []float32) {
	q, c := i/nr, i%nr
	src := p.qpanel(q)
	nb := p.blocks()
	for kk := range dst {
		o := (q*nb+kk/qblock)*nr + c
		switch p.format {
		case FP16:
			dst[kk] = f16ToF32(binary.LittleEndian.Uint16(src[2*(kk*nr+c):]))
		case INT8:
			dst[kk] = float32(int8(src[kk*nr+c])) * p.scale[o]
		case INT4:
			b := src[kk*nr/2+c%(nr/2)]
			if c >= nr/2 {
				b >>= 4
			}
			dst[kk] = float32(float32(b&15)*p.scale[o]) + p.min[o]
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

// deq8Generic widens rows rows of 32 int8: dst[r][j] = src[r][j]·scale[j].
func deq8Generic(src *int8, dst, scale *float32, rows int) {
	s, d, sc := unsafe.Slice(src, rows*nr), view(dst, rows*nr), (*[nr]float32)(view(scale, nr))
	for r := range rows {
		for j := range nr {
			d[r*nr+j] = float32(s[r*nr+j]) * sc[j]
		}
	}
}

// deq4Generic widens rows rows of 32 nibbles: dst[r][j] = q·scale[j] +
// min[j], rounded after the product as the SIMD paths do (no fused
// multiply-add).
func deq4Generic(src *byte, dst, scale, mn *float32, rows int) {
	s, d := unsafe.Slice(src, rows*nr/2), view(dst, rows*nr)
	sc, m := (*[nr]float32)(view(scale, nr)), (*[nr]float32)(view(mn, nr))
	for r := range rows {
		for j := range nr / 2 {
			b := s[r*nr/2+j]
			d[r*nr+j] = float32(float32(b&15)*sc[j]) + m[j]
			d[r*nr+j+nr/2] = float32(float32(b>>4)*sc[j+nr/2]) + m[j+nr/2]
		}
	}
}
