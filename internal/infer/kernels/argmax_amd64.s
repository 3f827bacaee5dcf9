//go:build amd64

#include "textflag.h"

// func maxAVX512(x *float32, n int) float32
// n is a multiple of 16 and at least 16. NaNs are skipped: VMAXPS returns
// its second operand when either is NaN, and the running maximum, which
// starts at −Inf and so is never NaN, is that operand. All NaN: −Inf.
TEXT ·maxAVX512(SB), NOSPLIT, $0-20
	MOVQ x+0(FP), SI
	MOVQ n+8(FP), CX
	MOVL $0xff800000, AX // −Inf
	VPBROADCASTD AX, Z0
loop:
	VMOVUPS (SI), Z1
	VMAXPS Z0, Z1, Z0 // Z0 = max(Z1, Z0): the running maximum wins a NaN
	ADDQ $64, SI
	SUBQ $16, CX
	JNZ  loop
	VEXTRACTF64X4 $1, Z0, Y1
	VMAXPS Y0, Y1, Y0
	VEXTRACTF128 $1, Y0, X1
	VMAXPS X0, X1, X0
	VPSHUFD $0x4e, X0, X1
	VMAXPS X0, X1, X0
	VPSHUFD $0xb1, X0, X1
	VMAXPS X0, X1, X0
	VMOVSS X0, ret+16(FP)
	VZEROUPPER
	RET

// func firstEqualAVX512(x *float32, n int, v float32) int
// Returns the first index i < n (a multiple of 16) with x[i] == v, or n.
TEXT ·firstEqualAVX512(SB), NOSPLIT, $0-32
	MOVQ x+0(FP), SI
	MOVQ n+8(FP), CX
	VBROADCASTSS v+16(FP), Z1
	XORQ AX, AX
	TESTQ CX, CX
	JZ   none
scan:
	VCMPPS $0, (SI)(AX*4), Z1, K1
	KMOVW K1, DX
	TESTL DX, DX
	JNZ  found
	ADDQ $16, AX
	CMPQ AX, CX
	JLT  scan
none:
	MOVQ CX, ret+24(FP)
	VZEROUPPER
	RET
found:
	TZCNTL DX, DX
	ADDQ DX, AX
	MOVQ AX, ret+24(FP)
	VZEROUPPER
	RET
