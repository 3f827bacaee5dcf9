//go:build amd64

#include "textflag.h"

// The constants and the exp of nn_avx512_amd64.s, eight lanes wide.
DATA nnc256<>+0(SB)/4, $0xc2b00000 // lo
DATA nnc256<>+4(SB)/4, $0xc2b00000 // lo
DATA nnc256<>+8(SB)/4, $0xc2b00000 // lo
DATA nnc256<>+12(SB)/4, $0xc2b00000 // lo
DATA nnc256<>+16(SB)/4, $0xc2b00000 // lo
DATA nnc256<>+20(SB)/4, $0xc2b00000 // lo
DATA nnc256<>+24(SB)/4, $0xc2b00000 // lo
DATA nnc256<>+28(SB)/4, $0xc2b00000 // lo
DATA nnc256<>+32(SB)/4, $0x42b0999a // hi
DATA nnc256<>+36(SB)/4, $0x42b0999a // hi
DATA nnc256<>+40(SB)/4, $0x42b0999a // hi
DATA nnc256<>+44(SB)/4, $0x42b0999a // hi
DATA nnc256<>+48(SB)/4, $0x42b0999a // hi
DATA nnc256<>+52(SB)/4, $0x42b0999a // hi
DATA nnc256<>+56(SB)/4, $0x42b0999a // hi
DATA nnc256<>+60(SB)/4, $0x42b0999a // hi
DATA nnc256<>+64(SB)/4, $0x3fb8aa3b // log2e
DATA nnc256<>+68(SB)/4, $0x3fb8aa3b // log2e
DATA nnc256<>+72(SB)/4, $0x3fb8aa3b // log2e
DATA nnc256<>+76(SB)/4, $0x3fb8aa3b // log2e
DATA nnc256<>+80(SB)/4, $0x3fb8aa3b // log2e
DATA nnc256<>+84(SB)/4, $0x3fb8aa3b // log2e
DATA nnc256<>+88(SB)/4, $0x3fb8aa3b // log2e
DATA nnc256<>+92(SB)/4, $0x3fb8aa3b // log2e
DATA nnc256<>+96(SB)/4, $0x3f318000 // ln2hi
DATA nnc256<>+100(SB)/4, $0x3f318000 // ln2hi
DATA nnc256<>+104(SB)/4, $0x3f318000 // ln2hi
DATA nnc256<>+108(SB)/4, $0x3f318000 // ln2hi
DATA nnc256<>+112(SB)/4, $0x3f318000 // ln2hi
DATA nnc256<>+116(SB)/4, $0x3f318000 // ln2hi
DATA nnc256<>+120(SB)/4, $0x3f318000 // ln2hi
DATA nnc256<>+124(SB)/4, $0x3f318000 // ln2hi
DATA nnc256<>+128(SB)/4, $0xb95e8083 // ln2lo
DATA nnc256<>+132(SB)/4, $0xb95e8083 // ln2lo
DATA nnc256<>+136(SB)/4, $0xb95e8083 // ln2lo
DATA nnc256<>+140(SB)/4, $0xb95e8083 // ln2lo
DATA nnc256<>+144(SB)/4, $0xb95e8083 // ln2lo
DATA nnc256<>+148(SB)/4, $0xb95e8083 // ln2lo
DATA nnc256<>+152(SB)/4, $0xb95e8083 // ln2lo
DATA nnc256<>+156(SB)/4, $0xb95e8083 // ln2lo
DATA nnc256<>+160(SB)/4, $0x39506967 // p0
DATA nnc256<>+164(SB)/4, $0x39506967 // p0
DATA nnc256<>+168(SB)/4, $0x39506967 // p0
DATA nnc256<>+172(SB)/4, $0x39506967 // p0
DATA nnc256<>+176(SB)/4, $0x39506967 // p0
DATA nnc256<>+180(SB)/4, $0x39506967 // p0
DATA nnc256<>+184(SB)/4, $0x39506967 // p0
DATA nnc256<>+188(SB)/4, $0x39506967 // p0
DATA nnc256<>+192(SB)/4, $0x3ab743ce // p1
DATA nnc256<>+196(SB)/4, $0x3ab743ce // p1
DATA nnc256<>+200(SB)/4, $0x3ab743ce // p1
DATA nnc256<>+204(SB)/4, $0x3ab743ce // p1
DATA nnc256<>+208(SB)/4, $0x3ab743ce // p1
DATA nnc256<>+212(SB)/4, $0x3ab743ce // p1
DATA nnc256<>+216(SB)/4, $0x3ab743ce // p1
DATA nnc256<>+220(SB)/4, $0x3ab743ce // p1
DATA nnc256<>+224(SB)/4, $0x3c088908 // p2
DATA nnc256<>+228(SB)/4, $0x3c088908 // p2
DATA nnc256<>+232(SB)/4, $0x3c088908 // p2
DATA nnc256<>+236(SB)/4, $0x3c088908 // p2
DATA nnc256<>+240(SB)/4, $0x3c088908 // p2
DATA nnc256<>+244(SB)/4, $0x3c088908 // p2
DATA nnc256<>+248(SB)/4, $0x3c088908 // p2
DATA nnc256<>+252(SB)/4, $0x3c088908 // p2
DATA nnc256<>+256(SB)/4, $0x3d2aa9c1 // p3
DATA nnc256<>+260(SB)/4, $0x3d2aa9c1 // p3
DATA nnc256<>+264(SB)/4, $0x3d2aa9c1 // p3
DATA nnc256<>+268(SB)/4, $0x3d2aa9c1 // p3
DATA nnc256<>+272(SB)/4, $0x3d2aa9c1 // p3
DATA nnc256<>+276(SB)/4, $0x3d2aa9c1 // p3
DATA nnc256<>+280(SB)/4, $0x3d2aa9c1 // p3
DATA nnc256<>+284(SB)/4, $0x3d2aa9c1 // p3
DATA nnc256<>+288(SB)/4, $0x3e2aaaaa // p4
DATA nnc256<>+292(SB)/4, $0x3e2aaaaa // p4
DATA nnc256<>+296(SB)/4, $0x3e2aaaaa // p4
DATA nnc256<>+300(SB)/4, $0x3e2aaaaa // p4
DATA nnc256<>+304(SB)/4, $0x3e2aaaaa // p4
DATA nnc256<>+308(SB)/4, $0x3e2aaaaa // p4
DATA nnc256<>+312(SB)/4, $0x3e2aaaaa // p4
DATA nnc256<>+316(SB)/4, $0x3e2aaaaa // p4
DATA nnc256<>+320(SB)/4, $0x3f000000 // p5
DATA nnc256<>+324(SB)/4, $0x3f000000 // p5
DATA nnc256<>+328(SB)/4, $0x3f000000 // p5
DATA nnc256<>+332(SB)/4, $0x3f000000 // p5
DATA nnc256<>+336(SB)/4, $0x3f000000 // p5
DATA nnc256<>+340(SB)/4, $0x3f000000 // p5
DATA nnc256<>+344(SB)/4, $0x3f000000 // p5
DATA nnc256<>+348(SB)/4, $0x3f000000 // p5
DATA nnc256<>+352(SB)/4, $0x3f800000 // one
DATA nnc256<>+356(SB)/4, $0x3f800000 // one
DATA nnc256<>+360(SB)/4, $0x3f800000 // one
DATA nnc256<>+364(SB)/4, $0x3f800000 // one
DATA nnc256<>+368(SB)/4, $0x3f800000 // one
DATA nnc256<>+372(SB)/4, $0x3f800000 // one
DATA nnc256<>+376(SB)/4, $0x3f800000 // one
DATA nnc256<>+380(SB)/4, $0x3f800000 // one
DATA nnc256<>+384(SB)/4, $0xbfcc422a // k1
DATA nnc256<>+388(SB)/4, $0xbfcc422a // k1
DATA nnc256<>+392(SB)/4, $0xbfcc422a // k1
DATA nnc256<>+396(SB)/4, $0xbfcc422a // k1
DATA nnc256<>+400(SB)/4, $0xbfcc422a // k1
DATA nnc256<>+404(SB)/4, $0xbfcc422a // k1
DATA nnc256<>+408(SB)/4, $0xbfcc422a // k1
DATA nnc256<>+412(SB)/4, $0xbfcc422a // k1
DATA nnc256<>+416(SB)/4, $0xbd922279 // k2
DATA nnc256<>+420(SB)/4, $0xbd922279 // k2
DATA nnc256<>+424(SB)/4, $0xbd922279 // k2
DATA nnc256<>+428(SB)/4, $0xbd922279 // k2
DATA nnc256<>+432(SB)/4, $0xbd922279 // k2
DATA nnc256<>+436(SB)/4, $0xbd922279 // k2
DATA nnc256<>+440(SB)/4, $0xbd922279 // k2
DATA nnc256<>+444(SB)/4, $0xbd922279 // k2
DATA nnc256<>+448(SB)/4, $0x0000007f // 127
DATA nnc256<>+452(SB)/4, $0x0000007f // 127
DATA nnc256<>+456(SB)/4, $0x0000007f // 127
DATA nnc256<>+460(SB)/4, $0x0000007f // 127
DATA nnc256<>+464(SB)/4, $0x0000007f // 127
DATA nnc256<>+468(SB)/4, $0x0000007f // 127
DATA nnc256<>+472(SB)/4, $0x0000007f // 127
DATA nnc256<>+476(SB)/4, $0x0000007f // 127
GLOBL nnc256<>(SB), RODATA|NOPTR, $480

