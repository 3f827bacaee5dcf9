//go:build amd64

#include "textflag.h"

// LayerNorm's three passes on AVX (see LayerNorm, which they equal
// bitwise): four float64 sums, lane j over the elements i ≡ j (mod 4),
// exactly as the Go loop keeps s[j]; then (x−mean)·inv·gamma + beta with
// each operation rounded to float32 apart, as the Go expression is.

// func lnSumAVX(x *float32, n int, s *[4]float64)
// n is a multiple of 4.
TEXT ·lnSumAVX(SB), NOSPLIT, $0-24
	MOVQ x+0(FP), SI
	MOVQ n+8(FP), CX
	MOVQ s+16(FP), DI
	VXORPD Y0, Y0, Y0
	SHRQ $2, CX
	JZ   sumdone
sumloop:
	VCVTPS2PD (SI), Y1
	VADDPD Y1, Y0, Y0
	ADDQ $16, SI
	DECQ CX
	JNZ  sumloop
sumdone:
	VMOVUPD Y0, (DI)
	VZEROUPPER
	RET

// func lnSqAVX(x *float32, n int, mean float32, s *[4]float64)
// n is a multiple of 4. Sums float64((x−mean)²), the square in float32.
TEXT ·lnSqAVX(SB), NOSPLIT, $0-32
	MOVQ x+0(FP), SI
	MOVQ n+8(FP), CX
	VBROADCASTSS mean+16(FP), X2
	MOVQ s+24(FP), DI
	VXORPD Y0, Y0, Y0
	SHRQ $2, CX
	JZ   sqdone
sqloop:
	VMOVUPS (SI), X1
	VSUBPS X2, X1, X1
	VMULPS X1, X1, X1
	VCVTPS2PD X1, Y1
	VADDPD Y1, Y0, Y0
	ADDQ $16, SI
	DECQ CX
	JNZ  sqloop
sqdone:
	VMOVUPD Y0, (DI)
	VZEROUPPER
	RET

// func lnApplyAVX(out, x, gamma, beta *float32, n int, mean, inv float32)
// n is a multiple of 8.
TEXT ·lnApplyAVX(SB), NOSPLIT, $0-48
	MOVQ out+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ gamma+16(FP), R8
	MOVQ beta+24(FP), R9
	MOVQ n+32(FP), CX
	VBROADCASTSS mean+40(FP), Y2
	VBROADCASTSS inv+44(FP), Y3
	SHRQ $3, CX
	JZ   applydone
applyloop:
	VMOVUPS (SI), Y0
	VSUBPS Y2, Y0, Y0
	VMULPS Y3, Y0, Y0
	VMULPS (R8), Y0, Y0
	VADDPS (R9), Y0, Y0
	VMOVUPS Y0, (DI)
	ADDQ $32, SI
	ADDQ $32, DI
	ADDQ $32, R8
	ADDQ $32, R9
	DECQ CX
	JNZ  applyloop
applydone:
	VZEROUPPER
	RET
