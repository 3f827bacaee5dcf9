//go:build amd64

#include "textflag.h"

// func quantBlocksAVX2(x *float32, q *int8, amax *float32, sum *int32, nb int)
//
// quantBlocksAVX512 on AVX2, bit for bit: a block is four ymm, packed to
// bytes with two saturating packs (the values are within ±127, so nothing
// saturates) and VPERMD to undo their lane interleaving.
TEXT ·quantBlocksAVX2(SB), NOSPLIT, $0-40
	MOVQ x+0(FP), SI
	MOVQ q+8(FP), DI
	MOVQ amax+16(FP), R8
	MOVQ sum+24(FP), R9
	MOVQ nb+32(FP), CX
	TESTQ CX, CX
	JZ   done
	MOVL $0x7fffffff, AX
	VMOVD AX, X15
	VPBROADCASTD X15, Y15
	MOVL $0x42fe0000, AX // 127.0
	VMOVD AX, X14
	MOVL $0x02fe0001, AX // minQuantMax: below it 127/amax overflows
	VMOVD AX, X13
	VMOVDQU permq<>(SB), Y12
loop:
	VMOVUPS 0(SI), Y0
	VMOVUPS 32(SI), Y1
	VMOVUPS 64(SI), Y2
	VMOVUPS 96(SI), Y3
	VANDPS Y15, Y0, Y4
	VANDPS Y15, Y1, Y5
	VANDPS Y15, Y2, Y6
	VANDPS Y15, Y3, Y7
	VMAXPS Y5, Y4, Y4
	VMAXPS Y7, Y6, Y6
	VMAXPS Y6, Y4, Y4
	VEXTRACTF128 $1, Y4, X5
	VMAXPS X5, X4, X4
	VPSHUFD $0x4e, X4, X5
	VMAXPS X5, X4, X4
	VPSHUFD $0xb1, X4, X5
	VMAXPS X5, X4, X4
	VMOVSS X4, (R8)
	VDIVSS X4, X14, X6        // 127 / amax
	VCMPSS $0x0d, X13, X4, X7 // amax >= minQuantMax, else inv = 0
	VANDPS X7, X6, X6
	VBROADCASTSS X6, Y6
	VMULPS Y6, Y0, Y0
	VMULPS Y6, Y1, Y1
	VMULPS Y6, Y2, Y2
	VMULPS Y6, Y3, Y3
	VCVTPS2DQ Y0, Y0
	VCVTPS2DQ Y1, Y1
	VCVTPS2DQ Y2, Y2
	VCVTPS2DQ Y3, Y3
	VPADDD Y1, Y0, Y8
	VPADDD Y3, Y2, Y9
	VPADDD Y9, Y8, Y8
	VPACKSSDW Y1, Y0, Y0 // per lane: 4 of Y0, 4 of Y1
	VPACKSSDW Y3, Y2, Y2
	VPACKSSWB Y2, Y0, Y0 // per lane, dwords: Y0, Y1, Y2, Y3 quads
	VPERMD Y0, Y12, Y0
	VMOVDQU Y0, 0(DI)
	VEXTRACTI128 $1, Y8, X9
	VPADDD X9, X8, X8
	VPSHUFD $0x4e, X8, X9
	VPADDD X9, X8, X8
	VPSHUFD $0xb1, X8, X9
	VPADDD X9, X8, X8
	VMOVD X8, (R9)
	ADDQ $128, SI
	ADDQ $32, DI
	ADDQ $4, R8
	ADDQ $4, R9
	DECQ CX
	JNZ  loop
done:
	VZEROUPPER
	RET

// The dwords of the packed bytes hold quads in the order 0, 2, 4, 6, 1,
// 3, 5, 7 of the block; VPERMD with these indices puts them back.
DATA permq<>+0(SB)/4, $0
DATA permq<>+4(SB)/4, $4
DATA permq<>+8(SB)/4, $1
DATA permq<>+12(SB)/4, $5
DATA permq<>+16(SB)/4, $2
DATA permq<>+20(SB)/4, $6
DATA permq<>+24(SB)/4, $3
DATA permq<>+28(SB)/4, $7
GLOBL permq<>(SB), RODATA|NOPTR, $32
