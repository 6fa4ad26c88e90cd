package tensor

import (
	"fmt"

	"github.com/gcdet/gcdet/tensor/cpu"
)

// CPU implementations of ElementwiseKernels (see backend_elementwise.go).

func cpuBinOp(op BinaryOp) cpu.BinOp {
	switch op {
	case OpAdd:
		return cpu.BinAdd
	case OpSub:
		return cpu.BinSub
	case OpMul:
		return cpu.BinMul
	case OpDiv:
		return cpu.BinDiv
	}
	panic(fmt.Sprintf("tensor: cpu backend lacks binary op %d", op))
}

func cpuLossKind(op LossOp) cpu.LossKind {
	switch op {
	case LossBCEWithLogits:
		return cpu.LossBCEWithLogits
	case LossSmoothL1:
		return cpu.LossSmoothL1
	}
	panic(fmt.Sprintf("tensor: cpu backend lacks loss %d", op))
}

func (cpuBackend) Binary(op BinaryOp, dst, a, b Storage, shape, aStrides, bStrides []int) {
	cpu.Binary(cpuBinOp(op), f(dst), f(a), f(b), shape, aStrides, bStrides)
}

func (cpuBackend) Affine(dst, src Storage, scale, shift float32) {
	cpu.Affine(f(dst), f(src), scale, shift)
}

func (cpuBackend) ReduceSum(dst, src Storage, outer, n, inner int) {
	cpu.ReduceSum(f(dst), f(src), outer, n, inner)
}

func (cpuBackend) StridedCopy(dst Storage, dstOff int, dstStrides []int, src Storage, srcOff int, srcStrides []int, shape []int) {
	cpu.StridedCopy(f(dst), dstOff, dstStrides, f(src), srcOff, srcStrides, shape)
}

func (cpuBackend) Gather(dst Storage, dstStrides []int, src Storage, srcStrides []int, shape []int, axis int, idx []int32, idxStrides []int) {
	cpu.Gather(f(dst), dstStrides, f(src), srcStrides, shape, axis, idx, idxStrides)
}

func (cpuBackend) ScatterAdd(dst Storage, dstStrides []int, src Storage, srcStrides []int, shape []int, axis int, idx []int32, idxStrides []int) {
	cpu.ScatterAdd(f(dst), dstStrides, f(src), srcStrides, shape, axis, idx, idxStrides)
}

func (cpuBackend) Softmax(dst, src Storage, outer, n, inner int, log bool) {
	cpu.Softmax(f(dst), f(src), outer, n, inner, log)
}

func (cpuBackend) SoftmaxBackward(dx, y, dy Storage, outer, n, inner int, log bool) {
	cpu.SoftmaxBackward(f(dx), f(y), f(dy), outer, n, inner, log)
}

func (cpuBackend) PointwiseLoss(op LossOp, dst, x, t Storage, param float32) {
	cpu.Loss(cpuLossKind(op), f(dst), f(x), f(t), param)
}

func (cpuBackend) PointwiseLossBackward(op LossOp, dx, x, t, dy Storage, param float32) {
	cpu.LossBackward(cpuLossKind(op), f(dx), f(x), f(t), f(dy), param)
}
