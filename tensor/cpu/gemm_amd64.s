#include "textflag.h"

// func cpuidex(leaf, sub uint32) (a, b, c, d uint32)
TEXT ·cpuidex(SB), NOSPLIT, $0-24
	MOVL leaf+0(FP), AX
	MOVL sub+4(FP), CX
	CPUID
	MOVL AX, a+8(FP)
	MOVL BX, b+12(FP)
	MOVL CX, c+16(FP)
	MOVL DX, d+20(FP)
	RET

// func xgetbv0() (eax uint32)
TEXT ·xgetbv0(SB), NOSPLIT, $0-4
	MOVL $0, CX
	XGETBV
	MOVL AX, eax+0(FP)
	RET

#define ROW(off, ra, rb) \
	VBROADCASTSS off(SI), Y2; \
	VFMADD231PS Y0, Y2, ra; \
	VFMADD231PS Y1, Y2, rb

#define STEP(aoff, boff) \
	VMOVUPS boff(DI), Y0; \
	VMOVUPS boff+32(DI), Y1; \
	ROW(aoff+0, Y4, Y5); \
	ROW(aoff+4, Y6, Y7); \
	ROW(aoff+8, Y8, Y9); \
	ROW(aoff+12, Y10, Y11); \
	ROW(aoff+16, Y12, Y13); \
	ROW(aoff+20, Y14, Y15)

// func kern6x16(k int, a, b, c *float32, ldc int, acc bool)
//
// c[i*ldc+j] (+)= sum_p a[p*6+i] * b[p*16+j] for i < 6, j < 16: the AVX2/FMA
// micro-kernel. a and b are packed panels; with acc false c is overwritten.
TEXT ·kern6x16(SB), NOSPLIT, $0-41
	MOVQ k+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ b+16(FP), DI
	MOVQ c+24(FP), DX
	MOVQ ldc+32(FP), R8
	SHLQ $2, R8
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	VXORPS Y8, Y8, Y8
	VXORPS Y9, Y9, Y9
	VXORPS Y10, Y10, Y10
	VXORPS Y11, Y11, Y11
	VXORPS Y12, Y12, Y12
	VXORPS Y13, Y13, Y13
	VXORPS Y14, Y14, Y14
	VXORPS Y15, Y15, Y15
	CMPQ CX, $4
	JLT  tail

loop4:
	STEP(0, 0)
	STEP(24, 64)
	STEP(48, 128)
	STEP(72, 192)
	ADDQ $96, SI
	ADDQ $256, DI
	SUBQ $4, CX
	CMPQ CX, $4
	JGE  loop4

tail:
	TESTQ CX, CX
	JZ    done

loop1:
	STEP(0, 0)
	ADDQ $24, SI
	ADDQ $64, DI
	DECQ CX
	JNZ  loop1

done:
	MOVBLZX acc+40(FP), AX
	TESTL   AX, AX
	JZ      store
	VADDPS  (DX), Y4, Y4
	VADDPS  32(DX), Y5, Y5
	VMOVUPS Y4, (DX)
	VMOVUPS Y5, 32(DX)
	ADDQ    R8, DX
	VADDPS  (DX), Y6, Y6
	VADDPS  32(DX), Y7, Y7
	VMOVUPS Y6, (DX)
	VMOVUPS Y7, 32(DX)
	ADDQ    R8, DX
	VADDPS  (DX), Y8, Y8
	VADDPS  32(DX), Y9, Y9
	VMOVUPS Y8, (DX)
	VMOVUPS Y9, 32(DX)
	ADDQ    R8, DX
	VADDPS  (DX), Y10, Y10
	VADDPS  32(DX), Y11, Y11
	VMOVUPS Y10, (DX)
	VMOVUPS Y11, 32(DX)
	ADDQ    R8, DX
	VADDPS  (DX), Y12, Y12
	VADDPS  32(DX), Y13, Y13
	VMOVUPS Y12, (DX)
	VMOVUPS Y13, 32(DX)
	ADDQ    R8, DX
	VADDPS  (DX), Y14, Y14
	VADDPS  32(DX), Y15, Y15
	VMOVUPS Y14, (DX)
	VMOVUPS Y15, 32(DX)
	VZEROUPPER
	RET

