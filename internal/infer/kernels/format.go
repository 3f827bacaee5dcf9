package kernels

import (
	"fmt"
	"math"
	"strings"
)

// Format is how a Packed stores its weights. Every format keeps the panel
// layout (32 output features, K rows of them) and never makes a whole
// dequantized copy. FP16 is widened in registers (decode) or one panel at
// a time into a worker's scratch (prefill) and multiplied in float32.
// INT8 and INT4 are multiplied as integers, as llama.cpp's Q8_0 and Q4
// dot products are: each row of activations is quantized to int8 per
// block of 32 (a scale per block, the activations themselves stay float32
// between layers), the blocks' dot products are exact int32 sums (AVX-512
// VNNI where the CPU has it), and each block's sum is scaled into a
// float32 accumulator, the same operations in the same order on every path
// and for every batch size.
type Format uint8

const (
	// FP32 stores float32 weights.
	FP32 Format = iota
	// FP16 stores IEEE 754 half-precision weights.
	FP16
	// INT8 stores symmetric 8-bit integers in [-127, 127] with one scale
	// per block of 32 rows (along K) per output feature, an IEEE half:
	// w = q·scale.
	INT8
	// INT4 stores 4-bit integers in [0, 15] with one scale and one minimum
	// per block of 32 rows per output feature, halves: w = q·scale + min.
	// On normal(0, 1) blocks of 32 the minimum gave an RMS error of 0.078,
	// against 0.094 for symmetric levels −8..7 and 0.097 for ±7 (with
	// float32 scales), for 2 more bytes per block.
	INT4
)

// qblock is the number of K rows that share a scale in INT8 and INT4.
const qblock = 32

var formatNames = [...]string{FP32: "fp32", FP16: "fp16", INT8: "int8", INT4: "int4"}

// String returns the format's name: fp32, fp16, int8 or int4.
func (f Format) String() string {
	if int(f) < len(formatNames) {
		return formatNames[f]
	}
	return fmt.Sprintf("Format(%d)", f)
}

// FormatNames lists the names ParseFormat accepts, in order of precision.
func FormatNames() []string { return append([]string(nil), formatNames[:]...) }

// ParseFormat returns the format named s (fp32, fp16, int8 or int4).
func ParseFormat(s string) (Format, error) {
	for f, name := range formatNames {
		if strings.EqualFold(s, name) {
			return Format(f), nil
		}
	}
	return 0, fmt.Errorf("kernels: unknown weight format %q (valid: %s)", s, strings.Join(formatNames[:], ", "))
}

// scaleHalves is the number of scales per block of a panel, each an IEEE
// half: INT8 a scale per column, INT4 a scale and a minimum. Halves, as
// llama.cpp's Q8_0 and Q4_1 store theirs: float32 scales made INT8 1.125
// bytes a weight and INT4 0.75, halves 1.0625 and 0.625.
func (f Format) scaleHalves() int {
	switch f {
	case INT8:
		return nr
	case INT4:
		return 2 * nr
	}
	return 0
}

// rowBytes is the number of bytes one panel row of 32 weights takes.
func (f Format) rowBytes() int {
	switch f {
	case FP16:
		return 2 * nr
	case INT8:
		return nr
	case INT4:
		return nr / 2
	}
	return 4 * nr
}

// f32ToF16 rounds v to the nearest half, ties to even, as VCVTPS2PH does
// with round-to-nearest.
func f32ToF16(v float32) uint16 {
	b := math.Float32bits(v)
	sign := uint16(b>>16) & 0x8000
	exp := int(b>>23) & 0xff
	man := b & 0x7fffff
	switch {
	case exp == 0xff: // Inf or NaN
		if man != 0 { // quieted, the top of the payload kept
			return sign | 0x7e00 | uint16(man>>13)
		}
		return sign | 0x7c00
	case exp > 127+15: // overflows half
		return sign | 0x7c00
	case exp >= 127-14: // normal half
		e := uint32(exp - 127 + 15)
		h := e<<10 | man>>13
		rest := man & 0x1fff
		if rest > 0x1000 || rest == 0x1000 && h&1 != 0 {
			h++ // may carry into the exponent, up to Inf: still right
		}
		return sign | uint16(h)
	case exp >= 127-25: // subnormal half
		m := man | 0x800000
		// The half subnormal unit is 2^-24; v = m·2^(exp−150), so
		// v/2^-24 = m >> (126 − exp).
		shift := uint(126 - exp)
		h := m >> shift
		rest := m & (1<<shift - 1)
		half := uint32(1) << (shift - 1)
		if rest > half || rest == half && h&1 != 0 {
			h++
		}
		return sign | uint16(h)
	}
	return sign
}

// f16ToF32 widens a half exactly.
func f16ToF32(h uint16) float32 {
	sign := uint32(h&0x8000) << 16
	exp := uint32(h>>10) & 0x1f
	man := uint32(h & 0x3ff)
	switch {
	case exp == 0x1f:
		return math.Float32frombits(sign | 0x7f800000 | man<<13)
	case exp != 0:
		return math.Float32frombits(sign | (exp+127-15)<<23 | man<<13)
	case man == 0:
		return math.Float32frombits(sign)
	}
	// Subnormal half: man·2^-24, exact in float32.
	v := float32(man) * (1.0 / (1 << 24))
	if sign != 0 {
		v = -v
	}
	return v
}
