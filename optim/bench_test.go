package optim

import (
	"fmt"
	"runtime"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/gcdet/gcdet/nn"
	"github.com/gcdet/gcdet/tensor"
)

// r50FPNShapes is the parameter set of torchvision's
// fasterrcnn_resnet50_fpn with every layer trainable and plain BatchNorm
// (41,808,406 values in 189 tensors, checked below): the benchmark's
// realistic workload.
func r50FPNShapes() []ParamInfo {
	var out []ParamInfo
	add := func(name string, kind nn.Kind, shape ...int) {
		out = append(out, ParamInfo{Name: name, Kind: kind, Shape: shape})
	}
	bn := func(prefix string, c int) {
		add(prefix+".weight", nn.KindNorm, c)
		add(prefix+".bias", nn.KindNorm, c)
	}
	add("backbone.body.conv1.weight", nn.KindConv, 64, 3, 7, 7)
	bn("backbone.body.bn1", 64)
	in := 64
	for li, blocks := range []int{3, 4, 6, 3} {
		w := 64 << li
		for b := 0; b < blocks; b++ {
			p := fmt.Sprintf("backbone.body.layer%d.%d", li+1, b)
			add(p+".conv1.weight", nn.KindConv, w, in, 1, 1)
			bn(p+".bn1", w)
			add(p+".conv2.weight", nn.KindConv, w, w, 3, 3)
			bn(p+".bn2", w)
			add(p+".conv3.weight", nn.KindConv, 4*w, w, 1, 1)
			bn(p+".bn3", 4*w)
			if b == 0 {
				add(p+".downsample.0.weight", nn.KindConv, 4*w, in, 1, 1)
				bn(p+".downsample.1", 4*w)
			}
			in = 4 * w
		}
	}
	for i, c := range []int{256, 512, 1024, 2048} {
		add(fmt.Sprintf("backbone.fpn.inner_blocks.%d.0.weight", i), nn.KindConv, 256, c, 1, 1)
		add(fmt.Sprintf("backbone.fpn.inner_blocks.%d.0.bias", i), nn.KindBias, 256)
	}
	for i := 0; i < 4; i++ {
		add(fmt.Sprintf("backbone.fpn.layer_blocks.%d.0.weight", i), nn.KindConv, 256, 256, 3, 3)
		add(fmt.Sprintf("backbone.fpn.layer_blocks.%d.0.bias", i), nn.KindBias, 256)
	}
	add("rpn.head.conv.0.0.weight", nn.KindConv, 256, 256, 3, 3)
	add("rpn.head.conv.0.0.bias", nn.KindBias, 256)
	add("rpn.head.cls_logits.weight", nn.KindConv, 3, 256, 1, 1)
	add("rpn.head.cls_logits.bias", nn.KindBias, 3)
	add("rpn.head.bbox_pred.weight", nn.KindConv, 12, 256, 1, 1)
	add("rpn.head.bbox_pred.bias", nn.KindBias, 12)
	add("roi_heads.box_head.fc6.weight", nn.KindLinear, 1024, 12544)
	add("roi_heads.box_head.fc6.bias", nn.KindBias, 1024)
	add("roi_heads.box_head.fc7.weight", nn.KindLinear, 1024, 1024)
	add("roi_heads.box_head.fc7.bias", nn.KindBias, 1024)
	add("roi_heads.box_predictor.cls_score.weight", nn.KindLinear, 91, 1024)
	add("roi_heads.box_predictor.cls_score.bias", nn.KindBias, 91)
	add("roi_heads.box_predictor.bbox_pred.weight", nn.KindLinear, 364, 1024)
	add("roi_heads.box_predictor.bbox_pred.bias", nn.KindBias, 364)
	return out
}

func TestR50FPNShapesMatchTorchvision(t *testing.T) {
	s := r50FPNShapes()
	n := 0
	for _, p := range s {
		n += numel(p.Shape)
	}
	if len(s) != 189 || n != 41808406 {
		t.Fatalf("%d tensors, %d values; torchvision has 189, 41808406", len(s), n)
	}
}

