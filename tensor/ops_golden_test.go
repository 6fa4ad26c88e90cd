package tensor_test

import (
	"encoding/json"
	"math"
	"os"
	"testing"

	"github.com/gcdet/gcdet/tensor"
)

// Golden agreement with PyTorch 1.13 for losses, (log-)softmax and index
// ops, forward and backward. testdata/ops_golden.json is written by
// testdata/gen_ops.py (run with /usr/bin/python3); see its doc string.

type opsGoldenTensor struct {
	Shape []int     `json:"shape"`
	Data  []float64 `json:"data"`
}

func (g opsGoldenTensor) leaf() *tensor.Tensor {
	return tensor.FromFloat64(g.Data, g.Shape...).SetRequiresGrad(true)
}

func (g opsGoldenTensor) tensor() *tensor.Tensor { return tensor.FromFloat64(g.Data, g.Shape...) }

type opsGoldenCase struct {
	Axis      int             `json:"axis"`
	Ignore    int32           `json:"ignore"`
	Targets   []int32         `json:"targets"`
	Beta      float64         `json:"beta"`
	Reduction string          `json:"reduction"`
	Idx       []int32         `json:"idx"`
	IdxShape  []int           `json:"idx_shape"`
	X         opsGoldenTensor `json:"x"`
	T         opsGoldenTensor `json:"t"`
	R         opsGoldenTensor `json:"r"`
	Y         opsGoldenTensor `json:"y"`
	Loss      opsGoldenTensor `json:"loss"`
	Dx        opsGoldenTensor `json:"dx"`
	Dt        opsGoldenTensor `json:"dt"`
	Pred      opsGoldenTensor `json:"pred"`
	Target    opsGoldenTensor `json:"target"`
	Dpred     opsGoldenTensor `json:"dpred"`
	Dtarget   opsGoldenTensor `json:"dtarget"`
	Dst       opsGoldenTensor `json:"dst"`
	Src       opsGoldenTensor `json:"src"`
	Ddst      opsGoldenTensor `json:"ddst"`
	Dsrc      opsGoldenTensor `json:"dsrc"`
}

func loadOpsGolden(t *testing.T) map[string]opsGoldenCase {
	t.Helper()
	raw, err := os.ReadFile("testdata/ops_golden.json")
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		Cases map[string]opsGoldenCase `json:"cases"`
	}
	if err := json.Unmarshal(raw, &f); err != nil {
		t.Fatal(err)
	}
	return f.Cases
}

// opsExpectGolden compares got with want to 1e-5 relative (plus 1e-6
// absolute for values near zero).
func opsExpectGolden(t *testing.T, what string, got *tensor.Tensor, want opsGoldenTensor) {
	t.Helper()
	if got == nil {
		t.Errorf("%s: missing", what)
		return
	}
	if !tensor.SameShape(got.Shape(), want.Shape) {
		t.Errorf("%s: shape %v, want %v", what, got.Shape(), want.Shape)
		return
	}
	for i, v := range got.Data() {
		w := want.Data[i]
		if d := math.Abs(float64(v) - w); d > 1e-6+1e-5*math.Abs(w) || math.IsNaN(float64(v)) {
			t.Errorf("%s[%d] = %.8g, torch %.8g", what, i, v, w)
			return
		}
	}
}

func TestOpsGoldenTorch(t *testing.T) {
	cases := loadOpsGolden(t)
	if len(cases) < 12 {
		t.Fatalf("fixture has %d cases", len(cases))
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			switch name {
			case "log_softmax_last", "log_softmax_mid", "softmax_mid":
				x := c.X.leaf()
				var y *tensor.Tensor
				if name == "softmax_mid" {
					y = tensor.Softmax(x, c.Axis)
				} else {
					y = tensor.LogSoftmax(x, c.Axis)
				}
				opsExpectGolden(t, "y", y, c.Y)
				tensor.SumAll(tensor.Mul(y, c.R.tensor())).Backward()
				opsExpectGolden(t, "dx", x.Grad, c.Dx)
			case "ce_ignore_default", "ce_ignore_class":
				x := c.X.leaf()
				loss := tensor.CrossEntropy(x, c.Targets, c.Ignore)
				opsExpectGolden(t, "loss", loss, c.Loss)
				loss.Backward()
				opsExpectGolden(t, "dx", x.Grad, c.Dx)
			case "bce_with_logits":
				x, tg := c.X.leaf(), c.T.leaf()
				loss := tensor.BCEWithLogits(x, tg)
				opsExpectGolden(t, "loss", loss, c.Loss)
				loss.Backward()
				opsExpectGolden(t, "dx", x.Grad, c.Dx)
				opsExpectGolden(t, "dt", tg.Grad, c.Dt)
			case "smooth_l1_beta_ninth_sum", "smooth_l1_beta_ninth_mean", "smooth_l1_beta0_mean", "smooth_l1_beta0_sum":
				p, q := c.Pred.leaf(), c.Target.leaf()
				red := tensor.ReduceMean
				if c.Reduction == "sum" {
					red = tensor.ReduceSum
				}
				loss := tensor.SmoothL1(p, q, float32(c.Beta), red)
				opsExpectGolden(t, "loss", loss, c.Loss)
				loss.Backward()
				opsExpectGolden(t, "dpred", p.Grad, c.Dpred)
				opsExpectGolden(t, "dtarget", q.Grad, c.Dtarget)
			case "gather_axis1":
				x := c.X.leaf()
				y := tensor.Gather(x, c.Axis, c.Idx, c.IdxShape)
				opsExpectGolden(t, "y", y, c.Y)
				tensor.SumAll(tensor.Mul(y, c.R.tensor())).Backward()
				opsExpectGolden(t, "dx", x.Grad, c.Dx)
			case "scatter_add_axis0":
				dst, src := c.Dst.leaf(), c.Src.leaf()
				y := tensor.ScatterAdd(dst, c.Axis, c.Idx, c.IdxShape, src)
				opsExpectGolden(t, "y", y, c.Y)
				tensor.SumAll(tensor.Mul(y, c.R.tensor())).Backward()
				opsExpectGolden(t, "ddst", dst.Grad, c.Ddst)
				opsExpectGolden(t, "dsrc", src.Grad, c.Dsrc)
			case "index_select_axis1":
				x := c.X.leaf()
				y := tensor.IndexSelect(x, c.Axis, c.Idx)
				opsExpectGolden(t, "y", y, c.Y)
				tensor.SumAll(tensor.Mul(y, c.R.tensor())).Backward()
				opsExpectGolden(t, "dx", x.Grad, c.Dx)
			default:
				t.Fatalf("no check for fixture case %q", name)
			}
		})
	}
}
