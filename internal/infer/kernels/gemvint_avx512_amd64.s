//go:build amd64

#include "textflag.h"

// The integer decode and prefill kernels of INT8 and INT4 on AVX-512 VNNI
// (see impl.gemvQ8 and impl.gemvQ4, and gemvQ8Generic and gemvQ4Generic,
// which they equal bitwise). One panel at a time, all its blocks, so that
// a call reads two streams (the panel's weights and its scales): reading
// four panels' blocks in turn, eight streams, streamed about a quarter
// slower from memory on Zen 4. Per block the eight quads of x are
// broadcast, and VPDPBUSD sums stored bytes (unsigned) times x (signed)
// into int32 lanes, one column each, in two chains per half panel. The
// block's sums are scaled into the panel's 32 sums, held in registers,
// with a multiply and an add rounded apart: (scale·xs)·float(sum), then
// + acc. INT4 splits a byte's nibbles with one AND each, the high one left
// at 16·q, and divides its block sums by 16, exactly, with a shift.
//
// INT8 passes each loaded vector through a VPORD of itself, which changes
// nothing, before VPDPBUSD reads it. On Zen 4, a load feeding VPDPBUSD
// directly streams a long matrix at 84-86% of the read bandwidth at 55-60
// GB/s; with the no-op between (as INT4's ANDs are) at 94-95%, and one
// token's INT8 decode went from 72.6% to 78.7% of the ceiling (paired
// runs, the new kernel faster in 60 of 63), prefill unchanged. Half as
// many no-ops gained half as much; prefetching ahead in software, loading
// a block's vectors first and eight shorter sum chains were all slower.

// func gemvQ8VNNI(acc *float32, w *byte, pstride int, xq *int8, xs *float32, xsum *int32, scale *float32, sstride, nb, np int)
TEXT ·gemvQ8VNNI(SB), NOSPLIT, $0-80
	MOVQ acc+0(FP), DI
	MOVQ w+8(FP), DX
	MOVQ scale+48(FP), BX
	MOVQ np+72(FP), R12
	TESTQ R12, R12
	JZ   q8done
	CMPQ nb+64(FP), $0
	JEQ  q8done
q8panel:
	MOVQ xq+24(FP), SI
	MOVQ xs+32(FP), R9
	MOVQ xsum+40(FP), R10
	MOVQ nb+64(FP), CX
	MOVQ DX, R13
	MOVQ BX, R8
	VMOVUPS 0(DI), Z0
	VMOVUPS 64(DI), Z1
