//go:build amd64

#include "textflag.h"

// func deq16F16C(src *uint16, dst *float32, n int)
//
// Widens n halves (a multiple of 8) with VCVTPH2PS, 32 a loop.
TEXT ·deq16F16C(SB), NOSPLIT, $0-24
	MOVQ src+0(FP), SI
	MOVQ dst+8(FP), DI
	MOVQ n+16(FP), CX
loop32:
	CMPQ CX, $32
	JLT  loop8
	VCVTPH2PS (SI), Y0
	VCVTPH2PS 16(SI), Y1
	VCVTPH2PS 32(SI), Y2
	VCVTPH2PS 48(SI), Y3
	VMOVUPS Y0, (DI)
	VMOVUPS Y1, 32(DI)
	VMOVUPS Y2, 64(DI)
	VMOVUPS Y3, 96(DI)
	ADDQ $64, SI
	ADDQ $128, DI
	SUBQ $32, CX
	JMP  loop32
loop8:
	CMPQ CX, $8
	JLT  done
	VCVTPH2PS (SI), Y0
	VMOVUPS Y0, (DI)
	ADDQ $16, SI
	ADDQ $32, DI
	SUBQ $8, CX
	JMP  loop8
done:
	VZEROUPPER
	RET

// func deq8AVX2(src *int8, dst, scale *float32, rows int)
//
// Widens rows rows of 32 int8 and multiplies them by the 32 scales.
TEXT ·deq8AVX2(SB), NOSPLIT, $0-32
	MOVQ src+0(FP), SI
	MOVQ dst+8(FP), DI
	MOVQ scale+16(FP), DX
	MOVQ rows+24(FP), CX
	VMOVUPS (DX), Y12
	VMOVUPS 32(DX), Y13
	VMOVUPS 64(DX), Y14
	VMOVUPS 96(DX), Y15
	TESTQ CX, CX
	JZ   done8
loop8:
	VPMOVSXBD (SI), Y0
	VPMOVSXBD 8(SI), Y1
	VPMOVSXBD 16(SI), Y2
	VPMOVSXBD 24(SI), Y3
	VCVTDQ2PS Y0, Y0
	VCVTDQ2PS Y1, Y1
	VCVTDQ2PS Y2, Y2
	VCVTDQ2PS Y3, Y3
	VMULPS Y12, Y0, Y0
	VMULPS Y13, Y1, Y1
	VMULPS Y14, Y2, Y2
	VMULPS Y15, Y3, Y3
	VMOVUPS Y0, (DI)
	VMOVUPS Y1, 32(DI)
	VMOVUPS Y2, 64(DI)
	VMOVUPS Y3, 96(DI)
	ADDQ $32, SI
	ADDQ $128, DI
	DECQ CX
	JNZ  loop8
done8:
	VZEROUPPER
	RET

// func deq4AVX2(src *byte, dst, scale, min *float32, rows int)
//
// Widens rows rows of 32 nibbles (row byte i: column i low, i+16 high) to
// q·scale + min, the product rounded before the sum.
TEXT ·deq4AVX2(SB), NOSPLIT, $0-40
	MOVQ src+0(FP), SI
	MOVQ dst+8(FP), DI
	MOVQ scale+16(FP), DX
	MOVQ min+24(FP), BX
	MOVQ rows+32(FP), CX
	MOVL $15, AX
	MOVQ AX, X15
	VPBROADCASTD X15, Y15
	TESTQ CX, CX
	JZ   done4
loop4:
	VPMOVZXBD (SI), Y0
	VPMOVZXBD 8(SI), Y1
	VPAND Y15, Y0, Y2
	VPAND Y15, Y1, Y3
	VPSRLD $4, Y0, Y4
	VPSRLD $4, Y1, Y5
	VCVTDQ2PS Y2, Y2
	VCVTDQ2PS Y3, Y3
	VCVTDQ2PS Y4, Y4
	VCVTDQ2PS Y5, Y5
	VMULPS (DX), Y2, Y2
	VMULPS 32(DX), Y3, Y3
	VMULPS 64(DX), Y4, Y4
	VMULPS 96(DX), Y5, Y5
	VADDPS (BX), Y2, Y2
	VADDPS 32(BX), Y3, Y3
	VADDPS 64(BX), Y4, Y4
	VADDPS 96(BX), Y5, Y5
	VMOVUPS Y2, (DI)
	VMOVUPS Y3, 32(DI)
	VMOVUPS Y4, 64(DI)
	VMOVUPS Y5, 96(DI)
	ADDQ $16, SI
	ADDQ $128, DI
	DECQ CX
	JNZ  loop4
done4:
	VZEROUPPER
	RET
