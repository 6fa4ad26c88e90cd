#include "textflag.h"

// AVX2 versions of the hot loops in kernels_simd.go. They use separate
// multiplies and adds (no FMA) in the same order as the Go code, so both
// paths give bit-identical results (kernels_simd_test.go checks it).

// func cpuid(eax, ecx uint32) (a, b, c, d uint32)
TEXT ·cpuid(SB), NOSPLIT, $0-24
	MOVL eax+0(FP), AX
	MOVL ecx+4(FP), CX
	CPUID
	MOVL AX, a+8(FP)
	MOVL BX, b+12(FP)
	MOVL CX, c+16(FP)
	MOVL DX, d+20(FP)
	RET

// func xgetbv0() uint32
TEXT ·xgetbv0(SB), NOSPLIT, $0-4
	MOVL $0, CX
	XGETBV
	MOVL AX, ret+0(FP)
	RET

// func sumAXPBY8(gs, p *float32, n int, c, w float32) float64
// Sum of float64(c*g[i] + w*p[i]) over n (a multiple of 8) values, in 8
// lanes (lane j takes i%8 == j), combined as ((l0+l4)+(l2+l6))+((l1+l5)+(l3+l7)).
TEXT ·sumAXPBY8(SB), NOSPLIT, $0-40
	MOVQ gs+0(FP), SI
	MOVQ p+8(FP), DI
	MOVQ n+16(FP), CX
	VBROADCASTSS c+24(FP), Y6
	VBROADCASTSS w+28(FP), Y7
	VXORPD Y0, Y0, Y0
	VXORPD Y1, Y1, Y1
	XORQ AX, AX
sumloop:
	CMPQ AX, CX
	JAE sumdone
	VMULPS (SI)(AX*4), Y6, Y2
	VMULPS (DI)(AX*4), Y7, Y3
	VADDPS Y3, Y2, Y2
	VCVTPS2PD X2, Y4
	VEXTRACTF128 $1, Y2, X5
	VCVTPS2PD X5, Y5
	VADDPD Y4, Y0, Y0
	VADDPD Y5, Y1, Y1
	ADDQ $8, AX
	JMP sumloop
sumdone:
	VADDPD Y1, Y0, Y0
	VEXTRACTF128 $1, Y0, X1
	VADDPD X1, X0, X0
	VHADDPD X0, X0, X0
	VZEROUPPER
	MOVSD X0, ret+32(FP)
	RET

// func gcSum8(gs, p *float32, n int, c, w float32, flags int) float64
// gcRowSum over n (a multiple of 8) values: d = c*g + w*p in float32
// (flags&rowGradOnly: d = g, p unread), summed in float32 lanes (lane j
// takes i%8 == j) over runs of 64 values (the last one shorter); after
// each run the lanes go to float64 totals, combined as combine8.
TEXT ·gcSum8(SB), NOSPLIT, $0-48
	MOVQ gs+0(FP), SI
	MOVQ p+8(FP), DI
	MOVQ n+16(FP), CX
	MOVQ flags+32(FP), R8
	VBROADCASTSS c+24(FP), Y4
	VBROADCASTSS w+28(FP), Y5
	VXORPD Y14, Y14, Y14
	VXORPD Y15, Y15, Y15
	XORQ AX, AX
gschunk:
	CMPQ AX, CX
	JAE gsdone
	LEAQ 64(AX), BX
	CMPQ BX, CX
	CMOVQHI CX, BX
	VXORPS Y6, Y6, Y6
	TESTQ $2, R8
	JNZ gsg
gssum:
	VMULPS (SI)(AX*4), Y4, Y2
	VMULPS (DI)(AX*4), Y5, Y3
	VADDPS Y3, Y2, Y2
	VADDPS Y2, Y6, Y6
	ADDQ $8, AX
	CMPQ AX, BX
	JB gssum
	JMP gsflush
gsg:
	VADDPS (SI)(AX*4), Y6, Y6
	ADDQ $8, AX
	CMPQ AX, BX
	JB gsg
gsflush:
	VCVTPS2PD X6, Y0
	VEXTRACTF128 $1, Y6, X1
	VCVTPS2PD X1, Y1
	VADDPD Y0, Y14, Y14
	VADDPD Y1, Y15, Y15
	JMP gschunk
gsdone:
	VADDPD Y15, Y14, Y0
	VEXTRACTF128 $1, Y0, X1
	VADDPD X1, X0, X0
	VHADDPD X0, X0, X0
	VZEROUPPER
	MOVSD X0, ret+40(FP)
	RET