store:
	VMOVUPS Y4, (DX)
	VMOVUPS Y5, 32(DX)
	ADDQ    R8, DX
	VMOVUPS Y6, (DX)
	VMOVUPS Y7, 32(DX)
	ADDQ    R8, DX
	VMOVUPS Y8, (DX)
	VMOVUPS Y9, 32(DX)
	ADDQ    R8, DX
	VMOVUPS Y10, (DX)
	VMOVUPS Y11, 32(DX)
	ADDQ    R8, DX
	VMOVUPS Y12, (DX)
	VMOVUPS Y13, 32(DX)
	ADDQ    R8, DX
	VMOVUPS Y14, (DX)
	VMOVUPS Y15, 32(DX)
	VZEROUPPER
	RET

// func packRowsNR(dst *float32, stride int, src *float32, chunks int)
//
// Copies chunks runs of 16 floats from src (contiguous) to dst, dst
// advancing by stride floats per run: one row of a B block into its panels.
TEXT ·packRowsNR(SB), NOSPLIT, $0-32
	MOVQ dst+0(FP), DI
	MOVQ stride+8(FP), R8
	SHLQ $2, R8
	MOVQ src+16(FP), SI
	MOVQ chunks+24(FP), CX
	TESTQ CX, CX
	JZ   prdone

prloop:
	VMOVUPS (SI), Y0
	VMOVUPS 32(SI), Y1
	VMOVUPS Y0, (DI)
	VMOVUPS Y1, 32(DI)
	ADDQ $64, SI
	ADDQ R8, DI
	DECQ CX
	JNZ  prloop

prdone:
	VZEROUPPER
	RET

// 8x8 transpose of Y0..Y7 (rows) into Y8..Y15 (columns), using the
// registers in between as scratch.
#define TRANSPOSE8 \
	VUNPCKLPS Y1, Y0, Y8; \
	VUNPCKHPS Y1, Y0, Y9; \
	VUNPCKLPS Y3, Y2, Y10; \
	VUNPCKHPS Y3, Y2, Y11; \
	VUNPCKLPS Y5, Y4, Y12; \
	VUNPCKHPS Y5, Y4, Y13; \
	VUNPCKLPS Y7, Y6, Y14; \
	VUNPCKHPS Y7, Y6, Y15; \
	VSHUFPS $0x44, Y10, Y8, Y0; \
	VSHUFPS $0xEE, Y10, Y8, Y1; \
	VSHUFPS $0x44, Y11, Y9, Y2; \
	VSHUFPS $0xEE, Y11, Y9, Y3; \
	VSHUFPS $0x44, Y14, Y12, Y4; \
	VSHUFPS $0xEE, Y14, Y12, Y5; \
	VSHUFPS $0x44, Y15, Y13, Y6; \
	VSHUFPS $0xEE, Y15, Y13, Y7; \
	VPERM2F128 $0x20, Y4, Y0, Y8; \
	VPERM2F128 $0x20, Y5, Y1, Y9; \
	VPERM2F128 $0x20, Y6, Y2, Y10; \
	VPERM2F128 $0x20, Y7, Y3, Y11; \
	VPERM2F128 $0x31, Y4, Y0, Y12; \
	VPERM2F128 $0x31, Y5, Y1, Y13; \
	VPERM2F128 $0x31, Y6, Y2, Y14; \
	VPERM2F128 $0x31, Y7, Y3, Y15

#define LOAD4(base) \
	VMOVUPS (base), Y0; \
	VMOVUPS (base)(R8*1), Y1; \
	VMOVUPS (base)(R8*2), Y2; \
	VMOVUPS (base)(R9*1), Y3

#define LOAD4HI(base) \
	VMOVUPS (base), Y4; \
	VMOVUPS (base)(R8*1), Y5; \
	VMOVUPS (base)(R8*2), Y6; \
	VMOVUPS (base)(R9*1), Y7

