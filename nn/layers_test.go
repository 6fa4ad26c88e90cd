package nn_test

import (
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/gcdet/gcdet/nn"
	"github.com/gcdet/gcdet/tensor"
)

type paramSpec struct {
	name  string
	kind  nn.Kind
	shape []int
}

func checkParams(t *testing.T, what string, m nn.Module, want []paramSpec) {
	t.Helper()
	ps := m.Params()
	if len(ps) != len(want) {
		t.Fatalf("%s: %d params, want %d", what, len(ps), len(want))
	}
	for i, p := range ps {
		w := want[i]
		if p.Name != w.name || p.Kind != w.kind || !reflect.DeepEqual(p.Value.Shape(), w.shape) {
			t.Errorf("%s param %d: %s %v %v, want %s %v %v", what, i, p.Name, p.Kind, p.Value.Shape(), w.name, w.kind, w.shape)
		}
		if !p.Trainable || !p.Value.RequiresGrad() {
			t.Errorf("%s: %s not trainable", what, p.Name)
		}
	}
}

func bufferNames(m nn.Module) []string {
	var out []string
	for _, b := range m.Buffers() {
		out = append(out, b.Name)
	}
	return out
}

func TestLayerParams(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	checkParams(t, "conv", nn.NewConv2d(rng, nn.Conv2dConfig{In: 6, Out: 8, Kernel: 3, Groups: 2, Bias: true}), []paramSpec{
		{"weight", nn.KindConv, []int{8, 3, 3, 3}}, {"bias", nn.KindBias, []int{8}}})
	checkParams(t, "conv no bias", nn.NewConv2d(rng, nn.Conv2dConfig{In: 3, Out: 4, Kernel: 7}), []paramSpec{
		{"weight", nn.KindConv, []int{4, 3, 7, 7}}})
	checkParams(t, "deconv", nn.NewConvTranspose2d(rng, nn.ConvTranspose2dConfig{In: 6, Out: 4, Kernel: 2, Stride: 2, Groups: 2, Bias: true}), []paramSpec{
		{"weight", nn.KindConvTranspose, []int{6, 2, 2, 2}}, {"bias", nn.KindBias, []int{4}}})
	checkParams(t, "linear", nn.NewLinear(rng, 10, 3, true), []paramSpec{
		{"weight", nn.KindLinear, []int{3, 10}}, {"bias", nn.KindBias, []int{3}}})
	bn := nn.NewBatchNorm2d(5)
	checkParams(t, "bn", bn, []paramSpec{{"weight", nn.KindNorm, []int{5}}, {"bias", nn.KindNorm, []int{5}}})
	if got := bufferNames(bn); !reflect.DeepEqual(got, []string{"running_mean", "running_var", "num_batches_tracked"}) {
		t.Errorf("bn buffers %v", got)
	}
	checkParams(t, "gn", nn.NewGroupNorm(2, 6), []paramSpec{{"weight", nn.KindNorm, []int{6}}, {"bias", nn.KindNorm, []int{6}}})
	fbn := nn.NewFrozenBatchNorm2d(4)
	if len(fbn.Params()) != 0 {
		t.Errorf("frozen BN has params")
	}
	if got := bufferNames(fbn); !reflect.DeepEqual(got, []string{"weight", "bias", "running_mean", "running_var", "num_batches_tracked"}) {
		t.Errorf("frozen bn buffers %v", got)
	}
	if g := nn.NewConv2d(rng, nn.Conv2dConfig{In: 4, Out: 4, Kernel: 3, Groups: 4}).Weight.Groups; g != 4 {
		t.Errorf("conv weight groups %d", g)
	}
}

// block mimics a torchvision ResNet block with a Sequential downsample.
type block struct {
	nn.Container
	conv1      *nn.Conv2d
	bn1        *nn.BatchNorm2d
	downsample *nn.Sequential
}

func newBlock(rng *rand.Rand) *block {
	b := &block{}
	b.conv1 = nn.Register(&b.Container, "conv1", nn.NewConv2d(rng, nn.Conv2dConfig{In: 4, Out: 4, Kernel: 3, Padding: 1}))
	b.bn1 = nn.Register(&b.Container, "bn1", nn.NewBatchNorm2d(4))
	b.downsample = nn.Register(&b.Container, "downsample", nn.NewSequential(
		nn.NewConv2d(rng, nn.Conv2dConfig{In: 4, Out: 4, Kernel: 1}), nn.NewFrozenBatchNorm2d(4)))
	return b
}