// func sumSq8(gs *float32, n int) float64
// Sum of float64(g[i])^2 over n (a multiple of 8) values, lanes as sumAXPBY8.
TEXT ·sumSq8(SB), NOSPLIT, $0-24
	MOVQ gs+0(FP), SI
	MOVQ n+8(FP), CX
	VXORPD Y0, Y0, Y0
	VXORPD Y1, Y1, Y1
	XORQ AX, AX
sqloop:
	CMPQ AX, CX
	JAE sqdone
	VCVTPS2PD (SI)(AX*4), Y4
	VCVTPS2PD 16(SI)(AX*4), Y5
	VMULPD Y4, Y4, Y4
	VMULPD Y5, Y5, Y5
	VADDPD Y4, Y0, Y0
	VADDPD Y5, Y1, Y1
	ADDQ $8, AX
	JMP sqloop
sqdone:
	VADDPD Y1, Y0, Y0
	VEXTRACTF128 $1, Y0, X1
	VADDPD X1, X0, X0
	VHADDPD X0, X0, X0
	VZEROUPPER
	MOVSD X0, ret+16(FP)
	RET

// func sgdMomentum8(p, gs, a *float32, n int, k *sgdConsts)
// For n (a multiple of 8) values:
//   d = (clip*g + wd*p) - mu; b = mom*a + damp1*d; a = b; p = p - lr*b
TEXT ·sgdMomentum8(SB), NOSPLIT, $0-40
	MOVQ p+0(FP), DI
	MOVQ gs+8(FP), SI
	MOVQ a+16(FP), DX
	MOVQ n+24(FP), CX
	MOVQ k+32(FP), R8
	VBROADCASTSS 0(R8), Y8   // clip
	VBROADCASTSS 4(R8), Y9   // wd
	VBROADCASTSS 8(R8), Y10  // mu
	VBROADCASTSS 12(R8), Y11 // mom
	VBROADCASTSS 16(R8), Y12 // damp1
	VBROADCASTSS 20(R8), Y13 // lr
	XORQ AX, AX
sgdloop:
	CMPQ AX, CX
	JAE sgddone
	VMOVUPS (DI)(AX*4), Y0     // p
	VMULPS (SI)(AX*4), Y8, Y1  // clip*g
	VMULPS Y0, Y9, Y2          // wd*p
	VADDPS Y2, Y1, Y1
	VSUBPS Y10, Y1, Y1         // d
	VMULPS (DX)(AX*4), Y11, Y3 // mom*a
	VMULPS Y1, Y12, Y4         // damp1*d
	VADDPS Y4, Y3, Y3          // b
	VMOVUPS Y3, (DX)(AX*4)
	VMULPS Y3, Y13, Y5         // lr*b
	VSUBPS Y5, Y0, Y0
	VMOVUPS Y0, (DI)(AX*4)
	ADDQ $8, AX
	JMP sgdloop
sgddone:
	VZEROUPPER
	RET

// func adam8(p, gs, m, v *float32, n int, k *adamConsts)
// For n (a multiple of 8) values:
//   d = (clip*g + wd*p) - mu
//   m = b1*m + omb1*d; v = b2*v + (omb2*d)*d
//   den = sqrt(v)/bc2sqrt + eps; p = p*decay + (negStep*m)/den
TEXT ·adam8(SB), NOSPLIT, $0-48
	MOVQ p+0(FP), DI
	MOVQ gs+8(FP), SI
	MOVQ m+16(FP), DX
	MOVQ v+24(FP), BX
	MOVQ n+32(FP), CX
	MOVQ k+40(FP), R8
	VBROADCASTSS 0(R8), Y6   // clip
	VBROADCASTSS 4(R8), Y7   // wd
	VBROADCASTSS 8(R8), Y8   // mu
	VBROADCASTSS 12(R8), Y9  // b1
	VBROADCASTSS 16(R8), Y10 // omb1
	VBROADCASTSS 20(R8), Y11 // b2
	VBROADCASTSS 24(R8), Y12 // omb2
	VBROADCASTSS 28(R8), Y13 // bc2sqrt
	VBROADCASTSS 32(R8), Y14 // eps
	VBROADCASTSS 36(R8), Y15 // negStep
	XORQ AX, AX
