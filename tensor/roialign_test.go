package tensor_test

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/gcdet/gcdet/tensor"
	"github.com/gcdet/gcdet/tensor/cpu"
	"github.com/gcdet/gcdet/tensor/tensortest"
)

// RoIAlign: golden agreement with torchvision 0.14 (testdata/gen_roialign.py
// writes the fixture), gradient checks, edge cases.

type roiFixTensor struct {
	Shape []int     `json:"shape"`
	Data  []float32 `json:"data"`
}

func (f roiFixTensor) tensor() *tensor.Tensor { return tensor.FromSlice(f.Data, f.Shape...) }

type roiFix struct {
	X     roiFixTensor `json:"x"`
	Rois  roiFixTensor `json:"rois"`
	Cases []struct {
		Name          string  `json:"name"`
		Aligned       bool    `json:"aligned"`
		SamplingRatio int     `json:"sampling_ratio"`
		SpatialScale  float32 `json:"spatial_scale"`
		OutputSize    []int   `json:"output_size"`
	} `json:"cases"`
}

// loadRoIFix reads the fixture: the shared inputs and per case the tensors
// y, dy and dx by key.
func loadRoIFix(t *testing.T) (roiFix, []map[string]roiFixTensor) {
	t.Helper()
	raw, err := os.ReadFile("testdata/roialign_golden.json")
	if err != nil {
		t.Fatal(err)
	}
	var fx roiFix
	if err := json.Unmarshal(raw, &fx); err != nil {
		t.Fatal(err)
	}
	var tens struct {
		Cases []map[string]json.RawMessage `json:"cases"`
	}
	if err := json.Unmarshal(raw, &tens); err != nil {
		t.Fatal(err)
	}
	out := make([]map[string]roiFixTensor, len(tens.Cases))
	for i, c := range tens.Cases {
		out[i] = map[string]roiFixTensor{}
		for _, k := range []string{"y", "dy", "dx"} {
			var ft roiFixTensor
			if err := json.Unmarshal(c[k], &ft); err != nil {
				t.Fatal(err)
			}
			out[i][k] = ft
		}
	}
	return fx, out
}

// roiMismatch returns the first element where got and want differ by more
// than tol*(|want| + 1e-3*max|want|), and false, or true if none does.
func roiMismatch(got []float32, want roiFixTensor, tol float64) (int, bool) {
	scale := 0.0
	for _, v := range want.Data {
		scale = math.Max(scale, math.Abs(float64(v)))
	}
	for i, v := range got {
		w := float64(want.Data[i])
		if d := math.Abs(float64(v) - w); !(d <= tol*(math.Abs(w)+1e-3*scale)) {
			return i, false
		}
	}
	return 0, true
}

func TestRoIAlignGolden(t *testing.T) {
	fx, tens := loadRoIFix(t)
	if len(fx.Cases) != 8 {
		t.Fatalf("fixture has %d cases, want 8", len(fx.Cases))
	}
	for _, threads := range []int{1, 3} {
		old := cpu.Threads()
		cpu.SetThreads(threads)
		for i, c := range fx.Cases {
			x := fx.X.tensor().SetRequiresGrad(true)
			o := tensor.RoIAlignOpts{
				OutputSize:    [2]int{c.OutputSize[0], c.OutputSize[1]},
				SpatialScale:  c.SpatialScale,
				SamplingRatio: c.SamplingRatio,
				Aligned:       c.Aligned,
			}
			y := tensor.RoIAlign(x, fx.Rois.tensor(), o)
			want := tens[i]["y"]
			if !tensor.SameShape(y.Shape(), want.Shape) {
				t.Fatalf("%s: y shape %v, want %v", c.Name, y.Shape(), want.Shape)
			}
			if at, ok := roiMismatch(y.Data(), want, 1e-5); !ok {
				t.Errorf("threads %d %s: y[%d] = %g, want %g", threads, c.Name, at, y.Data()[at], want.Data[at])
			}
			y.BackwardWith(tens[i]["dy"].tensor())
			if at, ok := roiMismatch(x.Grad.Data(), tens[i]["dx"], 1e-5); !ok {
				t.Errorf("threads %d %s: dx[%d] = %g, want %g", threads, c.Name, at, x.Grad.Data()[at], tens[i]["dx"].Data[at])
			}
		}
		cpu.SetThreads(old)
	}
}

func TestRoIAlignGradCheck(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 5))
	rois := tensor.FromSlice([]float32{
		0, 1.3, 0.7, 6.2, 5.9,
		1, -1.1, 2.2, 3.4, 9.8, // partly outside
		0, 4.05, 3.1, 4.2, 3.3, // tiny
		1, 5.5, 1.5, 12.5, 6.5, // right border
	}, 4, 5)
	for _, aligned := range []bool{false, true} {
		for _, sr := range []int{0, 2} {
			x := tensortest.Rand(rng, true, 2, 3, 7, 9)
			o := tensor.RoIAlignOpts{OutputSize: [2]int{3, 2}, SpatialScale: 0.75, SamplingRatio: sr, Aligned: aligned}
			// RoIAlign is linear in x, so finite differences are exact up to
			// float32 rounding.
			err := tensortest.GradCheck(func(in []*tensor.Tensor) *tensor.Tensor {
				return tensor.RoIAlign(in[0], rois, o)
			}, []*tensor.Tensor{x}, 1e-2, 2e-3, 2e-3)
			if err != nil {
				t.Errorf("aligned %v sampling %d: %v", aligned, sr, err)
			}
		}
	}
}