q8block:
	VPXORD Z16, Z16, Z16
	VPXORD Z17, Z17, Z17
	VPXORD Z18, Z18, Z18
	VPXORD Z19, Z19, Z19
	VPBROADCASTD 0(SI), Z24
	VMOVDQU32 0(R13), Z8
	VPORD Z8, Z8, Z8
	VMOVDQU32 64(R13), Z9
	VPORD Z9, Z9, Z9
	VPDPBUSD Z24, Z8, Z16
	VPDPBUSD Z24, Z9, Z17
	VPBROADCASTD 4(SI), Z25
	VMOVDQU32 128(R13), Z10
	VPORD Z10, Z10, Z10
	VMOVDQU32 192(R13), Z11
	VPORD Z11, Z11, Z11
	VPDPBUSD Z25, Z10, Z18
	VPDPBUSD Z25, Z11, Z19
	VPBROADCASTD 8(SI), Z26
	VMOVDQU32 256(R13), Z12
	VPORD Z12, Z12, Z12
	VMOVDQU32 320(R13), Z13
	VPORD Z13, Z13, Z13
	VPDPBUSD Z26, Z12, Z16
	VPDPBUSD Z26, Z13, Z17
	VPBROADCASTD 12(SI), Z27
	VMOVDQU32 384(R13), Z8
	VPORD Z8, Z8, Z8
	VMOVDQU32 448(R13), Z9
	VPORD Z9, Z9, Z9
	VPDPBUSD Z27, Z8, Z18
	VPDPBUSD Z27, Z9, Z19
	VPBROADCASTD 16(SI), Z28
	VMOVDQU32 512(R13), Z10
	VPORD Z10, Z10, Z10
	VMOVDQU32 576(R13), Z11
	VPORD Z11, Z11, Z11
	VPDPBUSD Z28, Z10, Z16
	VPDPBUSD Z28, Z11, Z17
	VPBROADCASTD 20(SI), Z29
	VMOVDQU32 640(R13), Z12
	VPORD Z12, Z12, Z12
	VMOVDQU32 704(R13), Z13
	VPORD Z13, Z13, Z13
	VPDPBUSD Z29, Z12, Z18
	VPDPBUSD Z29, Z13, Z19
	VPBROADCASTD 24(SI), Z30
	VMOVDQU32 768(R13), Z8
	VPORD Z8, Z8, Z8
	VMOVDQU32 832(R13), Z9
	VPORD Z9, Z9, Z9
	VPDPBUSD Z30, Z8, Z16
	VPDPBUSD Z30, Z9, Z17
	VPBROADCASTD 28(SI), Z31
	VMOVDQU32 896(R13), Z10
	VPORD Z10, Z10, Z10
	VMOVDQU32 960(R13), Z11
	VPORD Z11, Z11, Z11
	VPDPBUSD Z31, Z10, Z18
	VPDPBUSD Z31, Z11, Z19
	VPADDD Z18, Z16, Z16
	VPADDD Z19, Z17, Z17
	VPBROADCASTD (R10), Z22
	VPSLLD $7, Z22, Z22 // 128·Σxq: the stored bytes carry +128
	VPSUBD Z22, Z16, Z16
	VPSUBD Z22, Z17, Z17
	VBROADCASTSS (R9), Z23
	VCVTDQ2PS Z16, Z16
	VCVTDQ2PS Z17, Z17
	VCVTPH2PS 0(R8), Z20
	VCVTPH2PS 32(R8), Z21
	VMULPS Z23, Z20, Z20
	VMULPS Z23, Z21, Z21
	VMULPS Z20, Z16, Z16
	VMULPS Z21, Z17, Z17
	VADDPS Z16, Z0, Z0
	VADDPS Z17, Z1, Z1
	ADDQ $1024, R13
	ADDQ $64, R8
	ADDQ $32, SI
	ADDQ $4, R9
	ADDQ $4, R10
	DECQ CX
	JNZ  q8block
	VMOVUPS Z0, 0(DI)
	VMOVUPS Z1, 64(DI)
	ADDQ $128, DI
	ADDQ pstride+16(FP), DX
	ADDQ sstride+56(FP), BX
	DECQ R12
	JNZ  q8panel
q8done:
	VZEROUPPER
	RET

// func gemvQ4VNNI(acc *float32, w *byte, pstride int, xq *int8, xs, xsm *float32, scale *float32, sstride, nb, np int)
TEXT ·gemvQ4VNNI(SB), NOSPLIT, $0-80
	MOVQ acc+0(FP), DI
	MOVQ w+8(FP), DX
	MOVQ scale+48(FP), BX
	MOVQ np+72(FP), R12
	TESTQ R12, R12
	JZ   q4done
	CMPQ nb+64(FP), $0
	JEQ  q4done
	MOVL $0x0f0f0f0f, R11
	VPBROADCASTD R11, Z15
q4panel:
	MOVQ xq+24(FP), SI
	MOVQ xs+32(FP), R9
	MOVQ xsm+40(FP), R10
	MOVQ nb+64(FP), CX
	MOVQ DX, R13
	MOVQ BX, R8
	VMOVUPS 0(DI), Z0
	VMOVUPS 64(DI), Z1