adamloop:
	CMPQ AX, CX
	JAE adamdone
	VMOVUPS (DI)(AX*4), Y0     // p
	VMULPS (SI)(AX*4), Y6, Y1  // clip*g
	VMULPS Y0, Y7, Y2          // wd*p
	VADDPS Y2, Y1, Y1
	VSUBPS Y8, Y1, Y1          // d
	VMULPS (DX)(AX*4), Y9, Y2  // b1*m
	VMULPS Y1, Y10, Y3         // omb1*d
	VADDPS Y3, Y2, Y2          // m'
	VMOVUPS Y2, (DX)(AX*4)
	VMULPS (BX)(AX*4), Y11, Y3 // b2*v
	VMULPS Y1, Y12, Y4         // omb2*d
	VMULPS Y1, Y4, Y4          // (omb2*d)*d
	VADDPS Y4, Y3, Y3          // v'
	VMOVUPS Y3, (BX)(AX*4)
	VSQRTPS Y3, Y3
	VDIVPS Y13, Y3, Y3         // sqrt(v')/bc2sqrt
	VADDPS Y14, Y3, Y3         // den
	VMULPS Y2, Y15, Y2         // negStep*m'
	VDIVPS Y3, Y2, Y2          // /den
	VBROADCASTSS 40(R8), Y5    // decay
	VMULPS Y0, Y5, Y0          // p*decay
	VADDPS Y2, Y0, Y0
	VMOVUPS Y0, (DI)(AX*4)
	ADDQ $8, AX
	JMP adamloop
adamdone:
	VZEROUPPER
	RET

// func stream8(p, gs, a *float32, n int)
// The memory-traffic bound of a momentum step: a += g; p += a over n (a
// multiple of 8) values: the same three streams read and two written, with
// one add each (benchmarks only).
TEXT ·stream8(SB), NOSPLIT, $0-32
	MOVQ p+0(FP), DI
	MOVQ gs+8(FP), SI
	MOVQ a+16(FP), DX
	MOVQ n+24(FP), CX
	XORQ AX, AX
streamloop:
	CMPQ AX, CX
	JAE streamdone
	VMOVUPS (DX)(AX*4), Y0
	VADDPS (SI)(AX*4), Y0, Y0
	VMOVUPS Y0, (DX)(AX*4)
	VADDPS (DI)(AX*4), Y0, Y1
	VMOVUPS Y1, (DI)(AX*4)
	ADDQ $8, AX
	JMP streamloop
streamdone:
	VZEROUPPER
	RET

// func adamUpd8(p, gs, m, v, out *float32, n int, k *adamConsts)
// Adam/AdamW for GC on the update, over n (a multiple of 8) values:
//   d = clip*g + wd*p; m = b1*m + omb1*d; v = b2*v + (omb2*d)*d
//   out = (stepSize*m)/(sqrt(v)/bc2sqrt + eps) + lrwd*p
TEXT ·adamUpd8(SB), NOSPLIT, $0-56
	MOVQ p+0(FP), DI
	MOVQ gs+8(FP), SI
	MOVQ m+16(FP), DX
	MOVQ v+24(FP), BX
	MOVQ out+32(FP), R9
	MOVQ n+40(FP), CX
	MOVQ k+48(FP), R8
	VBROADCASTSS 0(R8), Y6   // clip
	VBROADCASTSS 4(R8), Y7   // wd
	VBROADCASTSS 12(R8), Y9  // b1
	VBROADCASTSS 16(R8), Y10 // omb1
	VBROADCASTSS 20(R8), Y11 // b2
	VBROADCASTSS 24(R8), Y12 // omb2
	VBROADCASTSS 28(R8), Y13 // bc2sqrt
	VBROADCASTSS 32(R8), Y14 // eps
	VBROADCASTSS 44(R8), Y15 // stepSize
	VBROADCASTSS 48(R8), Y8  // lrwd
	XORQ AX, AX
