package tensor_test

import (
	"testing"

	"github.com/gcdet/gcdet/tensor"
	"github.com/gcdet/gcdet/tensor/tensortest"
)

// Benchmarks of the elementwise kernel group on detector-sized tensors
// (an FPN level of a 2-image batch, RoI head batches). Bytes per op count
// the tensors read and written once.

func BenchmarkAddSameShape(b *testing.B) {
	x := tensortest.Rand(opsRNG(1), false, 2, 256, 100, 152)
	y := tensortest.Rand(opsRNG(2), false, 2, 256, 100, 152)
	b.SetBytes(int64(3 * 4 * x.Numel()))
	for b.Loop() {
		tensor.Add(x, y)
	}
}

func BenchmarkMulBroadcastChannel(b *testing.B) {
	x := tensortest.Rand(opsRNG(1), false, 2, 256, 100, 152)
	s := tensortest.Rand(opsRNG(2), false, 256, 1, 1)
	b.SetBytes(int64(2 * 4 * x.Numel()))
	for b.Loop() {
		tensor.Mul(x, s)
	}
}

func BenchmarkSumNHW(b *testing.B) {
	x := tensortest.Rand(opsRNG(1), false, 2, 256, 100, 152)
	b.SetBytes(int64(4 * x.Numel()))
	for b.Loop() {
		tensor.Sum(x, []int{0, 2, 3}, false)
	}
}

func BenchmarkPermuteNCHWToNHWC(b *testing.B) {
	x := tensortest.Rand(opsRNG(1), false, 2, 256, 100, 152)
	b.SetBytes(int64(2 * 4 * x.Numel()))
	for b.Loop() {
		tensor.Permute(x, 0, 2, 3, 1)
	}
}

func BenchmarkIndexSelectRoIRows(b *testing.B) {
	x := tensortest.Rand(opsRNG(1), false, 1024, 256*7*7/4)
	idx := opsRandIdx(512, 1024, 3)
	b.SetBytes(int64(2 * 4 * 512 * x.Dim(1)))
	for b.Loop() {
		tensor.IndexSelect(x, 0, idx)
	}
}

func BenchmarkCrossEntropyFwdBwd(b *testing.B) {
	x := tensortest.Rand(opsRNG(1), true, 1024, 81)
	tg := opsRandIdx(1024, 81, 4)
	b.SetBytes(int64(4 * x.Numel()))
	for b.Loop() {
		x.Grad = nil
		tensor.CrossEntropy(x, tg, -100).Backward()
	}
}
