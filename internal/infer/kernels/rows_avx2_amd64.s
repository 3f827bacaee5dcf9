//go:build amd64

#include "textflag.h"

// func dotRowsAVX2(out, q, k *float32, stride, n, d int)
//
// out[t] = Σ q[i]·k[t·stride+i] for t < n, d a multiple of 8: per row one
// chain of FMAs over 8-wide chunks in order, then a fixed reduction by
// halves, so a row's score never depends on n or on its neighbours.
TEXT ·dotRowsAVX2(SB), NOSPLIT, $0-48
	MOVQ out+0(FP), DI
	MOVQ q+8(FP), SI
	MOVQ k+16(FP), DX
	MOVQ stride+24(FP), R8
	SHLQ $2, R8
	MOVQ n+32(FP), CX
	MOVQ d+40(FP), R9
	SHRQ $3, R9
	TESTQ CX, CX
	JZ   done
row:
	MOVQ SI, R10
	MOVQ DX, R11
	MOVQ R9, BX
	VMOVUPS (R10), Y0
	VMULPS (R11), Y0, Y0
	DECQ BX
	JZ   reduce
chunk:
	ADDQ $32, R10
	ADDQ $32, R11
	VMOVUPS (R10), Y1
	VFMADD231PS (R11), Y1, Y0
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

// func axpyRowsAVX2(p, v *float32, stride, n int, y *float32, d int)
//
// y[i] += Σ_t p[t]·v[t·stride+i] for i < d, d a multiple of 8: every lane
// is one chain of FMAs in t order, exactly as n Axpy calls leave it. Four
// 8-wide column blocks run at once while d allows, then one at a time.
TEXT ·axpyRowsAVX2(SB), NOSPLIT, $0-48
	MOVQ stride+16(FP), R8
	SHLQ $2, R8
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
	VFMADD231PS 0(DX), Y8, Y0
	VFMADD231PS 32(DX), Y8, Y1
	VFMADD231PS 64(DX), Y8, Y2
	VFMADD231PS 96(DX), Y8, Y3
	ADDQ $4, SI
	ADDQ R8, DX
	DECQ CX
	JNZ  loop4
	VMOVUPS Y0, 0(DI)
	VMOVUPS Y1, 32(DI)
	VMOVUPS Y2, 64(DI)
	VMOVUPS Y3, 96(DI)
	ADDQ $128, DI
	ADDQ $128, R12
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
	VFMADD231PS (DX), Y8, Y0
	ADDQ $4, SI
	ADDQ R8, DX
	DECQ CX
	JNZ  loop1
	VMOVUPS Y0, (DI)
	ADDQ $32, DI
	ADDQ $32, R12
	SUBQ $8, R9
	JMP  one
done:
	VZEROUPPER
	RET
