package tensor_test

import (
	"encoding/json"
	"math"
	"os"
	"strings"
	"testing"

	"github.com/gcdet/gcdet/tensor"
	"github.com/gcdet/gcdet/tensor/cpu"
)

// Golden agreement with PyTorch 1.13 for the conv-family ops, forward and
// backward; testdata/gen_conv.py writes the fixture.

type convFixTensor struct {
	Shape []int     `json:"shape"`
	Data  []float32 `json:"data"`
}

type convFixCase struct {
	Name   string `json:"name"`
	Params struct {
		Stride        []int `json:"stride"`
		Padding       []int `json:"padding"`
		Dilation      []int `json:"dilation"`
		OutputPadding []int `json:"output_padding"`
		Kernel        []int `json:"kernel"`
		Size          []int `json:"size"`
		Groups        int   `json:"groups"`
	} `json:"params"`
	Tensors map[string]convFixTensor `json:"tensors"`
}

func (c convFixCase) get(name string) *tensor.Tensor {
	g, ok := c.Tensors[name]
	if !ok {
		return nil
	}
	return tensor.FromSlice(g.Data, g.Shape...).SetRequiresGrad(true)
}

func pair(s []int) [2]int {
	if len(s) == 0 {
		return [2]int{}
	}
	return [2]int{s[0], s[1]}
}

// checkConvFix compares got with fixture tensor name: |got-want| <=
// 1e-4*(|want| + max|want|) (relative to the tensor's scale, since sums of
// products of order-one values cancel).
func checkConvFix(t *testing.T, c convFixCase, name string, got *tensor.Tensor) {
	t.Helper()
	want := c.Tensors[name]
	if got == nil {
		t.Errorf("%s: no %s", c.Name, name)
		return
	}
	if !tensor.SameShape(got.Shape(), want.Shape) {
		t.Errorf("%s %s: shape %v, want %v", c.Name, name, got.Shape(), want.Shape)
		return
	}
	scale := 0.0
	for _, v := range want.Data {
		scale = math.Max(scale, math.Abs(float64(v)))
	}
	for i, v := range got.Data() {
		w := float64(want.Data[i])
		if d := math.Abs(float64(v) - w); !(d <= 1e-4*(math.Abs(w)+scale)) {
			t.Errorf("%s %s[%d] = %g, want %g", c.Name, name, i, v, w)
			return
		}
	}
}

func TestConvGolden(t *testing.T) {
	raw, err := os.ReadFile("testdata/conv_golden.json")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Cases []convFixCase `json:"cases"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatalf("testdata/conv_golden.json: %v", err)
	}
	if len(doc.Cases) < 10 {
		t.Fatalf("only %d cases in the fixture", len(doc.Cases))
	}
	run := func(t *testing.T) {
		for _, c := range doc.Cases {
			x, w, b := c.get("x"), c.get("w"), c.get("b")
			p := c.Params
			var y *tensor.Tensor
			switch {
			case strings.HasPrefix(c.Name, "convt_"):
				y = tensor.ConvTranspose2d(x, w, b, tensor.ConvTransposeOpts{Stride: pair(p.Stride), Padding: pair(p.Padding),
					OutputPadding: pair(p.OutputPadding), Dilation: pair(p.Dilation), Groups: p.Groups})
			case strings.HasPrefix(c.Name, "conv_"):
				y = tensor.Conv2d(x, w, b, tensor.ConvOpts{Stride: pair(p.Stride), Padding: pair(p.Padding), Dilation: pair(p.Dilation), Groups: p.Groups})
			case strings.HasPrefix(c.Name, "maxpool_"):
				y = tensor.MaxPool2d(x, pair(p.Kernel), pair(p.Stride), pair(p.Padding))
			case strings.HasPrefix(c.Name, "up_"), c.Name == "down":
				y = tensor.UpsampleNearest(x, p.Size[0], p.Size[1])
			default:
				t.Fatalf("unknown case %s", c.Name)
			}
			checkConvFix(t, c, "y", y)
			if !tensor.SameShape(y.Shape(), c.Tensors["dy"].Shape) {
				continue
			}
			y.BackwardWith(c.get("dy").SetRequiresGrad(false))
			checkConvFix(t, c, "dx", x.Grad)
			if w != nil {
				checkConvFix(t, c, "dw", w.Grad)
			}
			if b != nil {
				checkConvFix(t, c, "db", b.Grad)
			}
		}
	}
	prev := cpu.UseBLAS(false)
	defer cpu.UseBLAS(prev)
	prevFused := cpu.SetConvFused(true)
	defer cpu.SetConvFused(prevFused)
	t.Run("fused", run)
	cpu.SetConvFused(false)
	t.Run("im2col-go", run)
	if cpu.HaveBLAS() {
		cpu.UseBLAS(true)
		t.Run("im2col-openblas", run)
	}
}
