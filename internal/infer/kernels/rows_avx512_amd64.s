//go:build amd64

#include "textflag.h"

// func dotRowsAVX512(out, q, k *float32, stride, n, d int)
//
// out[t] = Σ q[i]·k[t·stride+i] for t < n, d a multiple of 16: per row one
// chain of FMAs over 16-wide chunks in order, then a fixed reduction by
// halves, so a row's score never depends on n or on its neighbours.
TEXT ·dotRowsAVX512(SB), NOSPLIT, $0-48
	MOVQ out+0(FP), DI
	MOVQ q+8(FP), SI
	MOVQ k+16(FP), DX
	MOVQ stride+24(FP), R8
	SHLQ $2, R8
	MOVQ n+32(FP), CX
	MOVQ d+40(FP), R9
	SHRQ $4, R9
	TESTQ CX, CX
	JZ   done
row:
	MOVQ SI, R10
	MOVQ DX, R11
	MOVQ R9, BX
	VMOVUPS (R10), Z0
	VMULPS (R11), Z0, Z0
	DECQ BX
	JZ   reduce
chunk:
	ADDQ $64, R10
	ADDQ $64, R11
	VMOVUPS (R10), Z1
	VFMADD231PS (R11), Z1, Z0
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

// func axpyRowsAVX512(p, v *float32, stride, n int, y *float32, d int)
//
// y[i] += Σ_t p[t]·v[t·stride+i] for i < d, d a multiple of 16: every lane
// is one chain of FMAs in t order, exactly as n Axpy calls leave it. Four
// 16-wide column blocks run at once while d allows, then one at a time.
TEXT ·axpyRowsAVX512(SB), NOSPLIT, $0-48
	MOVQ stride+16(FP), R8
	SHLQ $2, R8
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
	VFMADD231PS 0(DX), Z8, Z0
	VFMADD231PS 64(DX), Z8, Z1
	VFMADD231PS 128(DX), Z8, Z2
	VFMADD231PS 192(DX), Z8, Z3
	ADDQ $4, SI
	ADDQ R8, DX
	DECQ CX
	JNZ  loop4
	VMOVUPS Z0, 0(DI)
	VMOVUPS Z1, 64(DI)
	VMOVUPS Z2, 128(DI)
	VMOVUPS Z3, 192(DI)
	ADDQ $256, DI
	ADDQ $256, R12
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
	VFMADD231PS (DX), Z8, Z0
	ADDQ $4, SI
	ADDQ R8, DX
	DECQ CX
	JNZ  loop1
	VMOVUPS Z0, (DI)
	ADDQ $64, DI
	ADDQ $64, R12
	SUBQ $16, R9
	JMP  one
done:
	VZEROUPPER
	RET