auloop:
	CMPQ AX, CX
	JAE audone
	VMOVUPS (DI)(AX*4), Y0
	VMULPS (SI)(AX*4), Y6, Y1
	VMULPS Y0, Y7, Y2
	VADDPS Y2, Y1, Y1          // d
	VMULPS (DX)(AX*4), Y9, Y2
	VMULPS Y1, Y10, Y3
	VADDPS Y3, Y2, Y2          // m'
	VMOVUPS Y2, (DX)(AX*4)
	VMULPS (BX)(AX*4), Y11, Y3
	VMULPS Y1, Y12, Y4
	VMULPS Y1, Y4, Y4
	VADDPS Y4, Y3, Y3          // v'
	VMOVUPS Y3, (BX)(AX*4)
	VSQRTPS Y3, Y3
	VDIVPS Y13, Y3, Y3
	VADDPS Y14, Y3, Y3         // den
	VMULPS Y2, Y15, Y2
	VDIVPS Y3, Y2, Y2          // stepSize*m'/den
	VMULPS Y0, Y8, Y4          // lrwd*p
	VADDPS Y4, Y2, Y2
	VMOVUPS Y2, (R9)(AX*4)
	ADDQ $8, AX
	JMP auloop
audone:
	VZEROUPPER
	RET

// func subShift8(p, u *float32, n int, mu float32)
// p = p - (u - mu) over n (a multiple of 8) values.
TEXT ·subShift8(SB), NOSPLIT, $0-28
	MOVQ p+0(FP), DI
	MOVQ u+8(FP), SI
	MOVQ n+16(FP), CX
	VBROADCASTSS mu+24(FP), Y2
	XORQ AX, AX
ssloop:
	CMPQ AX, CX
	JAE ssdone
	VMOVUPS (SI)(AX*4), Y0
	VSUBPS Y2, Y0, Y0
	VMOVUPS (DI)(AX*4), Y1
	VSUBPS Y0, Y1, Y1
	VMOVUPS Y1, (DI)(AX*4)
	ADDQ $8, AX
	JMP ssloop
ssdone:
	VZEROUPPER
	RET

// func sgdGCRows8(p, gs, a *float32, rows, m int, k *sgdConsts, flags int)
// SGD's common update with GC on the gradient over rows consecutive rows
// of m values (m a multiple of 8). Per row: a sum pass, gcSum8's sum of
// d = clip*g + wd*p (flags&rowGradOnly: of g; flags&rowPrefetch: it also
// prefetches the row's momentum buffer), mu = float32(sum/m), then an
// update pass, sgdMomentum8's loop with that mu, which finds the row in
// cache.
TEXT ·sgdGCRows8(SB), NOSPLIT, $0-56
	MOVQ p+0(FP), DI
	MOVQ gs+8(FP), SI
	MOVQ a+16(FP), DX
	MOVQ rows+24(FP), R9
	MOVQ m+32(FP), CX
	MOVQ k+40(FP), R8
	MOVQ flags+48(FP), R12
	VBROADCASTSS 0(R8), Y8   // clip
	VBROADCASTSS 4(R8), Y9   // wd
	VBROADCASTSS 12(R8), Y11 // mom
	VBROADCASTSS 16(R8), Y12 // damp1
	VBROADCASTSS 20(R8), Y13 // lr
	MOVQ CX, R10
	SHLQ $2, R10             // row bytes
sgrow:
	TESTQ R9, R9
	JZ sgdone
	VXORPD Y14, Y14, Y14
	VXORPD Y15, Y15, Y15
	XORQ AX, AX
sgchunk:
	CMPQ AX, CX
	JAE sgmean
	LEAQ 64(AX), BX
	CMPQ BX, CX
	CMOVQHI CX, BX
	VXORPS Y6, Y6, Y6
	CMPQ R12, $1
	JEQ sgsumpf
	CMPQ R12, $2
	JEQ sgg
	CMPQ R12, $3
	JEQ sggpf
sgsum:
	VMULPS (SI)(AX*4), Y8, Y2
	VMULPS (DI)(AX*4), Y9, Y3
	VADDPS Y3, Y2, Y2
	VADDPS Y2, Y6, Y6
	ADDQ $8, AX
	CMPQ AX, BX
	JB sgsum
	JMP sgflush
sgsumpf:
	PREFETCHT0 (DX)(AX*4)
	VMULPS (SI)(AX*4), Y8, Y2
	VMULPS (DI)(AX*4), Y9, Y3
	VADDPS Y3, Y2, Y2
	VADDPS Y2, Y6, Y6
	ADDQ $8, AX
	CMPQ AX, BX
	JB sgsumpf
	JMP sgflush
sgg:
	VADDPS (SI)(AX*4), Y6, Y6
	ADDQ $8, AX
	CMPQ AX, BX
	JB sgg
	JMP sgflush
sggpf:
	PREFETCHT0 (DX)(AX*4)
	VADDPS (SI)(AX*4), Y6, Y6
	ADDQ $8, AX
	CMPQ AX, BX
	JB sggpf
