//go:build amd64

#include "textflag.h"

// The AVX2 fused decode kernels: as gemvq_avx512_amd64.s, over two full
// panels at once (eight ymm chains, as many as the sixteen registers
// leave room for), the scales and mins read from memory.

// func gemvF16x2AVX2(acc *float32, src *uint16, pstride int, x *float32, rows int)
TEXT ·gemvF16x2AVX2(SB), NOSPLIT, $0-40
	MOVQ acc+0(FP), DI
	MOVQ src+8(FP), DX
	MOVQ pstride+16(FP), R8
	MOVQ x+24(FP), SI
	MOVQ rows+32(FP), CX
	LEAQ (DX)(R8*1), R10
	VMOVUPS 0(DI), Y0
	VMOVUPS 32(DI), Y1
	VMOVUPS 64(DI), Y2
	VMOVUPS 96(DI), Y3
	VMOVUPS 128(DI), Y4
	VMOVUPS 160(DI), Y5
	VMOVUPS 192(DI), Y6
	VMOVUPS 224(DI), Y7
	TESTQ CX, CX
	JZ   storef16
loopf16:
	VBROADCASTSS (SI), Y8
	VCVTPH2PS 0(DX), Y9
	VCVTPH2PS 16(DX), Y10
	VCVTPH2PS 32(DX), Y11
	VCVTPH2PS 48(DX), Y12
	VFMADD231PS Y9, Y8, Y0
	VFMADD231PS Y10, Y8, Y1
	VFMADD231PS Y11, Y8, Y2
	VFMADD231PS Y12, Y8, Y3
	VCVTPH2PS 0(R10), Y9
	VCVTPH2PS 16(R10), Y10
	VCVTPH2PS 32(R10), Y11
	VCVTPH2PS 48(R10), Y12
	VFMADD231PS Y9, Y8, Y4
	VFMADD231PS Y10, Y8, Y5
	VFMADD231PS Y11, Y8, Y6
	VFMADD231PS Y12, Y8, Y7
	ADDQ $64, DX
	ADDQ $64, R10
	ADDQ $4, SI
	DECQ CX
	JNZ  loopf16
storef16:
	VMOVUPS Y0, 0(DI)
	VMOVUPS Y1, 32(DI)
	VMOVUPS Y2, 64(DI)
	VMOVUPS Y3, 96(DI)
	VMOVUPS Y4, 128(DI)
	VMOVUPS Y5, 160(DI)
	VMOVUPS Y6, 192(DI)
	VMOVUPS Y7, 224(DI)
	VZEROUPPER
	RET
