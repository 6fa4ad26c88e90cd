package roi

import (
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/gcdet/gcdet/box"
	"github.com/gcdet/gcdet/coco/mask"
	"github.com/gcdet/gcdet/heads/rpn"
	"github.com/gcdet/gcdet/nn"
	"github.com/gcdet/gcdet/tensor"
	"github.com/gcdet/gcdet/tensor/tensortest"
)

// rectMask is an InstanceMask: the pixels of [x0, x1) x [y0, y1).
type rectMask struct {
	x0, y0, x1, y1 int
	cropped        *[][4]float64 // records CropResize's boxes
}

func (r rectMask) RLE(h, w int) (mask.RLE, error) {
	m := make([]byte, h*w)
	for y := max(r.y0, 0); y < min(r.y1, h); y++ {
		for x := max(r.x0, 0); x < min(r.x1, w); x++ {
			m[y*w+x] = 1
		}
	}
	return mask.EncodeRowMajor(m, h, w)
}

func (r rectMask) CropResize(b [4]float64, size, imageW, imageH int) ([]uint8, error) {
	if r.cropped != nil {
		*r.cropped = append(*r.cropped, b)
	}
	out := make([]uint8, size*size)
	for i := range out {
		out[i] = uint8(i % 2)
	}
	return out, nil
}

// failMask cannot be rasterized.
type failMask struct{}

func (failMask) RLE(int, int) (mask.RLE, error) { return mask.RLE{}, errors.New("no segmentation") }
func (failMask) CropResize([4]float64, int, int, int) ([]uint8, error) {
	return nil, errors.New("no segmentation")
}

// onePoolerConfig pools 14x14 from a single stride-4 map.
func onePoolerConfig() PoolerConfig {
	return PoolerConfig{FeatmapNames: []string{"0"}, OutputSize: 14, SamplingRatio: 2, CanonicalScale: 224, CanonicalLevel: 4, Strides: []int{4}}
}

func maskHeads(t *testing.T, rng *rand.Rand, init Init) *Heads {
	t.Helper()
	cfg := Detectron2Config(3)
	cfg.Representation = 32
	cfg.BatchSizePerImage = 16
	h, err := New(rng, onePooler{}, 8*7*7, cfg)
	if err != nil {
		t.Fatal(err)
	}
	mc := TorchvisionMaskConfig()
	if init == Detectron2Init {
		mc = Detectron2MaskConfig()
	}
	mc.Pooler = onePoolerConfig()
	mc.ConvDim = 16
	if err := h.AddMaskBranch(rng, 8, mc); err != nil {
		t.Fatal(err)
	}
	return h
}

