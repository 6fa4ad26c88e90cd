package rpn

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/gcdet/gcdet/box"
	"github.com/gcdet/gcdet/nn"
	"github.com/gcdet/gcdet/tensor"
	"github.com/gcdet/gcdet/tensor/tensortest"
)

func TestHeadNamesAndShapes(t *testing.T) {
	h := NewHead(rand.New(rand.NewPCG(1, 2)), 16, 3, 2)
	want := map[string][]int{
		"conv.0.0.weight": {16, 16, 3, 3}, "conv.0.0.bias": {16},
		"conv.1.0.weight": {16, 16, 3, 3}, "conv.1.0.bias": {16},
		"cls_logits.weight": {3, 16, 1, 1}, "cls_logits.bias": {3},
		"bbox_pred.weight": {12, 16, 1, 1}, "bbox_pred.bias": {12},
	}
	ps := h.Params()
	if len(ps) != len(want) {
		t.Fatalf("%d params, want %d", len(ps), len(want))
	}
	for _, p := range ps {
		if s, ok := want[p.Name]; !ok || !slices.Equal(s, p.Value.Shape()) {
			t.Errorf("param %q shape %v, want %v", p.Name, p.Value.Shape(), s)
		}
		if p.Kind == nn.KindBias {
			for _, v := range p.Value.Data() {
				if v != 0 {
					t.Fatalf("%s not zero", p.Name)
				}
			}
		} else {
			// N(0, 0.01): the sample std of 2304 values is within 10%.
			var ss float64
			for _, v := range p.Value.Data() {
				ss += float64(v) * float64(v)
			}
			if std := math.Sqrt(ss / float64(p.Value.Numel())); p.Value.Numel() > 1000 && math.Abs(std-0.01) > 0.001 {
				t.Errorf("%s std %v, want 0.01", p.Name, std)
			}
		}
	}
	if h.NumAnchors() != 3 {
		t.Errorf("NumAnchors %d", h.NumAnchors())
	}
	obj, del := h.Forward([]*tensor.Tensor{tensor.Zeros(2, 16, 5, 6), tensor.Zeros(2, 16, 3, 3)})
	if !slices.Equal(obj[0].Shape(), []int{2, 3, 5, 6}) || !slices.Equal(del[1].Shape(), []int{2, 12, 3, 3}) {
		t.Errorf("shapes %v %v", obj[0].Shape(), del[1].Shape())
	}
}

// TestFlattenOrder checks that column i of the flattened outputs belongs to
// anchor i of the anchor generator's order (level, y, x, a).
func TestFlattenOrder(t *testing.T) {
	const n, a = 2, 3
	grids := []Grid{{3, 4}, {2, 2}}
	var objs, dels []*tensor.Tensor
	code := func(img, l, y, x, an, c int) float32 {
		return float32(img*100000 + l*10000 + y*1000 + x*100 + an*10 + c)
	}
	for l, g := range grids {
		o := make([]float32, n*a*g.H*g.W)
		d := make([]float32, n*4*a*g.H*g.W)
		for img := range n {
			for an := range a {
				for y := range g.H {
					for x := range g.W {
						o[((img*a+an)*g.H+y)*g.W+x] = code(img, l, y, x, an, 0)
						for c := range 4 {
							d[((img*4*a+an*4+c)*g.H+y)*g.W+x] = code(img, l, y, x, an, c)
						}
					}
				}
			}
		}
		objs = append(objs, tensor.FromSlice(o, n, a, g.H, g.W))
		dels = append(dels, tensor.FromSlice(d, n, 4*a, g.H, g.W))
	}
	obj, del, per := Flatten(objs, dels)
	if !slices.Equal(per, []int{36, 12}) || !slices.Equal(obj.Shape(), []int{2, 48}) || !slices.Equal(del.Shape(), []int{2, 48, 4}) {
		t.Fatalf("per level %v, shapes %v %v", per, obj.Shape(), del.Shape())
	}
	od, dd := obj.Data(), del.Data()
	for img := range n {
		i := 0
		for l, g := range grids {
			for y := range g.H {
				for x := range g.W {
					for an := range a {
						if od[img*48+i] != code(img, l, y, x, an, 0) {
							t.Fatalf("objectness[%d, %d] = %v, want %v", img, i, od[img*48+i], code(img, l, y, x, an, 0))
						}
						for c := range 4 {
							if dd[(img*48+i)*4+c] != code(img, l, y, x, an, c) {
								t.Fatalf("deltas[%d, %d, %d] = %v", img, i, c, dd[(img*48+i)*4+c])
							}
						}
						i++
					}
				}
			}
		}
	}
}

