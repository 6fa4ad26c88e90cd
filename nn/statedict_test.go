package nn_test

import (
	"encoding/json"
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gcdet/gcdet/nn"
	"github.com/gcdet/gcdet/nn/safetensors"
	"github.com/gcdet/gcdet/tensor"
)

// testNet is testdata/gen_state.py's Net.
type testNet struct {
	nn.Container
	conv1  *nn.Conv2d
	bn1    *nn.BatchNorm2d
	layer  *nn.Sequential
	frozen *nn.FrozenBatchNorm2d
	deconv *nn.ConvTranspose2d
	fc     *nn.Linear
}

func newTestNet(rng *rand.Rand) *testNet {
	n := &testNet{}
	n.conv1 = nn.Register(&n.Container, "conv1", nn.NewConv2d(rng, nn.Conv2dConfig{In: 3, Out: 4, Kernel: 3, Padding: 1}))
	n.bn1 = nn.Register(&n.Container, "bn1", nn.NewBatchNorm2d(4))
	n.layer = nn.Register(&n.Container, "layer", nn.NewSequential(
		nn.NewConv2d(rng, nn.Conv2dConfig{In: 4, Out: 6, Kernel: 3, Stride: 2, Padding: 1, Bias: true}),
		nn.NewGroupNorm(2, 6), nn.ReLU{}))
	n.frozen = nn.Register(&n.Container, "frozen", nn.NewFrozenBatchNorm2d(6))
	n.deconv = nn.Register(&n.Container, "deconv", nn.NewConvTranspose2d(rng, nn.ConvTranspose2dConfig{In: 6, Out: 4, Kernel: 2, Stride: 2, Bias: true}))
	n.fc = nn.Register(&n.Container, "fc", nn.NewLinear(rng, 4*6*4, 5, true))
	return n
}

func (n *testNet) Forward(x *tensor.Tensor) *tensor.Tensor {
	x = tensor.Relu(n.bn1.Forward(n.conv1.Forward(x)))
	x = n.frozen.Forward(n.layer.Forward(x))
	x = n.deconv.Forward(x)
	return n.fc.Forward(tensor.Reshape(x, x.Dim(0), -1))
}

type fixtureTensor struct {
	Shape []int     `json:"shape"`
	Data  []float32 `json:"data"`
}

func (f fixtureTensor) tensor() *tensor.Tensor { return tensor.FromSlice(f.Data, f.Shape...) }

func closeTo(t *testing.T, what string, got *tensor.Tensor, want fixtureTensor, tol float64) {
	t.Helper()
	for i, v := range got.Data() {
		w := float64(want.Data[i])
		if math.Abs(float64(v)-w) > tol*(1+math.Abs(w)) {
			t.Fatalf("%s[%d] = %g, want %g", what, i, v, w)
		}
	}
}

// TestLoadTorchStateDict loads a state dict that torch wrote (through
// gen_state.py's hand-written safetensors writer) strictly, by torchvision
// names, and reproduces the torch module's outputs.
func TestLoadTorchStateDict(t *testing.T) {
	var fx struct {
		X      fixtureTensor `json:"x"`
		YEval  fixtureTensor `json:"y_eval"`
		YTrain fixtureTensor `json:"y_train"`
		Keys   []string      `json:"keys"`
	}
	raw, err := os.ReadFile("testdata/torch_state.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &fx); err != nil {
		t.Fatal(err)
	}
	net := newTestNet(rand.New(rand.NewPCG(1, 2)))
	keys, _ := nn.StateDictKeys(net)
	if len(keys) != len(fx.Keys) {
		t.Errorf("module keys %v\ntorch keys %v", keys, fx.Keys)
	}
	if err := nn.LoadSafetensors("testdata/torch_state.safetensors", net); err != nil {
		t.Fatal(err)
	}
	if net.bn1.NumBatchesTracked != 1 {
		t.Errorf("num_batches_tracked %d", net.bn1.NumBatchesTracked)
	}
	net.Train(false)
	closeTo(t, "eval output", net.Forward(fx.X.tensor()), fx.YEval, 1e-4)
	net.Train(true)
	closeTo(t, "train output", net.Forward(fx.X.tensor()), fx.YTrain, 1e-4)
}