func TestMaskBranchNamesInit(t *testing.T) {
	for _, init := range []Init{TorchvisionInit, Detectron2Init} {
		h := maskHeads(t, rand.New(rand.NewPCG(1, 1)), init)
		var got []string
		ps := map[string]*nn.Param{}
		for _, p := range h.Params() {
			if p.Name[0] == 'm' {
				got = append(got, p.Name+" "+sprint(p.Value.Shape())+" "+p.Kind.String())
				ps[p.Name] = p
			}
		}
		want := []string{
			"mask_head.0.0.weight [16 8 3 3] conv", "mask_head.0.0.bias [16] bias",
			"mask_head.1.0.weight [16 16 3 3] conv", "mask_head.1.0.bias [16] bias",
			"mask_head.2.0.weight [16 16 3 3] conv", "mask_head.2.0.bias [16] bias",
			"mask_head.3.0.weight [16 16 3 3] conv", "mask_head.3.0.bias [16] bias",
			"mask_predictor.conv5_mask.weight [16 16 2 2] conv-transpose", "mask_predictor.conv5_mask.bias [16] bias",
			"mask_predictor.mask_fcn_logits.weight [4 16 1 1] conv", "mask_predictor.mask_fcn_logits.bias [4] bias",
		}
		if !slices.Equal(got, want) {
			t.Fatalf("%v: params\n%v\nwant\n%v", init, got, want)
		}
		std := func(name string) float64 {
			var ss float64
			d := ps[name].Value.Data()
			for _, v := range d {
				ss += float64(v) * float64(v)
			}
			return math.Sqrt(ss / float64(len(d)))
		}
		near := func(name string, want, tol float64) {
			if s := std(name); math.Abs(s-want) > tol*want {
				t.Errorf("%v: %s std %.4g, want %.4g", init, name, s, want)
			}
		}
		// kaiming normal, fan out, ReLU gain: sqrt(2 / (out * k * k)).
		near("mask_head.1.0.weight", math.Sqrt(2.0/(16*9)), 0.1)
		near("mask_head.0.0.weight", math.Sqrt(2.0/(16*9)), 0.1)
		for i := range 4 {
			if s := std("mask_head." + itoa(i) + ".0.bias"); s != 0 {
				t.Errorf("%v: mask head bias %d not zero", init, i)
			}
		}
		// conv5_mask [in, out, 2, 2]: torch's fan out is in * 4.
		near("mask_predictor.conv5_mask.weight", math.Sqrt(2.0/(16*4)), 0.15)
		if init == Detectron2Init {
			near("mask_predictor.mask_fcn_logits.weight", 0.001, 0.3)
			for _, b := range []string{"mask_predictor.conv5_mask.bias", "mask_predictor.mask_fcn_logits.bias"} {
				if std(b) != 0 {
					t.Errorf("detectron2: %s not zero", b)
				}
			}
		} else {
			near("mask_predictor.mask_fcn_logits.weight", math.Sqrt(2.0/4), 0.3)
			// torch's default biases: uniform within 1/sqrt(fan_in).
			for b, bound := range map[string]float64{"mask_predictor.conv5_mask.bias": 1 / math.Sqrt(16*4), "mask_predictor.mask_fcn_logits.bias": 0.25} {
				if s := std(b); s == 0 || s > bound {
					t.Errorf("torchvision: %s std %v, want uniform within %v", b, s, bound)
				}
			}
		}
		if !h.HasMasks() || h.MaskPooler() == nil {
			t.Error("HasMasks / MaskPooler")
		}
		if c, ok := h.MaskConfig(); !ok || c.MaskSize() != 28 {
			t.Errorf("MaskConfig %+v %v", c, ok)
		}
	}

	// A second branch, a branch after registration, a bad config.
	rng := rand.New(rand.NewPCG(2, 2))
	h := maskHeads(t, rng, TorchvisionInit)
	if err := h.AddMaskBranch(rng, 8, TorchvisionMaskConfig()); err == nil {
		t.Error("second mask branch accepted")
	}
	cfg := Detectron2Config(3)
	h2, _ := New(rng, onePooler{}, 8*7*7, cfg)
	var parent nn.Container
	nn.Register(&parent, "roi_heads", h2)
	if err := h2.AddMaskBranch(rng, 8, TorchvisionMaskConfig()); err == nil {
		t.Error("mask branch after registration accepted")
	}
	h3, _ := New(rng, onePooler{}, 8*7*7, cfg)
	bad := TorchvisionMaskConfig()
	bad.ConvDim = 0
	if err := h3.AddMaskBranch(rng, 8, bad); err == nil || h3.HasMasks() {
		t.Error("bad mask config accepted")
	}
}

