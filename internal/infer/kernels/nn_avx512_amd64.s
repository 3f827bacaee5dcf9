//go:build amd64

#include "textflag.h"

// Constants of the vector exp: clamp bounds, log2(e), ln(2) split in two,
// the minimax polynomial of e^r on |r| <= ln(2)/2 (Cephes' expf), 1, the
// GELU factors -2·sqrt(2/pi) and -2·sqrt(2/pi)·0.044715, and the exponent
// bias 127 as an integer.
DATA nnc512<>+0(SB)/4, $0xc2b00000 // lo
DATA nnc512<>+4(SB)/4, $0x42b0999a // hi
DATA nnc512<>+8(SB)/4, $0x3fb8aa3b // log2e
DATA nnc512<>+12(SB)/4, $0x3f318000 // ln2hi
DATA nnc512<>+16(SB)/4, $0xb95e8083 // ln2lo
DATA nnc512<>+20(SB)/4, $0x39506967 // p0
DATA nnc512<>+24(SB)/4, $0x3ab743ce // p1
DATA nnc512<>+28(SB)/4, $0x3c088908 // p2
DATA nnc512<>+32(SB)/4, $0x3d2aa9c1 // p3
DATA nnc512<>+36(SB)/4, $0x3e2aaaaa // p4
DATA nnc512<>+40(SB)/4, $0x3f000000 // p5
DATA nnc512<>+44(SB)/4, $0x3f800000 // one
DATA nnc512<>+48(SB)/4, $0xbfcc422a // k1
DATA nnc512<>+52(SB)/4, $0xbd922279 // k2
DATA nnc512<>+56(SB)/4, $0x0000007f // 127
GLOBL nnc512<>(SB), RODATA|NOPTR, $60

// The exp below computes e^x as 2^n · e^r, n = round(x·log2 e), r = x − n·ln 2,
// after clamping x to [−88, 88.3]: for x below about −87.7, n = −127 makes
// the scale 2^n, built in the exponent field, exactly zero.

// func geluAVX512(x *float32, n int)
//
// GELU in place over n floats, n a multiple of 16, as x / (1 + e^(−2u)),
// u = sqrt(2/pi)·(x + 0.044715·x³): the tanh form rewritten without its
// cancellation near zero.
TEXT ·geluAVX512(SB), NOSPLIT, $0-16
	MOVQ x+0(FP), SI
	MOVQ n+8(FP), CX
	SHRQ $4, CX
	JZ   done
	VBROADCASTSS nnc512<>+0(SB), Z16
	VBROADCASTSS nnc512<>+4(SB), Z17
	VBROADCASTSS nnc512<>+8(SB), Z18
	VBROADCASTSS nnc512<>+12(SB), Z19
	VBROADCASTSS nnc512<>+16(SB), Z20
	VBROADCASTSS nnc512<>+20(SB), Z21
	VBROADCASTSS nnc512<>+24(SB), Z22
	VBROADCASTSS nnc512<>+28(SB), Z23
	VBROADCASTSS nnc512<>+32(SB), Z24
	VBROADCASTSS nnc512<>+36(SB), Z25
	VBROADCASTSS nnc512<>+40(SB), Z26
	VBROADCASTSS nnc512<>+44(SB), Z27
	VBROADCASTSS nnc512<>+48(SB), Z28
	VBROADCASTSS nnc512<>+52(SB), Z29
	VBROADCASTSS nnc512<>+56(SB), Z30