func TestSelectProposals(t *testing.T) {
	// Two levels: level 0 has four anchors, level 1 two. Zero deltas give
	// the anchors back.
	anchors := box.Boxes{
		0, 0, 10, 10, // 0
		1, 1, 11, 11, // 1: IoU 0.68 with 0
		20, 20, 30, 30, // 2
		-5, -5, 50, 8, // 3: clipped to 0,0,40,8
		0, 0, 10, 10, // 4 (level 1): same box as 0, but another level
		30, 30, 30.0005, 40, // 5 (level 1): width 0.0005 < 1e-3
	}
	logits := []float32{3, 4, 1, 2, 0, 5}
	deltas := make([]float32, 24)
	coder := box.NewCoder(1, 1, 1, 1)
	size := ImageSize{H: 36, W: 40}
	tv := TorchvisionConfig().selectParams(false)
	tv.preNMS = 3
	p, err := selectProposals(logits, deltas, anchors, []int{4, 2}, size, coder, tv)
	if err != nil {
		t.Fatal(err)
	}
	// Level 0 top 3 by logit: 1 (4), 0 (3), 3 (2); level 1: 5, 4. Box 5 is
	// too small; NMS 0.7 keeps 0 next to 1 (IoU 0.68); 4 is on level 1.
	want := box.Boxes{1, 1, 11, 11, 0, 0, 10, 10, 0, 0, 40, 8, 0, 0, 10, 10}
	wantScores := []float32{sigmoid(4), sigmoid(3), sigmoid(2), sigmoid(0)}
	if !slices.Equal(p.Boxes, want) || !slices.Equal(p.Objectness, wantScores) {
		t.Errorf("proposals %v scores %v, want %v %v", p.Boxes, p.Objectness, want, wantScores)
	}
	tv.postNMS = 2
	tv.nms = 0.5 // now 1 suppresses 0
	p, _ = selectProposals(logits, deltas, anchors, []int{4, 2}, size, coder, tv)
	if want := (box.Boxes{1, 1, 11, 11, 0, 0, 40, 8}); !slices.Equal(p.Boxes, want) {
		t.Errorf("post top 2 with NMS 0.5: %v, want %v", p.Boxes, want)
	}
	// detectron2: sides > 0 kept, so box 5 survives.
	d2 := Detectron2Config().selectParams(false)
	p, _ = selectProposals(logits, deltas, anchors, []int{4, 2}, size, coder, d2)
	if p.Len() != 6 || p.Boxes[0] != 30 {
		t.Errorf("detectron2 proposals %v", p.Boxes)
	}
	// Non-finite deltas: dropped in inference, an error in training.
	bad := slices.Clone(deltas)
	bad[0] = float32(math.NaN())
	p, err = selectProposals(logits, bad, anchors, []int{4, 2}, size, coder, d2)
	if err != nil || p.Len() != 5 {
		t.Errorf("inference with a NaN delta: %d proposals, err %v", p.Len(), err)
	}
	if _, err = selectProposals(logits, bad, anchors, []int{4, 2}, size, coder, Detectron2Config().selectParams(true)); err == nil {
		t.Error("training with a NaN delta: no error")
	}
	// Decoding: a delta shifts the box by its width.
	sh := slices.Clone(deltas)
	sh[4*2] = 1 // anchor 2, dx = 1 -> x + 10
	p, _ = selectProposals(logits, sh, anchors, []int{4, 2}, ImageSize{H: 100, W: 100}, coder, d2)
	found := false
	for i := range p.Len() {
		x1, y1, x2, y2 := p.Boxes.At(i)
		found = found || (x1 == 30 && y1 == 20 && x2 == 40 && y2 == 30)
	}
	if !found {
		t.Errorf("decoded box of anchor 2 missing: %v", p.Boxes)
	}
}