func TestMaskConfigValidate(t *testing.T) {
	for _, c := range []MaskConfig{TorchvisionMaskConfig(), Detectron2MaskConfig()} {
		if err := c.Validate(); err != nil {
			t.Errorf("preset: %v", err)
		}
	}
	for name, edit := range map[string]func(*MaskConfig){
		"pooler size": func(c *MaskConfig) { c.Pooler.OutputSize = 0 },
		"convs":       func(c *MaskConfig) { c.NumConvs = -1 },
		"dim":         func(c *MaskConfig) { c.ConvDim = 0 },
		"init":        func(c *MaskConfig) { c.Init = 7 },
		"targets":     func(c *MaskConfig) { c.Targets = 7 },
		"weight":      func(c *MaskConfig) { c.LossWeight = float32(math.NaN()) },
		"paste":       func(c *MaskConfig) { c.Paste = 7 },
		"threshold":   func(c *MaskConfig) { c.Threshold = 1.5 },
	} {
		c := TorchvisionMaskConfig()
		edit(&c)
		if err := c.Validate(); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestMaskLoss(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 4))
	const p, k1, m = 3, 4, 5
	logits := tensortest.Rand(rng, true, p, k1, m, m)
	labels := []int32{2, 1, 3}
	targets := make([]float32, p*m*m)
	for i := range targets {
		targets[i] = float32(rng.IntN(3)) / 2 // soft targets 0, 0.5, 1
	}
	want := 0.0
	lv := logits.Data()
	for r, l := range labels {
		for i := range m * m {
			x := float64(lv[(r*k1+int(l))*m*m+i])
			y := float64(targets[r*m*m+i])
			want += math.Max(x, 0) - x*y + math.Log1p(math.Exp(-math.Abs(x)))
		}
	}
	want /= p * m * m
	if got := float64(MaskLoss(logits, labels, targets).Item()); math.Abs(got-want) > 1e-6 {
		t.Errorf("loss %v, want %v", got, want)
	}
	if err := tensortest.GradCheck(func(in []*tensor.Tensor) *tensor.Tensor {
		return MaskLoss(in[0], labels, targets)
	}, []*tensor.Tensor{logits}, 1e-3, 1e-3, 1e-2); err != nil {
		t.Error(err)
	}
	// Without positives: 0 (not NaN) and a zero gradient.
	empty := tensor.Zeros(0, k1, m, m).SetRequiresGrad(true)
	l := MaskLoss(empty, nil, nil)
	if l.Item() != 0 {
		t.Errorf("empty loss %v", l.Item())
	}
	l.Backward()
	if empty.Grad == nil || empty.Grad.Numel() != 0 {
		t.Errorf("empty gradient %v", empty.Grad)
	}
}

func TestMaskTargets(t *testing.T) {
	const h, w, m = 40, 50, 8
	masks := []InstanceMask{rectMask{x0: 10, y0: 5, x1: 30, y1: 25}, rectMask{x0: 0, y0: 0, x1: 50, y1: 40}}
	rois := box.Boxes{10, 5, 30, 25, 40, 30, 48, 38, 0, 0, 50, 40}
	matched := []int32{0, 0, 1}
	got, err := MaskTargets(TorchvisionMaskTargets, rois, matched, masks, h, w, m)
	if err != nil {
		t.Fatal(err)
	}
	for y := range m {
		for x := range m {
			// RoI 0 is the rectangle: its interior bins are 1 (the last
			// row and column sample across the edge, as torchvision does).
			if v := got[y*m+x]; x < m-1 && y < m-1 && v != 1 {
				t.Errorf("RoI 0 bin (%d,%d) = %v, want 1", y, x, v)
			}
			if v := got[m*m+y*m+x]; v != 0 {
				t.Errorf("RoI 1 (outside the instance) bin (%d,%d) = %v", y, x, v)
			}
		}
	}
	if got[m*m-1] <= 0 || got[m*m-1] >= 1 {
		t.Errorf("RoI 0 corner bin %v, want a soft value", got[m*m-1])
	}
	// The detectron2 rule asks each instance for its own crop.
	var boxes [][4]float64
	masks[0] = rectMask{cropped: &boxes}
	got, err = MaskTargets(Detectron2MaskTargets, rois[:8], matched[:2], masks, h, w, m)
	if err != nil || len(got) != 2*m*m || got[1] != 1 || got[0] != 0 {
		t.Fatalf("detectron2 targets: %v %v", err, got)
	}
	if !slices.Equal(boxes, [][4]float64{{10, 5, 30, 25}, {40, 30, 48, 38}}) {
		t.Errorf("crop boxes %v", boxes)
	}
	// Errors: no mask for the matched instance, a mask that fails.
	if _, err := MaskTargets(TorchvisionMaskTargets, rois[:4], []int32{2}, masks, h, w, m); err == nil {
		t.Error("missing mask accepted")
	}
	for _, rule := range []MaskTargetRule{TorchvisionMaskTargets, Detectron2MaskTargets} {
		if _, err := MaskTargets(rule, rois[:4], []int32{0}, []InstanceMask{failMask{}}, h, w, m); err == nil {
			t.Errorf("%v: failing mask accepted", rule)
		}
	}
	if got, err := MaskTargets(TorchvisionMaskTargets, nil, nil, nil, h, w, m); err != nil || len(got) != 0 {
		t.Errorf("no RoIs: %v %v", got, err)
	}
}

