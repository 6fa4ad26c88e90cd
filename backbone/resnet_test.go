package backbone

import (
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/gcdet/gcdet/nn"
	"github.com/gcdet/gcdet/tensor"
	"github.com/gcdet/gcdet/tensor/tensortest"
)

func newTest(t *testing.T, cfg Config) *ResNet {
	t.Helper()
	r, err := New(rand.New(rand.NewPCG(1, 2)), cfg)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestShapesAndStrides(t *testing.T) {
	for _, c := range []struct {
		name string
		cfg  Config
		out  int // res2 channels at base width 8
	}{
		{"R18", Config{Depth: 18}, 8},
		{"R34", Config{Depth: 34}, 8},
		{"R50", Config{Depth: 50}, 32},
		{"R101", Config{Depth: 101}, 32},
		{"X50-4x16d", Config{Depth: 50, Groups: 4, WidthPerGroup: 16}, 32},
	} {
		cfg := c.cfg
		cfg.BaseWidth = 8
		cfg.OutFeatures = FeatureNames
		r := newTest(t, cfg)
		x := tensortest.Rand(rand.New(rand.NewPCG(3, 4)), false, 2, 3, 64, 95)
		var outs []*tensor.Tensor
		tensor.NoGrad(func() { outs = r.Forward(x) })
		specs := r.OutputShapes()
		wantCh := []int{8, c.out, 2 * c.out, 4 * c.out, 8 * c.out}
		wantHW := [][2]int{{16, 24}, {16, 24}, {8, 12}, {4, 6}, {2, 3}}
		for i, o := range outs {
			s := specs[i]
			if s.Name != FeatureNames[i] || s.Stride != featureStrides[i] || s.Channels != wantCh[i] {
				t.Errorf("%s: spec %d = %+v", c.name, i, s)
			}
			want := []int{2, wantCh[i], wantHW[i][0], wantHW[i][1]}
			if !tensor.SameShape(o.Shape(), want) {
				t.Errorf("%s %s: shape %v, want %v", c.name, s.Name, o.Shape(), want)
			}
		}
		if r.SizeDivisibility() != 32 {
			t.Errorf("%s: size divisibility %d", c.name, r.SizeDivisibility())
		}
	}
}

func TestBlockCountsAndWidths(t *testing.T) {
	for depth, blocks := range stageBlocks {
		r := newTest(t, Config{Depth: depth, BaseWidth: 4, Groups: 1})
		for i, st := range r.Stages {
			if len(st.Layers) != blocks[i] {
				t.Errorf("R%d layer%d: %d blocks, want %d", depth, i+1, len(st.Layers), blocks[i])
			}
		}
	}
	// ResNeXt-50 32x4d at full width: res2's grouped 3x3 conv is 128 wide
	// in 32 groups (torchvision's width = planes*4/64*32).
	r := newTest(t, ResNeXt50_32x4d())
	b := r.Stages[0].Layers[0].(*Bottleneck)
	if sh := b.Conv2.Weight.Value.Shape(); !slices.Equal(sh, []int{128, 4, 3, 3}) || b.Conv2.Opts.Groups != 32 || b.Conv2.Weight.Groups != 32 {
		t.Errorf("ResNeXt conv2 weight %v groups %d", sh, b.Conv2.Opts.Groups)
	}
}

func TestStridePlacement(t *testing.T) {
	for _, in1x1 := range []bool{false, true} {
		r := newTest(t, Config{Depth: 50, BaseWidth: 8, StrideInOneByOne: in1x1})
		b := r.Stages[1].Layers[0].(*Bottleneck)
		s1, s3 := b.Conv1.Opts.Stride[0], b.Conv2.Opts.Stride[0]
		if (in1x1 && (s1 != 2 || s3 != 1)) || (!in1x1 && (s1 != 1 || s3 != 2)) {
			t.Errorf("StrideInOneByOne %v: 1x1 stride %d, 3x3 stride %d", in1x1, s1, s3)
		}
		if b.Downsample == nil || b.Downsample.Layers[0].(*nn.Conv2d).Opts.Stride[0] != 2 {
			t.Errorf("layer2.0 downsample missing or not strided")
		}
	}
	// res2's first bottleneck projects 64 -> 256 without stride; a basic
	// block stage 1 has an identity shortcut.
	r := newTest(t, Config{Depth: 50})
	if d := r.Stages[0].Layers[0].(*Bottleneck).Downsample; d == nil || d.Layers[0].(*nn.Conv2d).Opts.Stride[0] != 1 {
		t.Errorf("layer1.0 downsample")
	}
	r = newTest(t, Config{Depth: 18})
	if r.Stages[0].Layers[0].(*BasicBlock).Downsample != nil {
		t.Errorf("R18 layer1.0 has a downsample")
	}
}

func TestFreezeAt(t *testing.T) {
	for _, norm := range []Norm{FrozenBN, BN, GN} {
		for freezeAt := 0; freezeAt <= 5; freezeAt++ {
			r := newTest(t, Config{Depth: 18, BaseWidth: 32, Norm: norm, FreezeAt: freezeAt})
			for _, p := range r.Params() {
				// The stem (res1) is frozen at freeze_at >= 1, layerK (resK+1)
				// at freeze_at >= K+1.
				res := 1
				if strings.HasPrefix(p.Name, "layer") {
					res = int(p.Name[5]-'0') + 1
				}
				frozen := freezeAt >= res
				if p.Trainable == frozen || p.Value.RequiresGrad() == frozen {
					t.Errorf("%v freeze_at %d: %s trainable %v", norm, freezeAt, p.Name, p.Trainable)
				}
			}
		}
	}
}

func TestFrozenBatchNormKeepsStatistics(t *testing.T) {
	r := newTest(t, Config{Depth: 18, BaseWidth: 8, Norm: BN, FreezeAt: 2})
	r.Train(true)
	frozen := r.BN1.(evalBatchNorm)
	trained := r.Stages[1].Layers[0].(*BasicBlock).BN1.(*nn.BatchNorm2d)
	x := tensortest.Rand(rand.New(rand.NewPCG(5, 6)), false, 2, 3, 32, 32)
	r.Forward(x)
	if frozen.NumBatchesTracked != 0 || frozen.RunningMean.Data()[0] != 0 || frozen.Training() {
		t.Errorf("frozen stem BN updated its statistics")
	}
	if trained.NumBatchesTracked != 1 || trained.RunningMean.Data()[0] == 0 {
		t.Errorf("trainable BN did not update its statistics")
	}
}

func TestOutFeaturesSelection(t *testing.T) {
	r := newTest(t, Config{Depth: 18, BaseWidth: 8, OutFeatures: []string{"res3", "stem"}})
	if len(r.Stages) != 2 {
		t.Errorf("%d stages built for res3, want 2", len(r.Stages))
	}
	specs := r.OutputShapes()
	if len(specs) != 2 || specs[0].Name != "stem" || specs[1].Name != "res3" || specs[1].Stride != 8 {
		t.Errorf("specs %+v", specs)
	}
	for _, p := range r.Params() {
		if strings.HasPrefix(p.Name, "layer3") || strings.HasPrefix(p.Name, "layer4") {
			t.Errorf("unused parameter %s", p.Name)
		}
	}
	outs := r.Forward(tensor.Zeros(1, 3, 32, 32))
	if len(outs) != 2 || outs[1].Dim(1) != 16 {
		t.Errorf("outputs %d", len(outs))
	}
}

func TestConfigErrors(t *testing.T) {
	for _, c := range []struct {
		cfg  Config
		want string
	}{
		{Config{Depth: 42}, "depth 42"},
		{Config{Depth: 18, Groups: 32, WidthPerGroup: 4}, "basic blocks"},
		{Config{Depth: 50, FreezeAt: 6}, "freeze_at 6"},
		{Config{Depth: 50, OutFeatures: []string{"res6"}}, `"res6"`},
		{Config{Depth: 50, OutFeatures: []string{"res2", "res2"}}, "twice"},
		{Config{Depth: 50, OutFeatures: []string{}}, "no output"},
		{Config{Depth: 18, Norm: GN, BaseWidth: 8}, "GN with 32 groups"},
		{Config{Depth: 18, Norm: Norm(7)}, "unknown norm"},
		{Config{Depth: 50, BaseWidth: 8, Groups: 4, WidthPerGroup: 4}, "rounds to zero"},
	} {
		_, err := New(rand.New(rand.NewPCG(1, 1)), c.cfg)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: error %v, want one mentioning %q", c.cfg, err, c.want)
		}
	}
	if _, err := ParseNorm("LayerNorm"); err == nil {
		t.Error("ParseNorm accepted LayerNorm")
	}
	for s, want := range map[string]Norm{"FrozenBN": FrozenBN, "bn": BN, "GN": GN} {
		if n, err := ParseNorm(s); err != nil || n != want || (strings.EqualFold(s, n.String()) == false) {
			t.Errorf("ParseNorm(%q) = %v, %v", s, n, err)
		}
	}
}