func TestStateDictRoundTrip(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "net.safetensors")
	a := newTestNet(rand.New(rand.NewPCG(3, 4)))
	x := tensor.FromSlice(make([]float32, 2*3*6*4), 2, 3, 6, 4)
	nn.Normal(rand.New(rand.NewPCG(5, 6)), x, 0, 1)
	a.Forward(x) // move the running statistics
	a.Forward(x)
	nn.Normal(rand.New(rand.NewPCG(7, 8)), a.frozen.RunningMean, 0, 1)
	if err := nn.SaveSafetensors(path, a, map[string]string{"step": "2"}); err != nil {
		t.Fatal(err)
	}
	f, err := safetensors.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if f.Metadata["step"] != "2" || f.Tensors["bn1.num_batches_tracked"].DType != safetensors.I64 ||
		f.Tensors["fc.weight"].DType != safetensors.F32 {
		t.Errorf("file header %v %v", f.Metadata, f.Tensors)
	}
	if _, ok := f.Tensors["frozen.num_batches_tracked"]; ok {
		t.Error("ignored key saved")
	}
	f.Close()

	b := newTestNet(rand.New(rand.NewPCG(9, 10)))
	if err := nn.LoadSafetensors(path, b); err != nil {
		t.Fatal(err)
	}
	if b.bn1.NumBatchesTracked != 2 {
		t.Errorf("num_batches_tracked %d", b.bn1.NumBatchesTracked)
	}
	for _, pair := range [][2]nn.Module{{a, b}} {
		pa, pb := pair[0].Params(), pair[1].Params()
		for i := range pa {
			for j, v := range pa[i].Value.Data() {
				if pb[i].Value.Data()[j] != v {
					t.Fatalf("%s differs after the round trip", pa[i].Name)
				}
			}
		}
		ba, bb := pair[0].Buffers(), pair[1].Buffers()
		for i := range ba {
			if ba[i].Value == nil {
				continue
			}
			for j, v := range ba[i].Value.Data() {
				if bb[i].Value.Data()[j] != v {
					t.Fatalf("%s differs after the round trip", ba[i].Name)
				}
			}
		}
	}
	// Loaded values do not alias: changing the loaded model leaves the original.
	b.fc.Weight.Value.Data()[0] += 1
	if a.fc.Weight.Value.Data()[0] == b.fc.Weight.Value.Data()[0] {
		t.Error("loaded tensor aliases the saved one")
	}
}

