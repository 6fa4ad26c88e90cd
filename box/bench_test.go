package box

import (
	"fmt"
	"math"
	"syscall"
	"testing"
	"time"
)

// cpuTime returns the process's user+system CPU time. Benchmarks report it
// per op next to wall time because this machine is shared: CPU time is far
// less sensitive to other processes than wall time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// loop runs f b.N times and reports CPU milliseconds per op.
func loop(b *testing.B, f func()) {
	start := cpuTime()
	for b.Loop() {
		f()
	}
	b.ReportMetric(float64(cpuTime()-start)/1e6/float64(b.N), "cpu-ms/op")
}

// Benchmark workloads, defined by an integer hash that
// testdata/bench_nms.py reproduces exactly, so both sides time the same
// boxes. Image 800x1216 (a padded COCO input); box sides log-uniform in
// [16, 512] with aspect ratio 0.5, 1 or 2; scores uniform.
//
//   - uniform: centers uniform over the image (few suppressions);
//   - clustered: centers jittered around 30 objects, like RPN proposals
//     around real objects (most boxes suppressed).

func hash32(i uint32) uint32 {
	x := i*0x9E3779B1 + 0x7F4A7C15
	x ^= x >> 16
	x *= 0x85EBCA6B
	x ^= x >> 13
	x *= 0xC2B2AE35
	x ^= x >> 16
	return x
}

// u returns a float64 in [0, 1) from stream s, element i.
func u(s, i int) float64 { return float64(hash32(uint32(i*8+s))) / (1 << 32) }

func benchBoxes(n int, clustered bool) (Boxes, []float32, []int32) {
	const imgW, imgH = 1216.0, 800.0
	b := make(Boxes, 4*n)
	scores := make([]float32, n)
	levels := make([]int32, n)
	for i := range n {
		side := 16 * math.Pow(32, u(0, i))
		ratio := []float64{0.5, 1, 2}[int(u(1, i)*3)]
		w, h := side/math.Sqrt(ratio), side*math.Sqrt(ratio)
		var cx, cy float64
		if clustered {
			o := int(u(2, i) * 30)
			cx = u(3, o)*imgW + (u(4, i)-0.5)*0.3*w
			cy = u(5, o)*imgH + (u(6, i)-0.5)*0.3*h
		} else {
			cx, cy = u(3, i)*imgW, u(5, i)*imgH
		}
		b[4*i] = float32(math.Max(cx-w/2, 0))
		b[4*i+1] = float32(math.Max(cy-h/2, 0))
		b[4*i+2] = float32(math.Min(cx+w/2, imgW))
		b[4*i+3] = float32(math.Min(cy+h/2, imgH))
		scores[i] = float32(u(7, i))
		levels[i] = int32(min(4, math.Log2(side/16)))
	}
	return b, scores, levels
}

func BenchmarkNMS(b *testing.B) {
	for _, clustered := range []bool{false, true} {
		for _, n := range []int{4000, 12000} {
			name := fmt.Sprintf("uniform/N=%d", n)
			if clustered {
				name = fmt.Sprintf("clustered/N=%d", n)
			}
			boxes, scores, _ := benchBoxes(n, clustered)
			b.Run(name, func(b *testing.B) {
				var kept int
				loop(b, func() { kept = len(NMS(boxes, scores, 0.7)) })
				b.ReportMetric(float64(kept), "kept")
			})
		}
	}
}

// BenchmarkBatchedNMS is the RPN's use: boxes of 5 levels, NMS per level.
func BenchmarkBatchedNMS(b *testing.B) {
	for _, clustered := range []bool{false, true} {
		n := 10000
		name := fmt.Sprintf("uniform/N=%d", n)
		if clustered {
			name = fmt.Sprintf("clustered/N=%d", n)
		}
		boxes, scores, levels := benchBoxes(n, clustered)
		b.Run(name, func(b *testing.B) {
			var kept int
			loop(b, func() { kept = len(BatchedNMS(boxes, scores, levels, 0.7)) })
			b.ReportMetric(float64(kept), "kept")
		})
	}
}

func BenchmarkTopK(b *testing.B) {
	_, scores, _ := benchBoxes(200000, false)
	b.Run("N=200000/k=2000", func(b *testing.B) {
		loop(b, func() { TopK(scores, 2000) })
	})
}

func BenchmarkIoU(b *testing.B) {
	anchors, _, _ := benchBoxes(100000, false)
	gts, _, _ := benchBoxes(20, true)
	b.Run("20x100000", func(b *testing.B) {
		loop(b, func() { IoU(gts, anchors) })
	})
}