sgflush:
	VCVTPS2PD X6, Y0
	VEXTRACTF128 $1, Y6, X1
	VCVTPS2PD X1, Y1
	VADDPD Y0, Y14, Y14
	VADDPD Y1, Y15, Y15
	JMP sgchunk
sgmean:
	VADDPD Y15, Y14, Y0
	VEXTRACTF128 $1, Y0, X1
	VADDPD X1, X0, X0
	VHADDPD X0, X0, X0
	VCVTSI2SDQ CX, X1, X1
	VDIVSD X1, X0, X0
	VCVTSD2SS X0, X0, X0
	VBROADCASTSS X0, Y10     // mu
	XORQ AX, AX
sgupd:
	VMOVUPS (DI)(AX*4), Y0     // p
	VMULPS (SI)(AX*4), Y8, Y1  // clip*g
	VMULPS Y0, Y9, Y2          // wd*p
	VADDPS Y2, Y1, Y1
	VSUBPS Y10, Y1, Y1         // d
	VMULPS (DX)(AX*4), Y11, Y3 // mom*a
	VMULPS Y1, Y12, Y4         // damp1*d
	VADDPS Y4, Y3, Y3          // b
	VMOVUPS Y3, (DX)(AX*4)
	VMULPS Y3, Y13, Y5         // lr*b
	VSUBPS Y5, Y0, Y0
	VMOVUPS Y0, (DI)(AX*4)
	ADDQ $8, AX
	CMPQ AX, CX
	JB sgupd
	ADDQ R10, DI
	ADDQ R10, SI
	ADDQ R10, DX
	DECQ R9
	JMP sgrow
sgdone:
	VZEROUPPER
	RET

// func adamGCRows8(p, gs, m, v *float32, rows, width int, k *adamConsts, flags int)
// Adam/AdamW with GC on the gradient over rows consecutive rows of width
// values (a multiple of 8). Per row: gcSum8's sum of clip*g + wd*p (of g
// with flags&rowGradOnly), mu = float32(sum/width), then adam8's update
// with that mu; with flags&rowPrefetch the update of every row but the
// last prefetches the next row's p, g, m, v
// (PREFETCHT1: measured a few per cent faster than T0 here, as it leaves
// L1 to the row being updated).
// The sum pass uses Y0-Y6 and Y14-Y15, the update the constants in
// Y5-Y15, reloaded per row.
TEXT ·adamGCRows8(SB), NOSPLIT, $0-64
	MOVQ p+0(FP), DI
	MOVQ gs+8(FP), SI
	MOVQ m+16(FP), DX
	MOVQ v+24(FP), BX
	MOVQ rows+32(FP), R9
	MOVQ width+40(FP), CX
	MOVQ k+48(FP), R8
	MOVQ CX, R10
	SHLQ $2, R10             // row bytes
arow:
	TESTQ R9, R9
	JZ adone
	MOVQ flags+56(FP), R12
	VBROADCASTSS 0(R8), Y4   // clip
	VBROADCASTSS 4(R8), Y5   // wd
	VXORPD Y14, Y14, Y14
	VXORPD Y15, Y15, Y15
	XORQ AX, AX
achunk:
	CMPQ AX, CX
	JAE amean
	LEAQ 64(AX), R11
	CMPQ R11, CX
	CMOVQHI CX, R11
	VXORPS Y6, Y6, Y6
	TESTQ $2, R12
	JNZ asumg
asum:
	VMULPS (SI)(AX*4), Y4, Y2
	VMULPS (DI)(AX*4), Y5, Y3
	VADDPS Y3, Y2, Y2
	VADDPS Y2, Y6, Y6
	ADDQ $8, AX
	CMPQ AX, R11
	JB asum
	JMP aflush
asumg:
	VADDPS (SI)(AX*4), Y6, Y6
	ADDQ $8, AX
	CMPQ AX, R11
	JB asumg
aflush:
	VCVTPS2PD X6, Y0
	VEXTRACTF128 $1, Y6, X1
	VCVTPS2PD X1, Y1
	VADDPD Y0, Y14, Y14
	VADDPD Y1, Y15, Y15
	JMP achunk