// writeWith saves the tensors of m, edited by edit, to a file.
func writeWith(t *testing.T, m nn.Module, edit func(ts []safetensors.Tensor) []safetensors.Tensor) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "edited.safetensors")
	if err := nn.SaveSafetensors(path, m, nil); err != nil {
		t.Fatal(err)
	}
	f, err := safetensors.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	var ts []safetensors.Tensor
	for _, name := range f.Names {
		info, b, err := f.Raw(name)
		if err != nil {
			t.Fatal(err)
		}
		ts = append(ts, safetensors.Tensor{Name: name, DType: info.DType, Shape: info.Shape, Data: b})
	}
	f.Close()
	if err := safetensors.WriteFile(path, edit(ts), nil); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestLoadErrors(t *testing.T) {
	src := newTestNet(rand.New(rand.NewPCG(1, 1)))
	drop := func(key string) func([]safetensors.Tensor) []safetensors.Tensor {
		return func(ts []safetensors.Tensor) []safetensors.Tensor {
			var out []safetensors.Tensor
			for _, x := range ts {
				if x.Name != key {
					out = append(out, x)
				}
			}
			return out
		}
	}
	for name, c := range map[string]struct {
		edit func([]safetensors.Tensor) []safetensors.Tensor
		want []string
	}{
		"missing":       {drop("layer.1.weight"), []string{"missing keys", `"layer.1.weight"`}},
		"missing count": {drop("bn1.num_batches_tracked"), []string{"missing keys", `"bn1.num_batches_tracked"`}},
		"unexpected": {func(ts []safetensors.Tensor) []safetensors.Tensor {
			return append(ts, safetensors.FromFloat32("head.extra", []int{1}, []float32{1}))
		}, []string{"unexpected keys", `"head.extra"`}},
		"shape": {func(ts []safetensors.Tensor) []safetensors.Tensor {
			for i, x := range ts {
				if x.Name == "fc.weight" {
					ts[i].Shape = []int{x.Shape[1], x.Shape[0]}
				}
			}
			return ts
		}, []string{`key "fc.weight": shape [96 5] in the file, [5 96] in the model`}},
		"dtype": {func(ts []safetensors.Tensor) []safetensors.Tensor {
			for i, x := range ts {
				if x.Name == "bn1.bias" {
					ts[i] = safetensors.FromInt64(x.Name, x.Shape, make([]int64, 4))
				}
			}
			return ts
		}, []string{`key "bn1.bias"`, "not a float"}},
	} {
		path := writeWith(t, src, c.edit)
		dst := newTestNet(rand.New(rand.NewPCG(2, 2)))
		before := append([]float32(nil), dst.conv1.Weight.Value.Data()...)
		err := nn.LoadSafetensors(path, dst)
		var le *nn.LoadError
		if err == nil || !errors.As(err, &le) {
			t.Errorf("%s: error %v", name, err)
			continue
		}
		for _, w := range append(c.want, path) {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: error %q lacks %q", name, err, w)
			}
		}
		if dst.conv1.Weight.Value.Data()[0] != before[0] {
			t.Errorf("%s: a failed load changed the module", name)
		}
	}
	if err := nn.LoadSafetensors(filepath.Join(t.TempDir(), "absent.safetensors"), src); err == nil ||
		!strings.Contains(err.Error(), "absent.safetensors") {
		t.Errorf("absent file: %v", err)
	}
}

func TestLoadOptions(t *testing.T) {
	// A bare block saved alone loads into a parent under a prefix; the
	// parent's other keys are missing and allowed.
	rng := rand.New(rand.NewPCG(3, 3))
	blk := nn.NewConv2d(rng, nn.Conv2dConfig{In: 3, Out: 4, Kernel: 3, Padding: 1})
	path := filepath.Join(t.TempDir(), "conv.safetensors")
	if err := nn.SaveSafetensors(path, blk, nil); err != nil {
		t.Fatal(err)
	}
	net := newTestNet(rng)
	if err := nn.LoadSafetensors(path, net); err == nil {
		t.Fatal("strict load of a partial file succeeded")
	}
	rep, err := nn.LoadSafetensorsWith(path, net, nn.LoadOptions{Prefix: "conv1.", AllowMissing: true})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Loaded != 1 || len(rep.Missing) != 17 || len(rep.Unexpected) != 0 {
		t.Errorf("report %+v", rep)
	}
	if net.conv1.Weight.Value.Data()[5] != blk.Weight.Value.Data()[5] {
		t.Error("prefixed load did not set conv1.weight")
	}
	// Unexpected keys pass with AllowUnexpected.
	if rep, err := nn.LoadSafetensorsWith(path, nn.NewConv2d(rng, nn.Conv2dConfig{In: 3, Out: 4, Kernel: 3, Padding: 1, Bias: true}),
		nn.LoadOptions{AllowMissing: true}); err != nil || len(rep.Missing) != 1 || rep.Missing[0] != "bias" {
		t.Errorf("missing bias: %+v %v", rep, err)
	}
	small := nn.NewLinear(rng, 2, 2, false)
	if _, err := nn.LoadSafetensorsWith(path, small, nn.LoadOptions{AllowUnexpected: true}); err == nil ||
		!strings.Contains(err.Error(), `"weight": shape [4 3 3 3] in the file, [2 2] in the model`) {
		t.Errorf("shape mismatch with AllowUnexpected: %v", err)
	}
}