// func geluAVX2(x *float32, n int)
//
// geluAVX512 over n floats, n a multiple of 8.
TEXT ·geluAVX2(SB), NOSPLIT, $0-16
	MOVQ x+0(FP), SI
	MOVQ n+8(FP), CX
	SHRQ $3, CX
	JZ   done
loop:
	VMOVUPS (SI), Y0
	VMULPS Y0, Y0, Y1
	VMOVUPS nnc256<>+416(SB), Y2
	VFMADD213PS nnc256<>+384(SB), Y1, Y2
	VMULPS Y0, Y2, Y1
	VMAXPS nnc256<>+0(SB), Y1, Y1
	VMINPS nnc256<>+32(SB), Y1, Y1
	VMULPS nnc256<>+64(SB), Y1, Y2
	VROUNDPS $0, Y2, Y2
	VFNMADD231PS nnc256<>+96(SB), Y2, Y1
	VFNMADD231PS nnc256<>+128(SB), Y2, Y1
	VMOVUPS nnc256<>+160(SB), Y3
	VFMADD213PS nnc256<>+192(SB), Y1, Y3
	VFMADD213PS nnc256<>+224(SB), Y1, Y3
	VFMADD213PS nnc256<>+256(SB), Y1, Y3
	VFMADD213PS nnc256<>+288(SB), Y1, Y3
	VFMADD213PS nnc256<>+320(SB), Y1, Y3
	VMULPS Y1, Y1, Y4
	VFMADD213PS Y1, Y4, Y3
	VADDPS nnc256<>+352(SB), Y3, Y3
	VCVTPS2DQ Y2, Y2
	VPADDD nnc256<>+448(SB), Y2, Y2
	VPSLLD $23, Y2, Y2
	VMULPS Y2, Y3, Y3
	VADDPS nnc256<>+352(SB), Y3, Y3
	VDIVPS Y3, Y0, Y0
	VMOVUPS Y0, (SI)
	ADDQ $32, SI
	DECQ CX
	JNZ  loop