// benchParams builds the R50-FPN parameter set with values and gradients
// filled by a cheap generator (the step's speed does not depend on them).
func benchParams() []*nn.Param {
	var ps []*nn.Param
	x := uint32(12345)
	next := func() float32 {
		x = x*1664525 + 1013904223
		return float32(int32(x>>8)-(1<<23)) / (1 << 23) * 0.01
	}
	for _, in := range r50FPNShapes() {
		p := nn.NewParam(in.Name, in.Kind, tensor.Zeros(in.Shape...), true)
		g := tensor.Zeros(in.Shape...)
		for i, d := 0, p.Value.Data(); i < len(d); i++ {
			d[i] = next()
		}
		for i, d := 0, g.Data(); i < len(d); i++ {
			d[i] = next()
		}
		p.Value.Grad = g
		ps = append(ps, p)
	}
	return ps
}

var (
	benchOnce sync.Once
	benchPs   []*nn.Param
)

func sharedBenchParams() []*nn.Param {
	benchOnce.Do(func() { benchPs = benchParams() })
	return benchPs
}

func totalValues(ps []*nn.Param) int {
	n := 0
	for _, p := range ps {
		n += p.Value.Numel()
	}
	return n
}

// BenchmarkStep times one optimizer step over the ResNet-50-FPN parameter
// set, with and without GC. SetBytes counts the compulsory memory traffic
// (SGD momentum: read p, g, buf, write p, buf = 20 B/value; Adam: 28 B).
func BenchmarkStep(b *testing.B) {
	ps := sharedBenchParams()
	n := totalValues(ps)
	for _, c := range []struct {
		name  string
		algo  string
		scope string
		place string
		clip  float64
	}{
		{"sgd", AlgoSGD, ScopeOff, "", 0},
		{"sgd_gc", AlgoSGD, ScopeAll, PlacementGradient, 0},
		{"sgd_gc2", AlgoSGD, ScopeAll, PlacementUpdate, 0},
		{"sgd_clip", AlgoSGD, ScopeOff, "", 35},
		{"sgd_gc_clip", AlgoSGD, ScopeAll, PlacementGradient, 35},
		{"adamw", AlgoAdamW, ScopeOff, "", 0},
		{"adamw_gc", AlgoAdamW, ScopeAll, PlacementGradient, 0},
		{"adamw_gc2", AlgoAdamW, ScopeAll, PlacementUpdate, 0},
	} {
		b.Run(c.name, func(b *testing.B) {
			cfg := DefaultConfig()
			cfg.Algorithm, cfg.ClipNorm, cfg.LR = c.algo, c.clip, 1e-6
			cfg.GC.Scope, cfg.GC.Placement = c.scope, c.place
			o, err := New(ps, cfg, Options{})
			if err != nil {
				b.Fatal(err)
			}
			o.Step() // allocates the buffers
			per := 20
			if isAdam(c.algo) {
				per = 28
			}
			b.SetBytes(int64(per * n))
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				o.Step()
			}
		})
	}
}

// BenchmarkTrafficBound is the plain loop a step cannot beat: the same
// streams as SGD with momentum (read p, g, buf; write p, buf) with one add
// each (AVX2 where available), on the same arrays, split the same way over
// all cores; and a memmove moving the same number of bytes.
func BenchmarkTrafficBound(b *testing.B) {
	ps := sharedBenchParams()
	n := totalValues(ps)
	bufs := make([][]float32, len(ps))
	for i, p := range ps {
		bufs[i] = make([]float32, p.Value.Numel())
	}
	type chunk struct{ p, g, a []float32 }
	var chunks []chunk
	for i, p := range ps {
		d, g := p.Value.Data(), p.Value.Grad.Data()
		for lo := 0; lo < len(d); lo += itemTarget {
			hi := min(lo+itemTarget, len(d))
			chunks = append(chunks, chunk{d[lo:hi], g[lo:hi], bufs[i][lo:hi]})
		}
	}
	e := &engine[float32]{workers: runtime.GOMAXPROCS(0)}
	b.Run("momentum_stream", func(b *testing.B) {
		b.SetBytes(int64(20 * n))
		for i := 0; i < b.N; i++ {
			e.parallel(len(chunks), func(_, j int) {
				c := chunks[j]
				streamBound32(c.p, c.g, c.a)
			})
		}
	})
	b.Run("memmove_same_bytes", func(b *testing.B) {
		// 20 B/value of traffic = copy 10 B/value: 2.5 float32 arrays.
		src := make([]float32, n*5/2)
		dst := make([]float32, n*5/2)
		const part = 1 << 20
		copy(dst, src) // fault the pages in before timing
		b.SetBytes(int64(20 * n))
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			e.parallel((len(src)+part-1)/part, func(_, j int) {
				lo := j * part
				hi := min(lo+part, len(src))
				copy(dst[lo:hi], src[lo:hi])
			})
		}
	})
}

