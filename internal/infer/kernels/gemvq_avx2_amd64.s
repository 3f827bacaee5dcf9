//go:build amd64

#include "textflag.h"

// The AVX2 fused FP16 decode kernel: as gemvq_avx512_amd64.s, over two
// full panels, one after the other.

// func gemvF16x2AVX2(acc *float32, src *uint16, pstride int, x *float32, rows int)
TEXT ·gemvF16x2AVX2(SB), NOSPLIT, $0-40
	MOVQ acc+0(FP), DI
	MOVQ src+8(FP), DX
	MOVQ $2, R9
f16panel:
	MOVQ x+24(FP), SI
	MOVQ rows+32(FP), CX
	MOVQ DX, R10
	VMOVUPS 0(DI), Y0
	VMOVUPS 32(DI), Y1
	VMOVUPS 64(DI), Y2
	VMOVUPS 96(DI), Y3
	TESTQ CX, CX
	JZ   f16store
f16loop:
	VBROADCASTSS (SI), Y8
	VCVTPH2PS 0(R10), Y9
	VCVTPH2PS 16(R10), Y10
	VCVTPH2PS 32(R10), Y11
	VCVTPH2PS 48(R10), Y12
	VFMADD231PS Y9, Y8, Y0
	VFMADD231PS Y10, Y8, Y1
	VFMADD231PS Y11, Y8, Y2
	VFMADD231PS Y12, Y8, Y3
	ADDQ $64, R10
	ADDQ $4, SI
	DECQ CX
	JNZ  f16loop
f16store:
	VMOVUPS Y0, 0(DI)
	VMOVUPS Y1, 32(DI)
	VMOVUPS Y2, 64(DI)
	VMOVUPS Y3, 96(DI)
	ADDQ $128, DI
	ADDQ pstride+16(FP), DX
	DECQ R9
	JNZ  f16panel
	VZEROUPPER
	RET