done:
	VZEROUPPER
	RET

// func expSumAVX2(x *float32, n int, mx float32) float32
//
// expSumAVX512 over n floats, n a multiple of 8, summed in 8 lanes.
TEXT ·expSumAVX2(SB), NOSPLIT, $0-28
	MOVQ x+0(FP), SI
	MOVQ n+8(FP), CX
	VBROADCASTSS mx+16(FP), Y5
	VXORPS Y6, Y6, Y6
	SHRQ $3, CX
	JZ   reduce
loop:
	VMOVUPS (SI), Y0
	VSUBPS Y5, Y0, Y0
	VMAXPS nnc256<>+0(SB), Y0, Y0
	VMINPS nnc256<>+32(SB), Y0, Y0
	VMULPS nnc256<>+64(SB), Y0, Y2
	VROUNDPS $0, Y2, Y2
	VFNMADD231PS nnc256<>+96(SB), Y2, Y0
	VFNMADD231PS nnc256<>+128(SB), Y2, Y0
	VMOVUPS nnc256<>+160(SB), Y3
	VFMADD213PS nnc256<>+192(SB), Y0, Y3
	VFMADD213PS nnc256<>+224(SB), Y0, Y3
	VFMADD213PS nnc256<>+256(SB), Y0, Y3
	VFMADD213PS nnc256<>+288(SB), Y0, Y3
	VFMADD213PS nnc256<>+320(SB), Y0, Y3
	VMULPS Y0, Y0, Y4
	VFMADD213PS Y0, Y4, Y3
	VADDPS nnc256<>+352(SB), Y3, Y3
	VCVTPS2DQ Y2, Y2
	VPADDD nnc256<>+448(SB), Y2, Y2
	VPSLLD $23, Y2, Y2
	VMULPS Y2, Y3, Y3
	VMOVUPS Y3, (SI)
	VADDPS Y3, Y6, Y6
	ADDQ $32, SI
	DECQ CX
	JNZ  loop
reduce:
	VEXTRACTF128 $1, Y6, X1
	VADDPS X1, X6, X6
	VPERMILPS $0x4e, X6, X1
	VADDPS X1, X6, X6
	VPERMILPS $0xb1, X6, X1
	VADDPS X1, X6, X6
	VMOVSS X6, ret+24(FP)
	VZEROUPPER
	RET