func TestLabelAnchors(t *testing.T) {
	anchors := box.Boxes{
		0, 0, 10, 10, // IoU 1 with gt 0: positive
		0, 0, 10, 12, // IoU 0.83 with gt 0: positive
		0, 0, 10, 20, // IoU 0.5 with gt 0: ignored
		50, 50, 60, 60, // IoU 0: negative
		100, 100, 150, 150, // best anchor of gt 1 (IoU 0.16): low-quality positive
		90, 90, 100, 100, // IoU 0 with both: negative
	}
	gt := box.Boxes{0, 0, 10, 10, 95, 95, 115, 115}
	m, _ := box.NewMatcher(0.7, 0.3, true)
	s, _ := box.NewSampler(256, 0.5)
	coder := box.NewCoder(1, 1, 1, 1)
	tg := labelAnchors(anchors, gt, m, s, coder, rand.New(rand.NewPCG(1, 1)))
	if !slices.Equal(tg.pos, []int32{0, 1, 4}) || !slices.Equal(tg.neg, []int32{3, 5}) {
		t.Fatalf("pos %v neg %v", tg.pos, tg.neg)
	}
	want := coder.Encode(box.Boxes{0, 0, 10, 10, 0, 0, 10, 10, 95, 95, 115, 115}, anchors.Select([]int32{0, 1, 4}))
	if !slices.Equal(tg.deltas, want) {
		t.Errorf("deltas %v, want %v", tg.deltas, want)
	}
	// No ground truth: every anchor is background.
	tg = labelAnchors(anchors, nil, m, s, coder, rand.New(rand.NewPCG(1, 1)))
	if len(tg.pos) != 0 || len(tg.neg) != 6 || len(tg.deltas) != 0 {
		t.Errorf("empty image: pos %v neg %v", tg.pos, tg.neg)
	}
	// Sampling caps: 2 per image, half positive.
	s2, _ := box.NewSampler(2, 0.5)
	tg = labelAnchors(anchors, gt, m, s2, coder, rand.New(rand.NewPCG(1, 1)))
	if len(tg.pos) != 1 || len(tg.neg) != 1 || len(tg.deltas) != 4 {
		t.Errorf("capped sample: pos %v neg %v", tg.pos, tg.neg)
	}
}

func bce(x, y float64) float64 { return math.Max(x, 0) - x*y + math.Log1p(math.Exp(-math.Abs(x))) }

