package fpn_test

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"testing"

	"github.com/gcdet/gcdet/backbone"
	"github.com/gcdet/gcdet/fpn"
	"github.com/gcdet/gcdet/nn"
	"github.com/gcdet/gcdet/tensor"
)

// Golden agreement of ResNet-FPN features with torchvision 0.14 given the
// same weights, which both sides derive from a formula (testdata/gen_fpn.py
// documents it and writes the fixture).

type fpnFixOutput struct {
	Name  string    `json:"name"`
	Shape []int     `json:"shape"`
	Every int       `json:"every"`
	Data  []float32 `json:"data"`
	Sum   float64   `json:"sum"`
	SumSq float64   `json:"sumsq"`
}

type fpnFixCase struct {
	Name        string         `json:"name"`
	Arch        string         `json:"arch"`
	Norm        string         `json:"norm"`
	OutChannels int            `json:"out_channels"`
	Input       []int          `json:"input"`
	Outputs     []fpnFixOutput `json:"outputs"`
}

var archConfigs = map[string]backbone.Config{
	"resnet18":        {Depth: 18},
	"resnet34":        {Depth: 34},
	"resnet50":        {Depth: 50},
	"resnext50_32x4d": {Depth: 50, Groups: 32, WidthPerGroup: 4},
}

// setFormulaWeights gives every state-dict entry of m the formula values of
// gen_fpn.py.
func setFormulaWeights(t *testing.T, m nn.Module) {
	t.Helper()
	byName := map[string]*tensor.Tensor{}
	for _, p := range m.Params() {
		byName[p.Name] = p.Value
	}
	for _, b := range m.Buffers() {
		if b.Value != nil {
			byName[b.Name] = b.Value
		}
	}
	keys := make([]string, 0, len(byName))
	for k := range byName {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for k, name := range keys {
		v := byName[name]
		shape := v.Shape()
		var scale, shift float64
		switch {
		case len(shape) == 4:
			scale = math.Sqrt(3 / float64(shape[1]*shape[2]*shape[3]))
		case hasSuffix(name, "running_var"):
			scale, shift = 0.25, 0.75
		case hasSuffix(name, "running_mean"):
			scale = 0.1
		case hasSuffix(name, "weight"):
			scale, shift = 0.2, 1
		case hasSuffix(name, "bias"):
			scale = 0.1
		default:
			t.Fatalf("no formula for %s", name)
		}
		d := v.Data()
		for i := range d {
			d[i] = float32(shift + scale*math.Sin(float64(i)*0.37+0.71*float64(k)))
		}
	}
}

func hasSuffix(s, suf string) bool { return len(s) >= len(suf) && s[len(s)-len(suf):] == suf }

func formulaInput(shape ...int) *tensor.Tensor {
	d := make([]float32, tensor.Numel(shape))
	for i := range d {
		d[i] = float32(math.Sin(0.05*float64(i)) + 0.5*math.Cos(0.011*float64(i)))
	}
	return tensor.FromSlice(d, shape...)
}

func TestResNetFPNGolden(t *testing.T) {
	raw, err := os.ReadFile("testdata/fpn_golden.json")
	if err != nil {
		t.Fatal(err)
	}
	var fx struct {
		Cases []fpnFixCase `json:"cases"`
	}
	if err := json.Unmarshal(raw, &fx); err != nil {
		t.Fatal(err)
	}
	for _, c := range fx.Cases {
		t.Run(c.Name, func(t *testing.T) {
			cfg := archConfigs[c.Arch]
			if cfg.Depth == 0 {
				t.Fatalf("unknown arch %s", c.Arch)
			}
			if cfg.Norm, err = backbone.ParseNorm(c.Norm); err != nil {
				t.Fatal(err)
			}
			m, err := fpn.NewResNetFPN(rand.New(rand.NewPCG(1, 2)), cfg, fpn.Config{OutChannels: c.OutChannels})
			if err != nil {
				t.Fatal(err)
			}
			setFormulaWeights(t, m)
			m.Train(false)
			var outs []*tensor.Tensor
			tensor.NoGrad(func() { outs = m.Forward(formulaInput(c.Input...)) })
			if names := m.Names(); !slices.Equal(names, []string{"0", "1", "2", "3", "pool"}) {
				t.Errorf("names %v", names)
			}
			if len(outs) != len(c.Outputs) {
				t.Fatalf("%d outputs, want %d", len(outs), len(c.Outputs))
			}
			for l, want := range c.Outputs {
				compareLevel(t, want, outs[l])
			}
		})
	}
}

// compareLevel checks shape, the sampled values (to 5e-5 of the level's
// largest value) and the sums.
func compareLevel(t *testing.T, want fpnFixOutput, got *tensor.Tensor) {
	t.Helper()
	if !tensor.SameShape(got.Shape(), want.Shape) {
		t.Errorf("level %s: shape %v, want %v", want.Name, got.Shape(), want.Shape)
		return
	}
	scale := 0.0
	for _, v := range want.Data {
		scale = math.Max(scale, math.Abs(float64(v)))
	}
	d := got.Data()
	worst := 0.0
	for j, w := range want.Data {
		v := d[j*want.Every]
		diff := math.Abs(float64(v - w))
		worst = math.Max(worst, diff/scale)
		if !(diff <= 5e-5*scale) {
			t.Errorf("level %s element %d: %g, want %g (scale %g)", want.Name, j*want.Every, v, w, scale)
			return
		}
	}
	var sum, sumsq float64
	for _, v := range d {
		sum += float64(v)
		sumsq += float64(v) * float64(v)
	}
	n := float64(len(d))
	if math.Abs(sum-want.Sum) > 2e-4*scale*n || math.Abs(sumsq-want.SumSq) > 1e-4*want.SumSq {
		t.Errorf("level %s: sum %g sumsq %g, want %g %g", want.Name, sum, sumsq, want.Sum, want.SumSq)
	}
	t.Logf("level %s %v: worst relative difference %.2g", want.Name, want.Shape, worst)
}