loop:
	VMOVUPS (SI), Z0
	VMULPS Z0, Z0, Z1
	VMOVAPS Z29, Z2
	VFMADD213PS Z28, Z1, Z2
	VMULPS Z0, Z2, Z1
	VMAXPS Z16, Z1, Z1
	VMINPS Z17, Z1, Z1
	VMULPS Z18, Z1, Z2
	VRNDSCALEPS $0, Z2, Z2
	VFNMADD231PS Z19, Z2, Z1
	VFNMADD231PS Z20, Z2, Z1
	VMOVAPS Z21, Z3
	VFMADD213PS Z22, Z1, Z3
	VFMADD213PS Z23, Z1, Z3
	VFMADD213PS Z24, Z1, Z3
	VFMADD213PS Z25, Z1, Z3
	VFMADD213PS Z26, Z1, Z3
	VMULPS Z1, Z1, Z4
	VFMADD213PS Z1, Z4, Z3
	VADDPS Z27, Z3, Z3
	VCVTPS2DQ Z2, Z2
	VPADDD Z30, Z2, Z2
	VPSLLD $23, Z2, Z2
	VMULPS Z2, Z3, Z3
	VADDPS Z27, Z3, Z3
	VDIVPS Z3, Z0, Z0
	VMOVUPS Z0, (SI)
	ADDQ $64, SI
	DECQ CX
	JNZ  loop
done:
	VZEROUPPER
	RET

// func expSumAVX512(x *float32, n int, mx float32) float32
//
// x[i] = e^(x[i] − mx) over n floats, n a multiple of 16, and returns their
// sum, accumulated in 16 lanes in order and then reduced by halves.
TEXT ·expSumAVX512(SB), NOSPLIT, $0-28
	MOVQ x+0(FP), SI
	MOVQ n+8(FP), CX
	VBROADCASTSS mx+16(FP), Z5
	VPXORD Z6, Z6, Z6
	SHRQ $4, CX
	JZ   reduce
	VBROADCASTSS nnc512<>+0(SB), Z16
	VBROADCASTSS nnc512<>+4(SB), Z17
	VBROADCASTSS nnc512<>+8(SB), Z18
	VBROADCASTSS nnc512<>+12(SB), Z19
	VBROADCASTSS nnc512<>+16(SB), Z20
	VBROADCASTSS nnc512<>+20(SB), Z21
	VBROADCASTSS nnc512<>+24(SB), Z22
	VBROADCASTSS nnc512<>+28(SB), Z23
	VBROADCASTSS nnc512<>+32(SB), Z24
	VBROADCASTSS nnc512<>+36(SB), Z25
	VBROADCASTSS nnc512<>+40(SB), Z26
	VBROADCASTSS nnc512<>+44(SB), Z27
	VBROADCASTSS nnc512<>+48(SB), Z28
	VBROADCASTSS nnc512<>+52(SB), Z29
	VBROADCASTSS nnc512<>+56(SB), Z30
loop:
	VMOVUPS (SI), Z0
	VSUBPS Z5, Z0, Z0
	VMAXPS Z16, Z0, Z0
	VMINPS Z17, Z0, Z0
	VMULPS Z18, Z0, Z2
	VRNDSCALEPS $0, Z2, Z2
	VFNMADD231PS Z19, Z2, Z0
	VFNMADD231PS Z20, Z2, Z0
	VMOVAPS Z21, Z3
	VFMADD213PS Z22, Z0, Z3
	VFMADD213PS Z23, Z0, Z3
	VFMADD213PS Z24, Z0, Z3
	VFMADD213PS Z25, Z0, Z3
	VFMADD213PS Z26, Z0, Z3
	VMULPS Z0, Z0, Z4
	VFMADD213PS Z0, Z4, Z3
	VADDPS Z27, Z3, Z3
	VCVTPS2DQ Z2, Z2
	VPADDD Z30, Z2, Z2
	VPSLLD $23, Z2, Z2
	VMULPS Z2, Z3, Z3
	VMOVUPS Z3, (SI)
	VADDPS Z3, Z6, Z6
	ADDQ $64, SI
	DECQ CX
	JNZ  loop
reduce:
	VEXTRACTF64X4 $1, Z6, Y1
	VADDPS Y1, Y6, Y6
	VEXTRACTF128 $1, Y6, X1
	VADDPS X1, X6, X6
	VPERMILPS $0x4e, X6, X1
	VADDPS X1, X6, X6
	VPERMILPS $0xb1, X6, X1
	VADDPS X1, X6, X6
	VMOVSS X6, ret+24(FP)
	VZEROUPPER
	RET
