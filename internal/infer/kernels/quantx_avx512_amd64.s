//go:build amd64

#include "textflag.h"

// func quantBlocksAVX512(x *float32, q *int8, amax *float32, sum *int32, nb int)
//
// Quantizes nb whole blocks of 32 floats as qrows.quantizeRow does, bit
// for bit: amax = max |x|, inv = 127/amax (0 when amax is under
// minQuantMax), q = x·inv
// rounded to nearest even (VCVTPS2DQ under Go's default rounding), and
// sum = Σ q. Go finishes each block's scale from amax.
TEXT ·quantBlocksAVX512(SB), NOSPLIT, $0-40
	MOVQ x+0(FP), SI
	MOVQ q+8(FP), DI
	MOVQ amax+16(FP), R8
	MOVQ sum+24(FP), R9
	MOVQ nb+32(FP), CX
	TESTQ CX, CX
	JZ   done
	MOVL $0x7fffffff, AX
	VPBROADCASTD AX, Z31
	MOVL $0x42fe0000, AX // 127.0
	VMOVD AX, X10
	MOVL $0x02fe0001, AX // minQuantMax: below it 127/amax overflows
	VMOVD AX, X6
loop:
	VMOVUPS 0(SI), Z0
	VMOVUPS 64(SI), Z1
	VPANDD Z31, Z0, Z2
	VPANDD Z31, Z1, Z3
	VMAXPS Z3, Z2, Z2
	VEXTRACTF64X4 $1, Z2, Y3
	VMAXPS Y3, Y2, Y2
	VEXTRACTF128 $1, Y2, X3
	VMAXPS X3, X2, X2
	VPSHUFD $0x4e, X2, X3
	VMAXPS X3, X2, X2
	VPSHUFD $0xb1, X2, X3
	VMAXPS X3, X2, X2
	VMOVSS X2, (R8)
	VDIVSS X2, X10, X4      // 127 / amax
	VCMPSS $0x0d, X6, X2, X5 // amax >= minQuantMax, else inv = 0
	VANDPS X5, X4, X4
	VBROADCASTSS X4, Z4
	VMULPS Z4, Z0, Z0
	VMULPS Z4, Z1, Z1
	VCVTPS2DQ Z0, Z0
	VCVTPS2DQ Z1, Z1
	VPMOVSDB Z0, X8
	VPMOVSDB Z1, X9
	VMOVDQU X8, 0(DI)
	VMOVDQU X9, 16(DI)
	VPADDD Z1, Z0, Z7
	VEXTRACTI64X4 $1, Z7, Y8
	VPADDD Y8, Y7, Y7
	VEXTRACTI128 $1, Y7, X8
	VPADDD X8, X7, X7
	VPSHUFD $0x4e, X7, X8
	VPADDD X8, X7, X7
	VPSHUFD $0xb1, X7, X8
	VPADDD X8, X7, X7
	VMOVD X7, (R9)
	ADDQ $128, SI
	ADDQ $32, DI
	ADDQ $4, R8
	ADDQ $4, R9
	DECQ CX
	JNZ  loop
done:
	VZEROUPPER
	RET
