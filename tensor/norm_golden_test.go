package tensor_test

import (
	"encoding/json"
	"math"
	"os"
	"testing"

	"github.com/gcdet/gcdet/tensor"
)

// Golden agreement with PyTorch 1.13 / torchvision 0.14 for the norm ops;
// testdata/gen_norm.py writes the fixture.

type goldenTensor struct {
	Shape []int     `json:"shape"`
	Data  []float32 `json:"data"`
}

type normCase struct {
	Name     string                  `json:"name"`
	Momentum float32                 `json:"momentum"`
	Eps      float32                 `json:"eps"`
	Groups   int                     `json:"groups"`
	Tensors  map[string]goldenTensor `json:"tensors"`
}

func loadNormCases(t *testing.T) map[string]normCase {
	t.Helper()
	raw, err := os.ReadFile("testdata/norm_golden.json")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Cases []normCase `json:"cases"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatalf("testdata/norm_golden.json: %v", err)
	}
	m := map[string]normCase{}
	for _, c := range doc.Cases {
		m[c.Name] = c
	}
	return m
}

// get makes a fresh tensor from the named fixture tensor.
func (c normCase) get(name string, grad bool) *tensor.Tensor {
	g, ok := c.Tensors[name]
	if !ok {
		panic(c.Name + ": fixture lacks " + name)
	}
	return tensor.FromSlice(g.Data, g.Shape...).SetRequiresGrad(grad)
}

// expectClose compares got with the fixture's tensor name at relative
// tolerance rtol (relative to the tensor's largest magnitude, with a floor).
func expectClose(t *testing.T, c normCase, name string, got *tensor.Tensor, rtol float64) {
	t.Helper()
	want := c.Tensors[name]
	if got == nil {
		t.Errorf("%s %s: missing", c.Name, name)
		return
	}
	if !tensor.SameShape(got.Shape(), want.Shape) {
		t.Errorf("%s %s: shape %v, want %v", c.Name, name, got.Shape(), want.Shape)
		return
	}
	scale := 1.0
	for _, v := range want.Data {
		scale = math.Max(scale, math.Abs(float64(v)))
	}
	for i, v := range got.Data() {
		w := float64(want.Data[i])
		if d := math.Abs(float64(v) - w); d > rtol*(math.Abs(w)+1e-2*scale) || math.IsNaN(float64(v)) {
			t.Errorf("%s %s[%d] = %g, want %g", c.Name, name, i, v, w)
			return
		}
	}
}

func TestNormGoldenBatchNorm(t *testing.T) {
	cases := loadNormCases(t)
	for _, name := range []string{"bn_train", "bn_eval"} {
		c := cases[name]
		x, w, b := c.get("x", true), c.get("weight", true), c.get("bias", true)
		rm, rv := c.get("running_mean", false), c.get("running_var", false)
		y := tensor.BatchNorm2d(x, w, b, rm, rv, name == "bn_train", c.Momentum, c.Eps)
		y.BackwardWith(c.get("dy", false))
		expectClose(t, c, "y", y, 1e-4)
		expectClose(t, c, "dx", x.Grad, 1e-4)
		expectClose(t, c, "dweight", w.Grad, 1e-4)
		expectClose(t, c, "dbias", b.Grad, 1e-4)
		if name == "bn_train" {
			expectClose(t, c, "running_mean_after", rm, 1e-4)
			expectClose(t, c, "running_var_after", rv, 1e-4)
		} else {
			expectClose(t, c, "running_mean", rm, 0) // eval leaves them alone
			expectClose(t, c, "running_var", rv, 0)
		}
	}
}

func TestNormGoldenFrozenBatchNorm(t *testing.T) {
	c := loadNormCases(t)["frozen_bn"]
	x := c.get("x", true)
	y := tensor.FrozenBatchNorm2d(x, c.get("weight", false), c.get("bias", false),
		c.get("running_mean", false), c.get("running_var", false), c.Eps)
	y.BackwardWith(c.get("dy", false))
	expectClose(t, c, "y", y, 1e-4)
	expectClose(t, c, "dx", x.Grad, 1e-4)
}

func TestNormGoldenGroupNorm(t *testing.T) {
	cases := loadNormCases(t)
	for _, name := range []string{"group_norm_1", "group_norm_2", "group_norm_6"} {
		c := cases[name]
		x, w, b := c.get("x", true), c.get("weight", true), c.get("bias", true)
		y := tensor.GroupNorm(x, c.Groups, w, b, c.Eps)
		y.BackwardWith(c.get("dy", false))
		expectClose(t, c, "y", y, 1e-4)
		expectClose(t, c, "dx", x.Grad, 1e-4)
		expectClose(t, c, "dweight", w.Grad, 1e-4)
		expectClose(t, c, "dbias", b.Grad, 1e-4)
	}
}