func TestPasteRLE(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 5))
	const h, w, m = 30, 41, 6
	probs := make([]float32, m*m)
	for i := range probs {
		probs[i] = rng.Float32()
	}
	boxes := [][4]float32{
		{5.5, 3.2, 20.1, 17.9}, {-10, -5, 8, 6}, {30, 20, 60, 50}, {50, 40, 70, 60}, {-20, -20, -5, -3},
		{12, 12, 12.2, 12.4}, {0, 0, 41, 30}, {3, 8, 3, 8}, {float32(math.NaN()), 1, 5, 5},
	}
	for _, rule := range []PasteRule{TorchvisionPaste, Detectron2Paste} {
		for _, b := range boxes {
			p := PasteProbs(probs, m, b, h, w, rule)
			dense := make([]byte, h*w)
			for y := range h {
				for x := range w {
					v := p.At(y, x)
					if v < 0 || v > 1 || math.IsNaN(float64(v)) {
						t.Fatalf("%v box %v: pixel (%d,%d) = %v", rule, b, y, x, v)
					}
					on := v > 0.5
					if rule == Detectron2Paste {
						on = v >= 0.5
					}
					if on {
						dense[y*w+x] = 1
					}
				}
			}
			want, _ := mask.EncodeRowMajor(dense, h, w)
			got := PasteMask(probs, m, b, h, w, rule, 0.5)
			if err := got.Validate(); err != nil || !slices.Equal(got.Counts, want.Counts) || got.H != h || got.W != w {
				t.Errorf("%v box %v: RLE %v (%v), want %v", rule, b, got.Counts, err, want.Counts)
			}
		}
	}
	// The torchvision window of a box inside the image: the box grown by
	// (m+2)/m about its center, truncated.
	p := PasteProbs(probs, m, [4]float32{6, 6, 18, 18}, h, w, TorchvisionPaste)
	if p.X0 != 4 || p.Y0 != 4 || p.X1 != 21 || p.Y1 != 21 {
		t.Errorf("window %d..%d x %d..%d, want 4..21 x 4..21", p.X0, p.X1, p.Y0, p.Y1)
	}
}

func TestPasteMasksMirroredAndSelect(t *testing.T) {
	const m = 4
	probs := make([]float32, 2*m*m)
	for y := range m {
		for x := range m / 2 {
			probs[y*m+x] = 1 // mask 0: left half
		}
		probs[m*m+y*m+m-1] = 1 // mask 1: right column
	}
	d := Detections{Boxes: box.Boxes{2, 2, 10, 10, 12, 4, 20, 12}, Scores: []float32{0.9, 0.8}, Labels: []int32{1, 2}, MaskProbs: probs, MaskSize: m}
	d.PasteMasks(16, 24, Detectron2Paste, 0.5, true)
	mirrored := slices.Clone(probs)
	for k := range 2 {
		for y := range m {
			slices.Reverse(mirrored[k*m*m+y*m : k*m*m+(y+1)*m])
		}
	}
	for k := range 2 {
		b := d.Boxes[4*k : 4*k+4]
		want := PasteMask(mirrored[k*m*m:(k+1)*m*m], m, [4]float32{b[0], b[1], b[2], b[3]}, 16, 24, Detectron2Paste, 0.5)
		if !slices.Equal(d.Masks[k].Counts, want.Counts) {
			t.Errorf("mask %d: %v, want %v", k, d.Masks[k].Counts, want.Counts)
		}
	}
	s := d.Select([]int32{1})
	if s.Len() != 1 || s.Labels[0] != 2 || !slices.Equal(s.MaskProbs, probs[m*m:]) || len(s.Masks) != 1 || s.MaskSize != m {
		t.Errorf("Select: %+v", s)
	}
}