func TestRoIAlignEdgeCases(t *testing.T) {
	x := tensor.Ones(1, 2, 4, 4).SetRequiresGrad(true)
	o := tensor.RoIAlignOpts{OutputSize: [2]int{2, 2}, SpatialScale: 1, SamplingRatio: 2}

	// No RoIs: empty output, zero gradient.
	y := tensor.RoIAlign(x, tensor.Zeros(0, 5), o)
	if !tensor.SameShape(y.Shape(), []int{0, 2, 2, 2}) {
		t.Fatalf("empty: shape %v", y.Shape())
	}

	// A constant map pools to the constant inside, and a box wholly outside
	// pools to zero and gets no gradient.
	y = tensor.RoIAlign(x, tensor.FromSlice([]float32{0, 0.5, 0.5, 2.5, 3, 0, 10, 10, 12, 12}, 2, 5), o)
	d := y.Data()
	for i := 0; i < 8; i++ {
		if d[i] != 1 || d[8+i] != 0 {
			t.Fatalf("constant map: got %v", d)
		}
	}
	y.BackwardWith(tensor.Ones(y.Shape()...))
	sum := 0.0
	for _, v := range x.Grad.Data() {
		sum += float64(v)
	}
	if math.Abs(sum-8) > 1e-5 { // 2 channels x 4 bins x weight 1
		t.Errorf("gradient sum %g, want 8", sum)
	}

	for name, f := range map[string]func(){
		"batch index": func() { tensor.RoIAlign(x, tensor.FromSlice([]float32{1, 0, 0, 1, 1}, 1, 5), o) },
		"rois shape":  func() { tensor.RoIAlign(x, tensor.Zeros(2, 4), o) },
		"NaN box": func() {
			tensor.RoIAlign(x, tensor.FromSlice([]float32{0, 0, float32(math.NaN()), 1, 1}, 1, 5), o)
		},
		"x shape":     func() { tensor.RoIAlign(tensor.Zeros(2, 4), tensor.Zeros(1, 5), o) },
		"output size": func() { tensor.RoIAlign(x, tensor.Zeros(1, 5), tensor.RoIAlignOpts{SpatialScale: 1}) },
	} {
		func() {
			defer func() {
				r := recover()
				if r == nil || !strings.Contains(r.(string), "RoIAlign") {
					t.Errorf("%s: want a panic naming RoIAlign, got %v", name, r)
				}
			}()
			f()
		}()
	}
}

// TestRoIAlignManyRoIs pools enough RoIs for the kernels to work in several
// blocks and compares with pooling each RoI alone: outputs bit for bit,
// feature gradients to float32 rounding.
func TestRoIAlignManyRoIs(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 8))
	x := tensortest.Rand(rng, true, 2, 5, 24, 20)
	const k = 300
	rows := make([]float32, 0, 5*k)
	for i := range k {
		x1, y1 := rng.Float32()*90-5, rng.Float32()*100-5
		rows = append(rows, float32(i%2), x1, y1, x1+rng.Float32()*40, y1+rng.Float32()*40)
	}
	for _, sr := range []int{0, 2} {
		o := tensor.RoIAlignOpts{OutputSize: [2]int{7, 7}, SpatialScale: 0.25, SamplingRatio: sr, Aligned: sr == 0}
		x.Grad = nil
		y := tensor.RoIAlign(x, tensor.FromSlice(rows, k, 5), o)
		dy := tensortest.Rand(rng, false, y.Shape()...)
		y.BackwardWith(dy)
		all, gradAll := y.Data(), x.Grad.Data()
		x.Grad = nil
		per := 5 * 49
		for i := range k {
			yi := tensor.RoIAlign(x, tensor.FromSlice(rows[5*i:5*i+5], 1, 5), o)
			if !slices.Equal(yi.Data(), all[i*per:(i+1)*per]) {
				t.Fatalf("sampling %d: RoI %d pooled alone differs", sr, i)
			}
			yi.BackwardWith(tensor.FromSlice(dy.Data()[i*per:(i+1)*per], yi.Shape()...))
		}
		for i, v := range x.Grad.Data() {
			if math.Abs(float64(v-gradAll[i])) > 1e-5*(1+math.Abs(float64(v))) {
				t.Fatalf("sampling %d: dx[%d] %g alone, %g together", sr, i, v, gradAll[i])
			}
		}
	}
}