amean:
	VADDPD Y15, Y14, Y0
	VEXTRACTF128 $1, Y0, X1
	VADDPD X1, X0, X0
	VHADDPD X0, X0, X0
	VCVTSI2SDQ CX, X1, X1
	VDIVSD X1, X0, X0
	VCVTSD2SS X0, X0, X0
	VBROADCASTSS X0, Y7      // mu
	VBROADCASTSS 0(R8), Y5   // clip
	VBROADCASTSS 4(R8), Y6   // wd
	VBROADCASTSS 12(R8), Y8  // b1
	VBROADCASTSS 16(R8), Y9  // omb1
	VBROADCASTSS 20(R8), Y10 // b2
	VBROADCASTSS 24(R8), Y11 // omb2
	VBROADCASTSS 28(R8), Y12 // bc2sqrt
	VBROADCASTSS 32(R8), Y13 // eps
	VBROADCASTSS 36(R8), Y14 // negStep
	VBROADCASTSS 40(R8), Y15 // decay
	XORQ AX, AX
	TESTQ $1, R12
	JZ aupd
	CMPQ R9, $1
	JEQ aupd
	LEAQ (DI)(R10*1), R11    // the next row
	LEAQ (SI)(R10*1), R12
	LEAQ (DX)(R10*1), R13
	LEAQ (BX)(R10*1), R14
aupdpf:
	PREFETCHT1 (R11)(AX*4)
	PREFETCHT1 (R12)(AX*4)
	PREFETCHT1 (R13)(AX*4)
	PREFETCHT1 (R14)(AX*4)
	VMOVUPS (DI)(AX*4), Y0     // p
	VMULPS (SI)(AX*4), Y5, Y1  // clip*g
	VMULPS Y0, Y6, Y2          // wd*p
	VADDPS Y2, Y1, Y1
	VSUBPS Y7, Y1, Y1          // d
	VMULPS (DX)(AX*4), Y8, Y2  // b1*m
	VMULPS Y1, Y9, Y3          // omb1*d
	VADDPS Y3, Y2, Y2          // m'
	VMOVUPS Y2, (DX)(AX*4)
	VMULPS (BX)(AX*4), Y10, Y3 // b2*v
	VMULPS Y1, Y11, Y4         // omb2*d
	VMULPS Y1, Y4, Y4          // (omb2*d)*d
	VADDPS Y4, Y3, Y3          // v'
	VMOVUPS Y3, (BX)(AX*4)
	VSQRTPS Y3, Y3
	VDIVPS Y12, Y3, Y3         // sqrt(v')/bc2sqrt
	VADDPS Y13, Y3, Y3         // den
	VMULPS Y2, Y14, Y2         // negStep*m'
	VDIVPS Y3, Y2, Y2          // /den
	VMULPS Y0, Y15, Y0         // p*decay
	VADDPS Y2, Y0, Y0
	VMOVUPS Y0, (DI)(AX*4)
	ADDQ $8, AX
	CMPQ AX, CX
	JB aupdpf
	JMP anext
aupd:
	VMOVUPS (DI)(AX*4), Y0     // p
	VMULPS (SI)(AX*4), Y5, Y1  // clip*g
	VMULPS Y0, Y6, Y2          // wd*p
	VADDPS Y2, Y1, Y1
	VSUBPS Y7, Y1, Y1          // d
	VMULPS (DX)(AX*4), Y8, Y2  // b1*m
	VMULPS Y1, Y9, Y3          // omb1*d
	VADDPS Y3, Y2, Y2          // m'
	VMOVUPS Y2, (DX)(AX*4)
	VMULPS (BX)(AX*4), Y10, Y3 // b2*v
	VMULPS Y1, Y11, Y4         // omb2*d
	VMULPS Y1, Y4, Y4          // (omb2*d)*d
	VADDPS Y4, Y3, Y3          // v'
	VMOVUPS Y3, (BX)(AX*4)
	VSQRTPS Y3, Y3
	VDIVPS Y12, Y3, Y3         // sqrt(v')/bc2sqrt
	VADDPS Y13, Y3, Y3         // den
	VMULPS Y2, Y14, Y2         // negStep*m'
	VDIVPS Y3, Y2, Y2          // /den
	VMULPS Y0, Y15, Y0         // p*decay
	VADDPS Y2, Y0, Y0
	VMOVUPS Y0, (DI)(AX*4)
	ADDQ $8, AX
	CMPQ AX, CX
	JB aupd
anext:
	ADDQ R10, DI
	ADDQ R10, SI
	ADDQ R10, DX
	ADDQ R10, BX
	DECQ R9
	JMP arow
adone:
	VZEROUPPER
	RET