q4block:
	VPXORD Z16, Z16, Z16
	VPXORD Z17, Z17, Z17
	VPXORD Z18, Z18, Z18
	VPXORD Z19, Z19, Z19
	VPBROADCASTD 0(SI), Z24
	VMOVDQU32 0(R13), Z8
	VPANDND Z8, Z15, Z9
	VPANDD Z15, Z8, Z8
	VPDPBUSD Z24, Z8, Z16
	VPDPBUSD Z24, Z9, Z17
	VPBROADCASTD 4(SI), Z25
	VMOVDQU32 64(R13), Z10
	VPANDND Z10, Z15, Z11
	VPANDD Z15, Z10, Z10
	VPDPBUSD Z25, Z10, Z18
	VPDPBUSD Z25, Z11, Z19
	VPBROADCASTD 8(SI), Z26
	VMOVDQU32 128(R13), Z12
	VPANDND Z12, Z15, Z13
	VPANDD Z15, Z12, Z12
	VPDPBUSD Z26, Z12, Z16
	VPDPBUSD Z26, Z13, Z17
	VPBROADCASTD 12(SI), Z27
	VMOVDQU32 192(R13), Z8
	VPANDND Z8, Z15, Z9
	VPANDD Z15, Z8, Z8
	VPDPBUSD Z27, Z8, Z18
	VPDPBUSD Z27, Z9, Z19
	VPBROADCASTD 16(SI), Z28
	VMOVDQU32 256(R13), Z10
	VPANDND Z10, Z15, Z11
	VPANDD Z15, Z10, Z10
	VPDPBUSD Z28, Z10, Z16
	VPDPBUSD Z28, Z11, Z17
	VPBROADCASTD 20(SI), Z29
	VMOVDQU32 320(R13), Z12
	VPANDND Z12, Z15, Z13
	VPANDD Z15, Z12, Z12
	VPDPBUSD Z29, Z12, Z18
	VPDPBUSD Z29, Z13, Z19
	VPBROADCASTD 24(SI), Z30
	VMOVDQU32 384(R13), Z8
	VPANDND Z8, Z15, Z9
	VPANDD Z15, Z8, Z8
	VPDPBUSD Z30, Z8, Z16
	VPDPBUSD Z30, Z9, Z17
	VPBROADCASTD 28(SI), Z31
	VMOVDQU32 448(R13), Z10
	VPANDND Z10, Z15, Z11
	VPANDD Z15, Z10, Z10
	VPDPBUSD Z31, Z10, Z18
	VPDPBUSD Z31, Z11, Z19
	VPADDD Z18, Z16, Z16
	VPADDD Z19, Z17, Z17
	VPSRAD $4, Z17, Z17 // the high nibbles were summed as 16·q: exact
	VBROADCASTSS (R9), Z23
	VCVTDQ2PS Z16, Z16
	VCVTDQ2PS Z17, Z17
	VCVTPH2PS 0(R8), Z20
	VCVTPH2PS 32(R8), Z21
	VMULPS Z23, Z20, Z20
	VMULPS Z23, Z21, Z21
	VMULPS Z20, Z16, Z16
	VMULPS Z21, Z17, Z17
	VADDPS Z16, Z0, Z0
	VADDPS Z17, Z1, Z1
	VBROADCASTSS (R10), Z22
	VCVTPH2PS 64(R8), Z20 // min·Σx
	VCVTPH2PS 96(R8), Z21
	VMULPS Z22, Z20, Z20
	VMULPS Z22, Z21, Z21
	VADDPS Z20, Z0, Z0
	VADDPS Z21, Z1, Z1
	ADDQ $512, R13
	ADDQ $128, R8
	ADDQ $32, SI
	ADDQ $4, R9
	ADDQ $4, R10
	DECQ CX
	JNZ  q4block
	VMOVUPS Z0, 0(DI)
	VMOVUPS Z1, 64(DI)
	ADDQ $128, DI
	ADDQ pstride+16(FP), DX
	ADDQ sstride+56(FP), BX
	DECQ R12
	JNZ  q4panel
q4done:
	VZEROUPPER
	RET