#define STORE8(off) \
	VMOVUPS Y8, off+0(DI); \
	VMOVUPS Y9, off+64(DI); \
	VMOVUPS Y10, off+128(DI); \
	VMOVUPS Y11, off+192(DI); \
	VMOVUPS Y12, off+256(DI); \
	VMOVUPS Y13, off+320(DI); \
	VMOVUPS Y14, off+384(DI); \
	VMOVUPS Y15, off+448(DI)

// func transpose16x8(dst, src *float32, ld, blocks int)
//
// For each of blocks blocks of 8 columns: the 16 x 8 block of src (rows ld
// floats apart) is written transposed as 8 rows of 16 floats to dst.
TEXT ·transpose16x8(SB), NOSPLIT, $0-32
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ ld+16(FP), R8
	SHLQ $2, R8
	MOVQ blocks+24(FP), CX
	LEAQ (R8)(R8*2), R9
	LEAQ (SI)(R8*4), R10
	LEAQ (R10)(R8*4), R11
	LEAQ (R11)(R8*4), R12
	TESTQ CX, CX
	JZ   trdone

trloop:
	LOAD4(SI)
	LOAD4HI(R10)
	TRANSPOSE8
	STORE8(0)
	LOAD4(R11)
	LOAD4HI(R12)
	TRANSPOSE8
	STORE8(32)
	ADDQ $32, SI
	ADDQ $32, R10
	ADDQ $32, R11
	ADDQ $32, R12
	ADDQ $512, DI
	DECQ CX
	JNZ  trloop

trdone:
	VZEROUPPER
	RET

// Edge kernels for the last row panel of a block when it has 4 or 2 of its
// 6 rows (channel counts that are powers of two leave these): the same
// packed layout (A panels stay 6 wide), fewer accumulators, C written
// directly.

#define STEP4(aoff, boff) \
	VMOVUPS boff(DI), Y0; \
	VMOVUPS boff+32(DI), Y1; \
	ROW(aoff+0, Y4, Y5); \
	ROW(aoff+4, Y6, Y7); \
	ROW(aoff+8, Y8, Y9); \
	ROW(aoff+12, Y10, Y11)

#define STEP2(aoff, boff) \
	VMOVUPS boff(DI), Y0; \
	VMOVUPS boff+32(DI), Y1; \
	ROW(aoff+0, Y4, Y5); \
	ROW(aoff+4, Y6, Y7)

#define STOREROW(ra, rb) \
	TESTL   AX, AX; \
	JZ      2(PC); \
	VADDPS  (DX), ra, ra; \
	TESTL   AX, AX; \
	JZ      2(PC); \
	VADDPS  32(DX), rb, rb; \
	VMOVUPS ra, (DX); \
	VMOVUPS rb, 32(DX); \
	ADDQ    R8, DX

// func kern4x16(k int, a, b, c *float32, ldc int, acc bool)
TEXT ·kern4x16(SB), NOSPLIT, $0-41
	MOVQ k+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ b+16(FP), DI
	MOVQ c+24(FP), DX
	MOVQ ldc+32(FP), R8
	SHLQ $2, R8
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	VXORPS Y8, Y8, Y8
	VXORPS Y9, Y9, Y9
	VXORPS Y10, Y10, Y10
	VXORPS Y11, Y11, Y11

k4loop:
	STEP4(0, 0)
	ADDQ $24, SI
	ADDQ $64, DI
	DECQ CX
	JNZ  k4loop

	MOVBLZX acc+40(FP), AX
	STOREROW(Y4, Y5)
	STOREROW(Y6, Y7)
	STOREROW(Y8, Y9)
	STOREROW(Y10, Y11)
	VZEROUPPER
	RET

// func kern2x16(k int, a, b, c *float32, ldc int, acc bool)
TEXT ·kern2x16(SB), NOSPLIT, $0-41
	MOVQ k+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ b+16(FP), DI
	MOVQ c+24(FP), DX
	MOVQ ldc+32(FP), R8
	SHLQ $2, R8
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7

k2loop:
	STEP2(0, 0)
	ADDQ $24, SI
	ADDQ $64, DI
	DECQ CX
	JNZ  k2loop

	MOVBLZX acc+40(FP), AX
	STOREROW(Y4, Y5)
	STOREROW(Y6, Y7)
	VZEROUPPER
	RET
