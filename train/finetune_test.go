package train

import (
	"bytes"
	"encoding/json"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gcdet/gcdet/backbone"
	"github.com/gcdet/gcdet/nn/safetensors"
	"github.com/gcdet/gcdet/tensor"
	"github.com/rs/zerolog"
)

const pthFixture = "pth/testdata/tiny_resnet.pth"

type pthOutputs struct {
	Outputs map[string]struct {
		Shape []int     `json:"shape"`
		Data  []float64 `json:"data"`
	} `json:"outputs"`
}

// fixtureInput is the input formula of pth/testdata/gen_pth.py.
func fixtureInput() *tensor.Tensor {
	x := make([]float32, 3*32*32)
	for i := range x {
		x[i] = float32(math.Sin(0.1*float64(i) + 0.3*float64(i%7)))
	}
	return tensor.FromSlice(x, 1, 3, 32, 32)
}

func tinyBody() backbone.Config {
	return backbone.Config{Depth: 18, BaseWidth: 4, Norm: backbone.FrozenBN, FreezeAt: 0}
}

func compareOutputs(t *testing.T, outs []*tensor.Tensor) {
	t.Helper()
	var want pthOutputs
	b, err := os.ReadFile("pth/testdata/tiny_resnet_out.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &want); err != nil {
		t.Fatal(err)
	}
	for i, name := range []string{"res2", "res3", "res4", "res5"} {
		w := want.Outputs[name]
		got := outs[i].Data()
		if !tensor.SameShape(outs[i].Shape(), w.Shape) {
			t.Fatalf("%s: shape %v, torch %v", name, outs[i].Shape(), w.Shape)
		}
		worst := 0.0
		for j := range got {
			d := math.Abs(float64(got[j])-w.Data[j]) / (1 + math.Abs(w.Data[j]))
			worst = math.Max(worst, d)
		}
		if worst > 1e-4 {
			t.Errorf("%s: max relative difference %.3g from torchvision", name, worst)
		}
	}
}

// TestTorchvisionPthGivesSameBackboneOutput loads a state dict written by
// PyTorch with torchvision's ResNet keys into our ResNet and compares the
// stage outputs with the ones torch computed.
func TestTorchvisionPthGivesSameBackboneOutput(t *testing.T) {
	w, err := ReadWeights(pthFixture)
	if err != nil {
		t.Fatal(err)
	}
	body, err := backbone.New(rand.New(rand.NewPCG(1, 1)), tinyBody())
	if err != nil {
		t.Fatal(err)
	}
	rep, err := Assign(body, w, AssignOptions{Skip: func(k string) bool { return strings.HasPrefix(k, "fc.") || strings.HasPrefix(k, "extra.") }})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Loaded == 0 || len(rep.Skipped) != 3 {
		t.Errorf("report %+v", rep)
	}
	body.Train(false)
	var outs []*tensor.Tensor
	tensor.NoGrad(func() { outs = body.Forward(fixtureInput()) })
	compareOutputs(t, outs)
}

// TestLoadBackboneWeightsIntoDetector: model.backbone.weights fills the
// detector's body from a .pth (strictly: a stray key is an error) or a
// safetensors copy; the body then computes torch's outputs.
func TestLoadBackboneWeightsIntoDetector(t *testing.T) {
	base := t.TempDir()
	cfg := tinyConfig(t, base, "model.backbone.norm=FrozenBN", "model.backbone.base_width=4")
	m, err := BuildModel(&cfg, 4, rand.New(rand.NewPCG(1, 2)))
	if err != nil {
		t.Fatal(err)
	}
	// The fixture holds an extra tensor: refused, naming it.
	if _, err := LoadBackboneWeights(m, pthFixture); err == nil || !strings.Contains(err.Error(), `unexpected keys ["extra.half"]`) {
		t.Fatalf("stray key: %v", err)
	}
	// A safetensors copy without it loads.
	w, _ := ReadWeights(pthFixture)
	var ts []safetensors.Tensor
	for _, n := range w.Names {
		if n == "extra.half" {
			continue
		}
		tt := w.Tensors[n]
		if tt.Int != nil {
			ts = append(ts, safetensors.FromInt64(n, tt.Shape, tt.Int))
		} else {
			ts = append(ts, safetensors.FromFloat32(n, tt.Shape, tt.Float))
		}
	}
	st := filepath.Join(base, "resnet.safetensors")
	if err := safetensors.WriteFile(st, ts, nil); err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	cfg.Model.Backbone.Weights = st
	if err := InitWeights(m, cfg.Model, zerolog.New(&logs)); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(logs.String(), "backbone weights loaded") {
		t.Errorf("log: %s", logs.String())
	}
	m.Train(false)
	var outs []*tensor.Tensor
	tensor.NoGrad(func() { outs = m.Backbone.Body.Forward(fixtureInput()) })
	compareOutputs(t, outs)
	// A body of another width is refused with the keys named.
	cfg2 := tinyConfig(t, base, "model.backbone.norm=FrozenBN", "model.backbone.base_width=8")
	m2, _ := BuildModel(&cfg2, 4, rand.New(rand.NewPCG(1, 2)))
	if _, err := LoadBackboneWeights(m2, st); err == nil || !strings.Contains(err.Error(), "shape") {
		t.Errorf("width mismatch: %v", err)
	}
}

// TestDetectorWeightsOtherClassCount: model.weights from a Mask R-CNN
// checkpoint trained for 4 classes into a 2-class model: everything but
// the class-specific predictor layers is copied, those are re-initialized
// with a log line.
func TestDetectorWeightsOtherClassCount(t *testing.T) {
	base := t.TempDir()
	cfg := tinyConfig(t, base)
	src, err := BuildModel(&cfg, 4, rand.New(rand.NewPCG(1, 2)))
	if err != nil {
		t.Fatal(err)
	}
	ck := filepath.Join(base, "four.safetensors")
	if err := SaveCheckpoint(ck, src, nil, CheckpointMeta{Iter: 1}); err != nil {
		t.Fatal(err)
	}
	dst, _ := BuildModel(&cfg, 2, rand.New(rand.NewPCG(7, 7)))
	before := append([]float32(nil), dst.RoIHeads.BoxPredictor.ClsScore.Weight.Value.Data()...)
	var logs bytes.Buffer
	cfg.Model.Weights = ck
	if err := InitWeights(dst, cfg.Model, zerolog.New(&logs)); err != nil {
		t.Fatal(err)
	}
	// cls_score, bbox_pred and the mask predictor's mask_fcn_logits, weight and bias.
	if n := strings.Count(logs.String(), "re-initialized"); n != 6 {
		t.Errorf("%d re-initialization lines, want 6 (box and mask predictors):\n%s", n, logs.String())
	}
	after := dst.RoIHeads.BoxPredictor.ClsScore.Weight.Value.Data()
	for i := range after {
		if after[i] != before[i] {
			t.Fatal("class-specific weights were overwritten")
		}
	}
	a, b := src.Backbone.Params()[0].Value.Data(), dst.Backbone.Params()[0].Value.Data()
	for i := range a {
		if a[i] != b[i] {
			t.Fatal("backbone weights not copied")
		}
	}
	// Same class count: everything is copied, nothing logged.
	same, _ := BuildModel(&cfg, 4, rand.New(rand.NewPCG(8, 8)))
	logs.Reset()
	if err := InitWeights(same, cfg.Model, zerolog.New(&logs)); err != nil || strings.Contains(logs.String(), "re-initialized") {
		t.Errorf("same classes: %v %s", err, logs.String())
	}
}
