//go:build amd64

#include "textflag.h"

// func deq16AVX512(src *uint16, dst *float32, n int)
//
// Widens n halves (a multiple of 16) with VCVTPH2PS, 64 a loop.
TEXT ·deq16AVX512(SB), NOSPLIT, $0-24
	MOVQ src+0(FP), SI
	MOVQ dst+8(FP), DI
	MOVQ n+16(FP), CX
loop64:
	CMPQ CX, $64
	JLT  loop16
	VCVTPH2PS (SI), Z0
	VCVTPH2PS 32(SI), Z1
	VCVTPH2PS 64(SI), Z2
	VCVTPH2PS 96(SI), Z3
	VMOVUPS Z0, (DI)
	VMOVUPS Z1, 64(DI)
	VMOVUPS Z2, 128(DI)
	VMOVUPS Z3, 192(DI)
	ADDQ $128, SI
	ADDQ $256, DI
	SUBQ $64, CX
	JMP  loop64
loop16:
	CMPQ CX, $16
	JLT  done
	VCVTPH2PS (SI), Z0
	VMOVUPS Z0, (DI)
	ADDQ $32, SI
	ADDQ $64, DI
	SUBQ $16, CX
	JMP  loop16
done:
	VZEROUPPER
	RET

// func deq8AVX512(src *int8, dst, scale *float32, rows int)
//
// Widens rows rows of 32 int8 and multiplies them by the 32 scales.
TEXT ·deq8AVX512(SB), NOSPLIT, $0-32
	MOVQ src+0(FP), SI
	MOVQ dst+8(FP), DI
	MOVQ scale+16(FP), DX
	MOVQ rows+24(FP), CX
	VMOVUPS (DX), Z30
	VMOVUPS 64(DX), Z31
	TESTQ CX, CX
	JZ   done8
loop8:
	VPMOVSXBD (SI), Z0
	VPMOVSXBD 16(SI), Z1
	VCVTDQ2PS Z0, Z0
	VCVTDQ2PS Z1, Z1
	VMULPS Z30, Z0, Z0
	VMULPS Z31, Z1, Z1
	VMOVUPS Z0, (DI)
	VMOVUPS Z1, 64(DI)
	ADDQ $32, SI
	ADDQ $128, DI
	DECQ CX
	JNZ  loop8
done8:
	VZEROUPPER
	RET

// func deq4AVX512(src *byte, dst, scale, min *float32, rows int)
//
// Widens rows rows of 32 nibbles (row byte i: column i low, i+16 high) to
// q·scale + min, the product rounded before the sum.
TEXT ·deq4AVX512(SB), NOSPLIT, $0-40
	MOVQ src+0(FP), SI
	MOVQ dst+8(FP), DI
	MOVQ scale+16(FP), DX
	MOVQ min+24(FP), BX
	MOVQ rows+32(FP), CX
	VMOVUPS (DX), Z28
	VMOVUPS 64(DX), Z29
	VMOVUPS (BX), Z30
	VMOVUPS 64(BX), Z31
	MOVL $15, AX
	VPBROADCASTD AX, Z27
	TESTQ CX, CX
	JZ   done4
loop4:
	VPMOVZXBD (SI), Z0
	VPANDD Z27, Z0, Z1
	VPSRLD $4, Z0, Z2
	VCVTDQ2PS Z1, Z1
	VCVTDQ2PS Z2, Z2
	VMULPS Z28, Z1, Z1
	VMULPS Z29, Z2, Z2
	VADDPS Z30, Z1, Z1
	VADDPS Z31, Z2, Z2
	VMOVUPS Z1, (DI)
	VMOVUPS Z2, 64(DI)
	ADDQ $16, SI
	ADDQ $128, DI
	DECQ CX
	JNZ  loop4
done4:
	VZEROUPPER
	RET
