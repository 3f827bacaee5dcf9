//go:build amd64

#include "textflag.h"

// The half-float twins of the row kernels, for a KV cache stored as IEEE
// halves: each widens its operand with VCVTPH2PS (exact) and then runs
// the same operations in the same order as dotRows and axpyRows, so its
// results are bitwise theirs over the widened rows.

// func dotRowsF16AVX512(out, q *float32, k *uint16, stride, n, d int)
TEXT ·dotRowsF16AVX512(SB), NOSPLIT, $0-48
	MOVQ out+0(FP), DI
	MOVQ q+8(FP), SI
	MOVQ k+16(FP), DX
	MOVQ stride+24(FP), R8
	SHLQ $1, R8
	MOVQ n+32(FP), CX
	MOVQ d+40(FP), R9
	SHRQ $4, R9
	TESTQ CX, CX
	JZ   done
row:
	MOVQ SI, R10
	MOVQ DX, R11
	MOVQ R9, BX
	VCVTPH2PS (R11), Z2
	VMOVUPS (R10), Z0
	VMULPS Z2, Z0, Z0
	DECQ BX
	JZ   reduce
chunk:
	ADDQ $64, R10
	ADDQ $32, R11
	VCVTPH2PS (R11), Z2
	VMOVUPS (R10), Z1
	VFMADD231PS Z2, Z1, Z0
	DECQ BX
	JNZ  chunk
reduce:
	VEXTRACTF64X4 $1, Z0, Y1
	VADDPS Y1, Y0, Y0
	VEXTRACTF128 $1, Y0, X1
	VADDPS X1, X0, X0
	VPERMILPS $0x4e, X0, X1
	VADDPS X1, X0, X0
	VPERMILPS $0xb1, X0, X1
	VADDPS X1, X0, X0
	VMOVSS X0, (DI)
	ADDQ $4, DI
	ADDQ R8, DX
	DECQ CX
	JNZ  row
done:
	VZEROUPPER
	RET

// func axpyRowsF16AVX512(p *float32, v *uint16, stride, n int, y *float32, d int)
TEXT ·axpyRowsF16AVX512(SB), NOSPLIT, $0-48
	MOVQ stride+16(FP), R8
	SHLQ $1, R8
	MOVQ y+32(FP), DI
	MOVQ d+40(FP), R9
	MOVQ v+8(FP), R12 // column block start in row 0
	MOVQ n+24(FP), AX
	TESTQ AX, AX
	JZ   done
four:
	CMPQ R9, $64
	JLT  one
	VMOVUPS 0(DI), Z0
	VMOVUPS 64(DI), Z1
	VMOVUPS 128(DI), Z2
	VMOVUPS 192(DI), Z3
	MOVQ p+0(FP), SI
	MOVQ R12, DX
	MOVQ AX, CX
loop4:
	VBROADCASTSS (SI), Z8
	VCVTPH2PS 0(DX), Z4
	VCVTPH2PS 32(DX), Z5
	VCVTPH2PS 64(DX), Z6
	VCVTPH2PS 96(DX), Z7
	VFMADD231PS Z4, Z8, Z0
	VFMADD231PS Z5, Z8, Z1
	VFMADD231PS Z6, Z8, Z2
	VFMADD231PS Z7, Z8, Z3
	ADDQ $4, SI
	ADDQ R8, DX
	DECQ CX
	JNZ  loop4
	VMOVUPS Z0, 0(DI)
	VMOVUPS Z1, 64(DI)
	VMOVUPS Z2, 128(DI)
	VMOVUPS Z3, 192(DI)
	ADDQ $256, DI
	ADDQ $128, R12
	SUBQ $64, R9
	JMP  four
one:
	CMPQ R9, $16
	JLT  done
	VMOVUPS (DI), Z0
	MOVQ p+0(FP), SI
	MOVQ R12, DX
	MOVQ AX, CX
loop1:
	VBROADCASTSS (SI), Z8
	VCVTPH2PS (DX), Z4
	VFMADD231PS Z4, Z8, Z0
	ADDQ $4, SI
	ADDQ R8, DX
	DECQ CX
	JNZ  loop1
	VMOVUPS Z0, (DI)
	ADDQ $64, DI
	ADDQ $32, R12
	SUBQ $16, R9
	JMP  one
done:
	VZEROUPPER
	RET