// BenchmarkGCOverhead interleaves, in every round, one step without GC,
// one with GC on the gradient, one with GC on the update and one pass of
// the momentum-stream bound, so a drifting machine load hits all alike.
// It reports each one's median wall milliseconds and process CPU
// milliseconds (user + system of all threads, Linux only), and the median
// per-round overhead of GC in percent by each clock. Run with
// -benchtime=Nx (N rounds).
func BenchmarkGCOverhead(b *testing.B) {
	ps := sharedBenchParams()
	for _, algo := range []string{AlgoSGD, AlgoAdamW} {
		b.Run(algo, func(b *testing.B) {
			mk := func(scope, place string) *Optimizer {
				cfg := DefaultConfig()
				cfg.Algorithm, cfg.ClipNorm, cfg.LR = algo, 0, 1e-6
				cfg.GC.Scope, cfg.GC.Placement = scope, place
				o, err := New(ps, cfg, Options{})
				if err != nil {
					b.Fatal(err)
				}
				o.Step()
				return o
			}
			opts := []*Optimizer{mk(ScopeOff, ""), mk(ScopeAll, PlacementGradient), mk(ScopeAll, PlacementUpdate)}
			bound := streamBound(ps)
			wall := make([][]float64, 4)
			cpu := make([][]float64, 4)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				for j := 0; j < 4; j++ {
					c0, t0 := processCPU(), time.Now()
					if j < 3 {
						opts[j].Step()
					} else {
						bound()
					}
					wall[j] = append(wall[j], time.Since(t0).Seconds()*1e3)
					cpu[j] = append(cpu[j], (processCPU()-c0).Seconds()*1e3)
				}
			}
			b.StopTimer()
			over := func(t [][]float64, j int) float64 {
				r := make([]float64, len(t[0]))
				for i := range r {
					if t[0][i] > 0 {
						r[i] = 100 * (t[j][i]/t[0][i] - 1)
					}
				}
				return median(r)
			}
			for j, name := range []string{"plain", "gc", "gc2", "bound"} {
				b.ReportMetric(median(wall[j]), "ms-"+name)
				b.ReportMetric(median(cpu[j]), "cpu-ms-"+name)
			}
			b.ReportMetric(over(wall, 1), "%gc")
			b.ReportMetric(over(wall, 2), "%gc2")
			b.ReportMetric(over(cpu, 1), "%cpu-gc")
			b.ReportMetric(over(cpu, 2), "%cpu-gc2")
			b.ReportMetric(0, "ns/op")
		})
	}
}

// streamBound returns the momentum-stream loop over ps's values,
// gradients and a scratch buffer: read 3 streams, write 2.
func streamBound(ps []*nn.Param) func() {
	type chunk struct{ p, g, a []float32 }
	var chunks []chunk
	for _, p := range ps {
		d, g := p.Value.Data(), p.Value.Grad.Data()
		a := make([]float32, len(d))
		for lo := 0; lo < len(d); lo += itemTarget {
			hi := min(lo+itemTarget, len(d))
			chunks = append(chunks, chunk{d[lo:hi], g[lo:hi], a[lo:hi]})
		}
	}
	e := &engine[float32]{workers: runtime.GOMAXPROCS(0)}
	return func() {
		e.parallel(len(chunks), func(_, j int) {
			c := chunks[j]
			streamBound32(c.p, c.g, c.a)
		})
	}
}

func median(x []float64) float64 {
	s := append([]float64(nil), x...)
	sort.Float64s(s)
	if len(s) == 0 {
		return 0
	}
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}