func TestLossNormalization(t *testing.T) {
	// 2 images, 3 anchors each.
	objv := []float32{0.5, -1, 2, 0.25, 3, -2}
	delv := make([]float32, 24)
	for i := range delv {
		delv[i] = float32(i%5) * 0.1
	}
	targets := []anchorTargets{
		{pos: []int32{1}, neg: []int32{0, 2}, deltas: []float32{0, 0.05, 0.5, -0.2}},
		{pos: nil, neg: []int32{2}},
	}
	// Reference values in float64.
	var bsum float64
	for _, p := range []struct {
		i int
		y float64
	}{{0, 0}, {1, 1}, {2, 0}, {5, 0}} {
		bsum += bce(float64(objv[p.i]), p.y)
	}
	smooth := func(d, beta float64) float64 {
		if a := math.Abs(d); a < beta {
			return 0.5 * d * d / beta
		} else {
			return a - 0.5*beta
		}
	}
	var l1, sl1 float64
	for c, tv := range targets[0].deltas {
		d := float64(delv[4*1+c]) - float64(tv)
		l1 += smooth(d, 0)
		sl1 += smooth(d, 1.0/9)
	}
	for _, tc := range []struct {
		cfg      Config
		obj, box float64
	}{
		{Detectron2Config(), bsum / 512, l1 / 512},
		{TorchvisionConfig(), bsum / 4, sl1 / 4},
	} {
		obj := tensor.FromSlice(objv, 2, 3).SetRequiresGrad(true)
		del := tensor.FromSlice(delv, 2, 3, 4).SetRequiresGrad(true)
		l := tc.cfg.losses(obj, del, targets)
		if g := float64(l.Objectness.Item()); math.Abs(g-tc.obj) > 1e-6 {
			t.Errorf("%v objectness loss %v, want %v", tc.cfg.Normalization, g, tc.obj)
		}
		if g := float64(l.BoxReg.Item()); math.Abs(g-tc.box) > 1e-6 {
			t.Errorf("%v box loss %v, want %v", tc.cfg.Normalization, g, tc.box)
		}
		tensor.Add(l.Objectness, l.BoxReg).Backward()
		// Gradients reach sampled entries only.
		if g := obj.Grad.Data(); g[4] != 0 || g[3] != 0 || g[0] == 0 || g[5] == 0 {
			t.Errorf("objectness grad %v", g)
		}
		if g := del.Grad.Data(); g[4] == 0 && g[5] == 0 && g[6] == 0 || g[0] != 0 || g[20] != 0 {
			t.Errorf("deltas grad %v", g)
		}
	}
}

func TestLossGradCheck(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	targets := []anchorTargets{
		{pos: []int32{0, 3}, neg: []int32{1}, deltas: []float32{0.3, -0.2, 0.1, 0.9, -1, 0.4, 0.2, 0}},
		{pos: []int32{2}, neg: []int32{0, 1}, deltas: []float32{0.5, 0.5, -0.5, 0.1}},
	}
	for _, cfg := range []Config{Detectron2Config(), TorchvisionConfig()} {
		obj := tensortest.Rand(rng, true, 2, 4)
		del := tensortest.Rand(rng, true, 2, 4, 4)
		err := tensortest.GradCheck(func(in []*tensor.Tensor) *tensor.Tensor {
			l := cfg.losses(in[0], in[1], targets)
			return tensor.Add(l.Objectness, l.BoxReg)
		}, []*tensor.Tensor{obj, del}, 1e-3, 1e-3, 1e-2)
		if err != nil {
			t.Errorf("%v: %v", cfg.Normalization, err)
		}
	}
}