// func toF16AVX512(dst *uint16, src *float32, n int)
//
// dst[i] = src[i] rounded to the nearest half, ties to even, n a multiple
// of 16.
TEXT ·toF16AVX512(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX
	SHRQ $4, CX
	JZ   done
loop:
	VMOVUPS (SI), Z0
	VCVTPS2PH $0, Z0, (DI)
	ADDQ $64, SI
	ADDQ $32, DI
	DECQ CX
	JNZ  loop
done:
	VZEROUPPER
	RET

// func dotRowsF16AVX2(out, q *float32, k *uint16, stride, n, d int)
TEXT ·dotRowsF16AVX2(SB), NOSPLIT, $0-48
	MOVQ out+0(FP), DI
	MOVQ q+8(FP), SI
	MOVQ k+16(FP), DX
	MOVQ stride+24(FP), R8
	SHLQ $1, R8
	MOVQ n+32(FP), CX
	MOVQ d+40(FP), R9
	SHRQ $3, R9
	TESTQ CX, CX
	JZ   done
row:
	MOVQ SI, R10
	MOVQ DX, R11
	MOVQ R9, BX
	VCVTPH2PS (R11), Y2
	VMOVUPS (R10), Y0
	VMULPS Y2, Y0, Y0
	DECQ BX
	JZ   reduce
chunk:
	ADDQ $32, R10
	ADDQ $16, R11
	VCVTPH2PS (R11), Y2
	VMOVUPS (R10), Y1
	VFMADD231PS Y2, Y1, Y0
	DECQ BX
	JNZ  chunk
reduce:
	VEXTRACTF128 $1, Y0, X1
	VADDPS X1, X0, X0
	VPERMILPS $0x4e, X0, X1
	VADDPS X1, X0, X0
	VPERMILPS $0xb1, X0, X1
	VADDPS X1, X0, X0
	VMOVSS X0, (DI)
	ADDQ $4, DI
	ADDQ R8, DX
	DECQ CX
	JNZ  row
done:
	VZEROUPPER
	RET

// func axpyRowsF16AVX2(p *float32, v *uint16, stride, n int, y *float32, d int)
TEXT ·axpyRowsF16AVX2(SB), NOSPLIT, $0-48
	MOVQ stride+16(FP), R8
	SHLQ $1, R8
	MOVQ y+32(FP), DI
	MOVQ d+40(FP), R9
	MOVQ v+8(FP), R12 // column block start in row 0
	MOVQ n+24(FP), AX
	TESTQ AX, AX
	JZ   done
four:
	CMPQ R9, $32
	JLT  one
	VMOVUPS 0(DI), Y0
	VMOVUPS 32(DI), Y1
	VMOVUPS 64(DI), Y2
	VMOVUPS 96(DI), Y3
	MOVQ p+0(FP), SI
	MOVQ R12, DX
	MOVQ AX, CX
loop4:
	VBROADCASTSS (SI), Y8
	VCVTPH2PS 0(DX), Y4
	VCVTPH2PS 16(DX), Y5
	VCVTPH2PS 32(DX), Y6
	VCVTPH2PS 48(DX), Y7
	VFMADD231PS Y4, Y8, Y0
	VFMADD231PS Y5, Y8, Y1
	VFMADD231PS Y6, Y8, Y2
	VFMADD231PS Y7, Y8, Y3
	ADDQ $4, SI
	ADDQ R8, DX
	DECQ CX
	JNZ  loop4
	VMOVUPS Y0, 0(DI)
	VMOVUPS Y1, 32(DI)
	VMOVUPS Y2, 64(DI)
	VMOVUPS Y3, 96(DI)
	ADDQ $128, DI
	ADDQ $64, R12
	SUBQ $32, R9
	JMP  four
one:
	CMPQ R9, $8
	JLT  done
	VMOVUPS (DI), Y0
	MOVQ p+0(FP), SI
	MOVQ R12, DX
	MOVQ AX, CX
loop1:
	VBROADCASTSS (SI), Y8
	VCVTPH2PS (DX), Y4
	VFMADD231PS Y4, Y8, Y0
	ADDQ $4, SI
	ADDQ R8, DX
	DECQ CX
	JNZ  loop1
	VMOVUPS Y0, (DI)
	ADDQ $32, DI
	ADDQ $16, R12
	SUBQ $8, R9
	JMP  one
done:
	VZEROUPPER
	RET

// func toF16AVX2(dst *uint16, src *float32, n int)
//
// toF16AVX512 eight at a time (F16C), n a multiple of 8.
TEXT ·toF16AVX2(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX
	SHRQ $3, CX
	JZ   done
loop:
	VMOVUPS (SI), Y0
	VCVTPS2PH $0, Y0, (DI)
	ADDQ $32, SI
	ADDQ $16, DI
	DECQ CX
	JNZ  loop
done:
	VZEROUPPER
	RET
