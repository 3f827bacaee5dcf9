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