func TestInit(t *testing.T) {
	a := newTest(t, Config{Depth: 50, Norm: BN, ZeroInitResidual: true})
	b := newTest(t, Config{Depth: 50, Norm: BN, ZeroInitResidual: true})
	pa, pb := nn.ParamsByName(a), nn.ParamsByName(b)
	if !slices.Equal(pa["layer3.2.conv2.weight"].Value.Data(), pb["layer3.2.conv2.weight"].Value.Data()) {
		t.Error("same seed, different weights")
	}
	// kaiming_normal, fan_out, ReLU gain: std = sqrt(2 / (out * k * k)).
	w := pa["layer3.0.conv2.weight"].Value.Data() // [256, 256, 3, 3]
	var s2 float64
	for _, v := range w {
		s2 += float64(v) * float64(v)
	}
	std, want := math.Sqrt(s2/float64(len(w))), math.Sqrt(2.0/(256*9))
	if math.Abs(std-want) > 0.02*want {
		t.Errorf("conv std %g, want %g", std, want)
	}
	for name, p := range pa {
		d := p.Value.Data()
		switch {
		case strings.HasSuffix(name, "bn3.weight"):
			if slices.Max(d) != 0 || slices.Min(d) != 0 {
				t.Errorf("%s not zero-initialized", name)
			}
		case p.Kind == nn.KindNorm && strings.HasSuffix(name, ".weight"):
			if slices.Min(d) != 1 || slices.Max(d) != 1 {
				t.Errorf("%s not 1", name)
			}
		case p.Kind == nn.KindNorm:
			if slices.Min(d) != 0 || slices.Max(d) != 0 {
				t.Errorf("%s not 0", name)
			}
		}
	}
	// FrozenBN buffers: identity affine by default, scale 0 on bn2 of basic
	// blocks with zero_init_residual.
	r := newTest(t, Config{Depth: 18, ZeroInitResidual: true})
	if fb := r.Stages[0].Layers[1].(*BasicBlock).BN2.(*nn.FrozenBatchNorm2d); fb.Weight.Data()[0] != 0 {
		t.Error("FrozenBN bn2 not zero-initialized")
	}
	r.SetNormEps(0)
	if r.BN1.(*nn.FrozenBatchNorm2d).Eps != 0 || r.Stages[3].Layers[1].(*BasicBlock).BN2.(*nn.FrozenBatchNorm2d).Eps != 0 {
		t.Error("SetNormEps missed a layer")
	}
}