func TestContainerNames(t *testing.T) {
	rng := rand.New(rand.NewPCG(2, 2))
	var root nn.Container
	body := &nn.Container{}
	nn.Register(body, "layer1", nn.NewList(newBlock(rng), newBlock(rng)))
	nn.Register(&root, "backbone.body", body)
	var names []string
	for _, p := range root.Params() {
		names = append(names, p.Name)
	}
	want := []string{
		"backbone.body.layer1.0.conv1.weight", "backbone.body.layer1.0.bn1.weight", "backbone.body.layer1.0.bn1.bias",
		"backbone.body.layer1.0.downsample.0.weight",
		"backbone.body.layer1.1.conv1.weight", "backbone.body.layer1.1.bn1.weight", "backbone.body.layer1.1.bn1.bias",
		"backbone.body.layer1.1.downsample.0.weight",
	}
	if !reflect.DeepEqual(names, want) {
		t.Errorf("param names\n%v\nwant\n%v", names, want)
	}
	bufs := bufferNames(&root)
	if len(bufs) != 16 || bufs[0] != "backbone.body.layer1.0.bn1.running_mean" || bufs[3] != "backbone.body.layer1.0.downsample.1.weight" {
		t.Errorf("buffer names %v", bufs)
	}
	keys, err := nn.StateDictKeys(&root)
	if err != nil || len(keys) != 8+2*(3+4) { // the ignored num_batches_tracked keys are not saved
		t.Errorf("state dict keys %d %v", len(keys), err)
	}
	if body.Child("layer1") == nil || body.Child("nope") != nil || len(body.ChildNames()) != 1 {
		t.Error("Child lookup")
	}

	// Train propagates to every BatchNorm2d; new children inherit the mode.
	root.Train(false)
	blk := body.Child("layer1").(*nn.List).Items[1].(*block)
	if blk.bn1.Training() || root.Training() {
		t.Error("Train(false) did not reach a nested BatchNorm2d")
	}
	late := nn.NewBatchNorm2d(3)
	nn.Register(&root, "late", late)
	if late.Training() {
		t.Error("a child registered after Train(false) is in training mode")
	}
	root.Train(true)
	if !blk.bn1.Training() {
		t.Error("Train(true)")
	}

	defer func() {
		if recover() == nil {
			t.Error("registering a name twice did not panic")
		}
	}()
	nn.Register(&root, "late", nn.NewBatchNorm2d(3))
}

func TestFreezeParams(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 3))
	b := newBlock(rng)
	b.conv1.Weight.SetTrainable(false)
	if n := len(nn.TrainableParams(b)); n != 3 {
		t.Errorf("%d trainable params", n)
	}
	if p := nn.ParamsByName(b)["conv1.weight"]; p == nil || p.Value.RequiresGrad() {
		t.Error("frozen conv weight still requires grad")
	}
}

func TestBatchNormLayerModes(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 4))
	bn := nn.NewBatchNorm2d(3)
	x := tensor.FromSlice(func() []float32 {
		v := make([]float32, 2*3*4*5)
		for i := range v {
			v[i] = float32(rng.NormFloat64()*2 + 1)
		}
		return v
	}(), 2, 3, 4, 5)
	bn.Forward(x)
	bn.Forward(x)
	if bn.NumBatchesTracked != 2 {
		t.Errorf("num_batches_tracked %d", bn.NumBatchesTracked)
	}
	rm := append([]float32(nil), bn.RunningMean.Data()...)
	if rm[0] == 0 {
		t.Error("running mean not updated")
	}
	bn.Train(false)
	y := bn.Forward(x)
	if bn.NumBatchesTracked != 2 || bn.RunningMean.Data()[0] != rm[0] {
		t.Error("eval mode changed the statistics")
	}
	// Eval with the running stats equals the frozen layer built from it.
	fz := nn.FreezeBatchNorm2d(bn)
	yf := fz.Forward(x)
	for i, v := range y.Data() {
		if d := v - yf.Data()[i]; d > 1e-5 || d < -1e-5 {
			t.Fatalf("frozen copy differs at %d: %g vs %g", i, v, yf.Data()[i])
		}
	}
}

func TestLayerForwardShapes(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 5))
	x := tensor.Zeros(2, 4, 9, 7)
	for name, c := range map[string]struct {
		l    nn.Layer
		want []int
	}{
		"conv s2":   {nn.NewConv2d(rng, nn.Conv2dConfig{In: 4, Out: 6, Kernel: 3, Stride: 2, Padding: 1}), []int{2, 6, 5, 4}},
		"deconv s2": {nn.NewConvTranspose2d(rng, nn.ConvTranspose2dConfig{In: 4, Out: 3, Kernel: 2, Stride: 2}), []int{2, 3, 18, 14}},
		"gn":        {nn.NewGroupNorm(2, 4), []int{2, 4, 9, 7}},
		"frozen":    {nn.NewFrozenBatchNorm2d(4), []int{2, 4, 9, 7}},
		"seq":       {nn.NewSequential(nn.NewConv2d(rng, nn.Conv2dConfig{In: 4, Out: 4, Kernel: 1}), nn.NewBatchNorm2d(4), nn.ReLU{}), []int{2, 4, 9, 7}},
	} {
		if got := c.l.Forward(x).Shape(); !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s: shape %v, want %v", name, got, c.want)
		}
	}
	if got := nn.NewLinear(rng, 4, 3, false).Forward(tensor.Zeros(5, 4)).Shape(); !reflect.DeepEqual(got, []int{5, 3}) {
		t.Errorf("linear shape %v", got)
	}
}
