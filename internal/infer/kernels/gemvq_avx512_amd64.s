//go:build amd64

#include "textflag.h"

// The fused decode kernels: four full panels of a quantized matrix times one
// row x, widening each weight in registers exactly as Packed.dequantPanel
// does (w = q·scale, or q·scale + min, each rounded) and adding x[k]·w to
// the running sums in acc (4×32 floats, loaded and stored) with one FMA
// chain per lane in k order, as gemv32AVX512 and the gemm tiles do, so
// the result is bitwise theirs over the widened panel.

// func gemvF16x4AVX512(acc *float32, src *uint16, pstride int, x *float32, rows int)
TEXT ·gemvF16x4AVX512(SB), NOSPLIT, $0-40
	MOVQ acc+0(FP), DI
	MOVQ src+8(FP), DX
	MOVQ pstride+16(FP), R8
	MOVQ x+24(FP), SI
	MOVQ rows+32(FP), CX
	LEAQ (DX)(R8*1), R10
	LEAQ (R10)(R8*1), R11
	LEAQ (R11)(R8*1), R12
	VMOVUPS 0(DI), Z0
	VMOVUPS 64(DI), Z1
	VMOVUPS 128(DI), Z2
	VMOVUPS 192(DI), Z3
	VMOVUPS 256(DI), Z4
	VMOVUPS 320(DI), Z5
	VMOVUPS 384(DI), Z6
	VMOVUPS 448(DI), Z7
	TESTQ CX, CX
	JZ   storef16
loopf16:
	VBROADCASTSS (SI), Z8
	VCVTPH2PS 0(DX), Z10
	VCVTPH2PS 32(DX), Z11
	VCVTPH2PS 0(R10), Z12
	VCVTPH2PS 32(R10), Z13
	VCVTPH2PS 0(R11), Z14
	VCVTPH2PS 32(R11), Z15
	VCVTPH2PS 0(R12), Z16
	VCVTPH2PS 32(R12), Z17
	VFMADD231PS Z10, Z8, Z0
	VFMADD231PS Z11, Z8, Z1
	VFMADD231PS Z12, Z8, Z2
	VFMADD231PS Z13, Z8, Z3
	VFMADD231PS Z14, Z8, Z4
	VFMADD231PS Z15, Z8, Z5
	VFMADD231PS Z16, Z8, Z6
	VFMADD231PS Z17, Z8, Z7
	ADDQ $64, DX
	ADDQ $64, R10
	ADDQ $64, R11
	ADDQ $64, R12
	ADDQ $4, SI
	DECQ CX
	JNZ  loopf16
storef16:
	VMOVUPS Z0, 0(DI)
	VMOVUPS Z1, 64(DI)
	VMOVUPS Z2, 128(DI)
	VMOVUPS Z3, 192(DI)
	VMOVUPS Z4, 256(DI)
	VMOVUPS Z5, 320(DI)
	VMOVUPS Z6, 384(DI)
	VMOVUPS Z7, 448(DI)
	VZEROUPPER
	RET