// smallRPN is an RPN on two levels with 8 channels.
func smallRPN(t *testing.T, cfg Config) *RPN {
	t.Helper()
	g, err := NewAnchorGenerator(cfg.Anchors, [][]float64{{16}, {32}}, [][]float64{{0.5, 1, 2}, {0.5, 1, 2}}, []int{4, 8}, 0)
	if err != nil {
		t.Fatal(err)
	}
	r, err := NewWithAnchors(rand.New(rand.NewPCG(5, 6)), 8, cfg, g)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestForwardTrainingAndInference(t *testing.T) {
	for _, cfg := range []Config{Detectron2Config(), TorchvisionConfig()} {
		r := smallRPN(t, cfg)
		rng := rand.New(rand.NewPCG(7, 8))
		feats := []*tensor.Tensor{tensortest.Rand(rng, false, 2, 8, 16, 20), tensortest.Rand(rng, false, 2, 8, 8, 10)}
		in := Input{
			Features: feats,
			Padded:   ImageSize{64, 80},
			Sizes:    []ImageSize{{64, 80}, {50, 60}},
			GT:       []box.Boxes{{10, 10, 30, 40, 40, 5, 70, 30}, nil}, // second image: no ground truth
			Rand:     rand.New(rand.NewPCG(9, 9)),
		}
		out, err := r.Forward(in)
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Proposals) != 2 || out.Proposals[0].Len() == 0 || out.Proposals[1].Len() == 0 {
			t.Fatalf("%v: proposals %d", cfg.Normalization, len(out.Proposals))
		}
		for i, p := range out.Proposals {
			s := in.Sizes[i]
			for k := range p.Len() {
				x1, y1, x2, y2 := p.Boxes.At(k)
				if x1 < 0 || y1 < 0 || x2 > float32(s.W) || y2 > float32(s.H) || x2 < x1 || y2 < y1 {
					t.Fatalf("image %d proposal %v outside %v", i, p.Boxes[4*k:4*k+4], s)
				}
				if k > 0 && p.Objectness[k] > p.Objectness[k-1] {
					t.Fatalf("proposals not sorted")
				}
			}
		}
		lo, lb := out.Losses.Objectness.Item(), out.Losses.BoxReg.Item()
		if !(lo > 0 && lb > 0) || math.IsInf(float64(lo+lb), 0) {
			t.Fatalf("losses %v %v", lo, lb)
		}
		tensor.Add(out.Losses.Objectness, out.Losses.BoxReg).Backward()
		for _, p := range r.Params() {
			if p.Grad() == nil {
				t.Errorf("%s: no gradient", p.Name)
			}
		}
		nn.ZeroGrad(r)

		// Only the image without ground truth: the box loss is zero, not NaN.
		in1 := in
		in1.Features = []*tensor.Tensor{tensor.Slice(feats[0], 0, 1, 2), tensor.Slice(feats[1], 0, 1, 2)}
		in1.Sizes, in1.GT = in.Sizes[1:], in.GT[1:]
		out, err = r.Forward(in1)
		if err != nil || out.Losses.BoxReg.Item() != 0 || !(out.Losses.Objectness.Item() > 0) {
			t.Fatalf("empty image: losses %v %v, err %v", out.Losses.Objectness, out.Losses.BoxReg, err)
		}
		tensor.Add(out.Losses.Objectness, out.Losses.BoxReg).Backward()

		r.Train(false)
		out, err = r.Forward(Input{Features: feats, Padded: in.Padded, Sizes: in.Sizes})
		if err != nil || out.Losses.Objectness != nil || len(out.Proposals) != 2 {
			t.Fatalf("inference: %v %v", out.Losses, err)
		}
		if n := out.Proposals[0].Len(); n > cfg.PostNMSTopN.Test {
			t.Errorf("%d proposals", n)
		}
	}
}

func TestConfigValidate(t *testing.T) {
	for _, c := range []Config{Detectron2Config(), TorchvisionConfig()} {
		if err := c.Validate(); err != nil {
			t.Errorf("preset invalid: %v", err)
		}
	}
	bad := []func(*Config){
		func(c *Config) { c.ConvDepth = 0 },
		func(c *Config) { c.BgIoU = 0.8 },
		func(c *Config) { c.BatchSizePerImage = 0 },
		func(c *Config) { c.PositiveFraction = 1.5 },
		func(c *Config) { c.PreNMSTopN.Test = 0 },
		func(c *Config) { c.NMSThresh = math.NaN() },
		func(c *Config) { c.MinSize = -1 },
		func(c *Config) { c.SmoothL1Beta = -1 },
		func(c *Config) { c.BoxWeights[2] = 0 },
		func(c *Config) { c.Normalization = 7 },
		func(c *Config) { c.ObjectnessWeight = -1 },
	}
	for i, f := range bad {
		c := Detectron2Config()
		f(&c)
		if c.Validate() == nil {
			t.Errorf("bad config %d accepted", i)
		}
		if _, err := New(rand.New(rand.NewPCG(1, 1)), 8, c); err == nil {
			t.Errorf("New accepted bad config %d", i)
		}
	}
}
