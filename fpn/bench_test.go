//go:build unix

package fpn_test

import (
	"math/rand/v2"
	"syscall"
	"testing"
	"time"

	"github.com/gcdet/gcdet/backbone"
	"github.com/gcdet/gcdet/fpn"
	"github.com/gcdet/gcdet/tensor"
	"github.com/gcdet/gcdet/tensor/tensortest"
)

// ResNet-50-FPN on one 3x512x512 image (the detector benchmark's input
// size). testdata/bench_fpn.py times torchvision's resnet_fpn_backbone on
// the same work; README.md records both. Besides wall time, each benchmark
// reports cpu-s/op, the process CPU time (user + system) per iteration,
// which a shared machine's load distorts less.

// cpuTime is the process's CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// timed runs body b.N times and reports cpu-s/op.
func timed(b *testing.B, body func()) {
	b.ResetTimer()
	c0 := cpuTime()
	for range b.N {
		body()
	}
	b.ReportMetric((cpuTime()-c0).Seconds()/float64(b.N), "cpu-s/op")
}

func benchModel(b *testing.B, cfg backbone.Config) (*fpn.BackboneWithFPN, *tensor.Tensor) {
	b.Helper()
	rng := rand.New(rand.NewPCG(1, 2))
	m, err := fpn.NewResNetFPN(rng, cfg, fpn.Config{})
	if err != nil {
		b.Fatal(err)
	}
	return m, tensortest.Rand(rng, false, 1, 3, 512, 512)
}

// BenchmarkR50FPNForward: inference (no tape), FrozenBN.
func BenchmarkR50FPNForward(b *testing.B) {
	m, x := benchModel(b, backbone.ResNet50())
	m.Train(false)
	timed(b, func() {
		tensor.NoGrad(func() { m.Forward(x) })
	})
}

// BenchmarkR50FPNForwardBackward: a training pass with trainable
// BatchNorm2d and nothing frozen (torchvision's random-init default), the
// loss the sum of all pyramid outputs.
func BenchmarkR50FPNForwardBackward(b *testing.B) {
	benchTrain(b, backbone.Config{Depth: 50, Norm: backbone.BN})
}

// BenchmarkR50FPNForwardBackwardFrozen: the fine-tuning layout (FrozenBN,
// stem and res2 frozen).
func BenchmarkR50FPNForwardBackwardFrozen(b *testing.B) {
	benchTrain(b, backbone.ResNet50())
}

func benchTrain(b *testing.B, cfg backbone.Config) {
	m, x := benchModel(b, cfg)
	m.Train(true)
	timed(b, func() {
		outs := m.Forward(x)
		loss := tensor.SumAll(outs[0])
		for _, o := range outs[1:] {
			loss = tensor.Add(loss, tensor.SumAll(o))
		}
		loss.Backward()
	})
}