func TestHeadsForwardMasks(t *testing.T) {
	rng := rand.New(rand.NewPCG(6, 6))
	h := maskHeads(t, rng, TorchvisionInit)
	feats := []*tensor.Tensor{tensortest.Rand(rng, false, 2, 8, 16, 16)}
	props := []box.Boxes{{0, 0, 20, 20, 10, 10, 40, 50, 30, 30, 60, 60}, {5, 5, 15, 15}}
	sizes := []rpn.ImageSize{{H: 64, W: 64}, {H: 60, W: 50}}
	gt := []GroundTruth{{Boxes: box.Boxes{8, 8, 42, 50}, Labels: []int32{2}, Masks: []InstanceMask{rectMask{x0: 10, y0: 12, x1: 40, y1: 45}}}, {}}
	out, err := h.Forward(Input{Features: feats, Proposals: props, Sizes: sizes, GT: gt, Rand: rng})
	if err != nil {
		t.Fatal(err)
	}
	if l := out.Losses.Mask; l == nil || !(l.Item() > 0) || math.IsInf(float64(l.Item()), 0) {
		t.Fatalf("mask loss %v", l)
	}
	tensor.Add(tensor.Add(out.Losses.Classifier, out.Losses.BoxReg), out.Losses.Mask).Backward()
	for _, p := range h.Params() {
		if p.Grad() == nil || !p.Grad().AllFinite() {
			t.Errorf("%s: gradient %v", p.Name, p.Grad())
		}
	}

	// No positives in the batch: loss 0 and zero gradients (not nil) for
	// the mask branch.
	nn.ZeroGrad(h)
	out, err = h.Forward(Input{Features: feats, Proposals: props, Sizes: sizes, GT: []GroundTruth{{}, {}}, Rand: rng})
	if err != nil {
		t.Fatal(err)
	}
	if out.Losses.Mask.Item() != 0 {
		t.Errorf("mask loss without positives %v", out.Losses.Mask.Item())
	}
	tensor.Add(out.Losses.Classifier, out.Losses.Mask).Backward()
	for _, p := range h.MaskHead.Params() {
		if p.Grad() == nil || tensor.SumAll(tensor.Abs(p.Grad())).Item() != 0 {
			t.Errorf("%s: gradient without positives %v", p.Name, p.Grad())
		}
	}

	// Missing masks are an error.
	gt[0].Masks = nil
	if _, err := h.Forward(Input{Features: feats, Proposals: props, Sizes: sizes, GT: gt, Rand: rng}); err == nil {
		t.Error("ground truth without masks accepted")
	}

	// Inference: each detection's class channel through a sigmoid.
	h.Train(false)
	var inf Output
	tensor.NoGrad(func() {
		inf, err = h.Forward(Input{Features: feats, Proposals: props, Sizes: sizes})
	})
	if err != nil {
		t.Fatal(err)
	}
	var dboxes []box.Boxes
	for _, d := range inf.Detections {
		dboxes = append(dboxes, d.Boxes)
	}
	logits := h.MaskLogits(feats, dboxes, sizes).Data()
	off := 0
	for i, d := range inf.Detections {
		if d.MaskSize != 28 || len(d.MaskProbs) != d.Len()*784 {
			t.Fatalf("image %d: mask size %d, %d values for %d detections", i, d.MaskSize, len(d.MaskProbs), d.Len())
		}
		for k, l := range d.Labels {
			for p := range 784 {
				x := float64(logits[((off+k)*4+int(l))*784+p])
				if want := 1 / (1 + math.Exp(-x)); math.Abs(float64(d.MaskProbs[k*784+p])-want) > 1e-6 {
					t.Fatalf("image %d detection %d pixel %d: %v, want %v", i, k, p, d.MaskProbs[k*784+p], want)
				}
			}
		}
		off += d.Len()
	}
	if off == 0 {
		t.Error("no detections to check")
	}

	// No proposals at all: no detections, empty masks.
	tensor.NoGrad(func() {
		inf, err = h.Forward(Input{Features: feats, Proposals: []box.Boxes{{}, {}}, Sizes: sizes})
	})
	if err != nil {
		t.Fatal(err)
	}
	for i, d := range inf.Detections {
		if d.Len() != 0 || len(d.MaskProbs) != 0 || d.MaskSize != 28 {
			t.Errorf("image %d without proposals: %+v", i, d)
		}
		d.PasteMasks(10, 10, TorchvisionPaste, 0.5, false)
		if len(d.Masks) != 0 {
			t.Errorf("image %d: %d pasted masks", i, len(d.Masks))
		}
	}
}
