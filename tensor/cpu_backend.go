package tensor

import (
	"fmt"

	"github.com/gcdet/gcdet/tensor/cpu"
)

// cpuStorage is host memory.
type cpuStorage []float32

func (s cpuStorage) Len() int         { return len(s) }
func (s cpuStorage) Backend() Backend { return cpuBackend{} }

// cpuBackend implements Backend with the kernels of package tensor/cpu.
type cpuBackend struct{}

// f returns the host slice of a CPU storage.
func f(s Storage) []float32 {
	c, ok := s.(cpuStorage)
	if !ok {
		panic(fmt.Sprintf("tensor: cpu kernel given %s storage", s.Backend().Name()))
	}
	return c
}

func (cpuBackend) Name() string { return "cpu" }
func (cpuBackend) Alloc(n int) Storage {
	s, fresh := cpuGet(n)
	if !fresh {
		cpu.Fill(s, 0)
	}
	return s
}
func (cpuBackend) FromHost(d []float32) Storage { return cpuStorage(append([]float32(nil), d...)) }
func (cpuBackend) Host(s Storage) []float32     { return f(s) }
func (cpuBackend) Copy(dst, src Storage)        { cpu.Copy(f(dst), f(src)) }
func (cpuBackend) Fill(s Storage, v float32)    { cpu.Fill(f(s), v) }

func (cpuBackend) AddInPlace(dst, src Storage) {
	cpu.AddTo(f(dst), f(src))
}

func (cpuBackend) Unary(op UnaryOp, dst, src Storage) {
	switch op {
	case OpRelu:
		cpu.Relu(f(dst), f(src))
	case OpSigmoid:
		cpu.Sigmoid(f(dst), f(src))
	case OpExp, OpLog, OpNeg, OpSqrt, OpAbs, OpTanh:
		cpu.Unary(cpuUnaryKind(op), f(dst), f(src))
	default:
		panic(fmt.Sprintf("tensor: cpu backend lacks unary op %d", op))
	}
}

func (cpuBackend) UnaryBackward(op UnaryOp, dx, x, y, dy Storage) {
	switch op {
	case OpRelu:
		cpu.ReluBackward(f(dx), f(y), f(dy))
	case OpSigmoid:
		d, yy, g := f(dx), f(y), f(dy)
		cpu.Parallel(len(d), 1<<15, func(lo, hi int) {
			for i := lo; i < hi; i++ {
				d[i] = g[i] * yy[i] * (1 - yy[i])
			}
		})
	case OpExp, OpLog, OpNeg, OpSqrt, OpAbs, OpTanh:
		cpu.UnaryBackward(cpuUnaryKind(op), f(dx), f(x), f(y), f(dy))
	default:
		panic(fmt.Sprintf("tensor: cpu backend lacks unary backward %d", op))
	}
}

// cpuUnaryKind maps the unary ops handled by cpu.Unary.
func cpuUnaryKind(op UnaryOp) cpu.UnaryKind {
	switch op {
	case OpExp:
		return cpu.UExp
	case OpLog:
		return cpu.ULog
	case OpNeg:
		return cpu.UNeg
	case OpSqrt:
		return cpu.USqrt
	case OpAbs:
		return cpu.UAbs
	case OpTanh:
		return cpu.UTanh
	}
	panic(fmt.Sprintf("tensor: cpu backend lacks unary op %d", op))
}

// storageKey identifies a storage's memory for the tape's ownership
// tracking (autograd.go): the address of its first element on the CPU
// backend; nil when unknown (empty or another backend's storage), which
// makes the tape copy rather than adopt.
func storageKey(s Storage) *float32 {
	if c, ok := s.(cpuStorage); ok && len(c) > 0 {
		return &c[0]
	}
	return nil
}
