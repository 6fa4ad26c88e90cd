package roi

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/gcdet/gcdet/box"
	"github.com/gcdet/gcdet/heads/rpn"
	"github.com/gcdet/gcdet/nn"
	"github.com/gcdet/gcdet/tensor"
	"github.com/gcdet/gcdet/tensor/tensortest"
)

func TestNamesShapesInit(t *testing.T) {
	for _, init := range []Init{Detectron2Init, TorchvisionInit} {
		cfg := Detectron2Config(5)
		cfg.Init = init
		cfg.Representation = 64
		pool, _ := NewMultiScaleRoIAlign(TorchvisionPooler(7))
		h, err := New(rand.New(rand.NewPCG(1, 1)), pool, 8*7*7, cfg)
		if err != nil {
			t.Fatal(err)
		}
		want := []string{
			"box_head.fc6.weight [64 392]", "box_head.fc6.bias [64]", "box_head.fc7.weight [64 64]", "box_head.fc7.bias [64]",
			"box_predictor.cls_score.weight [6 64]", "box_predictor.cls_score.bias [6]",
			"box_predictor.bbox_pred.weight [24 64]", "box_predictor.bbox_pred.bias [24]",
		}
		var got []string
		for _, p := range h.Params() {
			got = append(got, p.Name+" "+sprint(p.Value.Shape()))
		}
		if !slices.Equal(got, want) {
			t.Errorf("%v: params %v, want %v", init, got, want)
		}
		std := func(p *nn.Param) float64 {
			var ss float64
			for _, v := range p.Value.Data() {
				ss += float64(v) * float64(v)
			}
			return math.Sqrt(ss / float64(p.Value.Numel()))
		}
		bias := h.BoxPredictor.ClsScore.Bias.Value.Data()
		switch init {
		case Detectron2Init:
			if s := std(h.BoxPredictor.BBoxPred.Weight); math.Abs(s-0.001) > 0.0002 {
				t.Errorf("detectron2 bbox_pred std %v", s)
			}
			if s := std(h.BoxPredictor.ClsScore.Weight); math.Abs(s-0.01) > 0.002 {
				t.Errorf("detectron2 cls_score std %v", s)
			}
			if slices.Max(bias) != 0 || slices.Min(bias) != 0 {
				t.Errorf("detectron2 cls_score bias %v", bias)
			}
			if b := h.BoxHead.FC6.Bias.Value.Data(); slices.Max(b) != 0 {
				t.Error("detectron2 fc6 bias not zero")
			}
		case TorchvisionInit:
			// kaiming_uniform(a=sqrt(5)): bound 1/sqrt(fan_in), std bound/sqrt(3).
			if s, w := std(h.BoxPredictor.BBoxPred.Weight), 1/math.Sqrt(3*64); math.Abs(s-w) > 0.15*w {
				t.Errorf("torchvision bbox_pred std %v, want %v", s, w)
			}
			if slices.Max(bias) == 0 {
				t.Error("torchvision cls_score bias all zero")
			}
		}
		if h.BoxPredictor.NumClasses() != 5 {
			t.Errorf("NumClasses %d", h.BoxPredictor.NumClasses())
		}
	}
}

func sprint(s []int) string {
	out := "["
	for i, d := range s {
		if i > 0 {
			out += " "
		}
		out += itoa(d)
	}
	return out + "]"
}

func itoa(d int) string {
	if d == 0 {
		return "0"
	}
	var b []byte
	for ; d > 0; d /= 10 {
		b = append([]byte{byte('0' + d%10)}, b...)
	}
	return string(b)
}

func TestSampleProposals(t *testing.T) {
	gt := GroundTruth{Boxes: box.Boxes{0, 0, 10, 10, 50, 50, 70, 70}, Labels: []int32{3, 1}}
	props := box.Boxes{
		0, 0, 10, 9, // IoU 0.9 with gt 0: class 3
		52, 50, 70, 70, // IoU 0.9 with gt 1: class 1
		0, 0, 20, 20, // IoU 0.25: background
		100, 100, 110, 110, // background
	}
	m, _ := box.NewMatcher(0.5, 0.5, false)
	s, _ := box.NewSampler(512, 0.25)
	got := sampleProposals(props, gt, true, m, s, rand.New(rand.NewPCG(1, 1)))
	// Six RoIs (4 proposals + 2 ground truth), all taken: 4 positives fit
	// in 512/4.
	if !slices.Equal(got.Labels, []int32{3, 1, 0, 0, 3, 1}) || !slices.Equal(got.MatchedGT, []int32{0, 1, -1, -1, 0, 1}) {
		t.Errorf("labels %v matched %v", got.Labels, got.MatchedGT)
	}
	if want := append(props.Clone(), gt.Boxes...); !slices.Equal(got.Boxes, want) {
		t.Errorf("boxes %v", got.Boxes)
	}
	if !slices.Equal(got.Foreground(), []int32{0, 1, 4, 5}) {
		t.Errorf("foreground %v", got.Foreground())
	}
	if props.Len() != 4 {
		t.Error("proposals modified")
	}
	// Without adding the ground truth, capped to 2 RoIs with at most 1
	// positive: one positive, one negative, in ascending index order.
	s2, _ := box.NewSampler(2, 0.5)
	got = sampleProposals(props, gt, false, m, s2, rand.New(rand.NewPCG(1, 1)))
	if got.Len() != 2 || got.Labels[0] == 0 || got.Labels[1] != 0 {
		t.Errorf("capped sample %+v", got)
	}
	// No ground truth: everything is background.
	got = sampleProposals(props, GroundTruth{}, true, m, s, rand.New(rand.NewPCG(1, 1)))
	if got.Len() != 4 || slices.Max(got.Labels) != 0 || slices.Max(got.MatchedGT) != -1 {
		t.Errorf("empty image sample %+v", got)
	}
}

func TestLossValues(t *testing.T) {
	// Two images, 3 classes (K+1 = 4 logits); image 0 has RoIs with labels
	// 2 and 0, image 1 one RoI with label 1.
	sampled := []Sampled{
		{Boxes: box.Boxes{0, 0, 10, 10, 20, 20, 30, 30}, Labels: []int32{2, 0}, MatchedGT: []int32{0, -1}},
		{Boxes: box.Boxes{5, 5, 25, 15}, Labels: []int32{1}, MatchedGT: []int32{1}},
	}
	gt := []GroundTruth{
		{Boxes: box.Boxes{1, 1, 11, 12}, Labels: []int32{2}},
		{Boxes: box.Boxes{0, 0, 1, 1, 4, 6, 26, 16}, Labels: []int32{3, 1}},
	}
	coder := box.NewCoder(10, 10, 5, 5)
	logitsv := []float32{0.1, 0.5, 2, -1, 1, 0, 0, 0.3, -0.5, 1.5, 0.2, 0}
	deltasv := make([]float32, 3*16)
	for i := range deltasv {
		deltasv[i] = float32(i%7)*0.1 - 0.3
	}
	// Reference: cross entropy mean over 3 RoIs; box loss over the deltas
	// of class 2 (RoI 0) and class 1 (RoI 2), divided by 3.
	ce := 0.0
	for r, label := range []int{2, 0, 1} {
		row := logitsv[4*r : 4*r+4]
		lse := 0.0
		for _, v := range row {
			lse += math.Exp(float64(v))
		}
		ce += math.Log(lse) - float64(row[label])
	}
	ce /= 3
	t0 := coder.Encode(box.Boxes{1, 1, 11, 12}, box.Boxes{0, 0, 10, 10})
	t2 := coder.Encode(box.Boxes{4, 6, 26, 16}, box.Boxes{5, 5, 25, 15})
	for _, beta := range []float32{0, 1.0 / 9} {
		reg := 0.0
		for c := range 4 {
			for _, p := range []struct {
				d, tv float32
			}{{deltasv[0*16+2*4+c], t0[c]}, {deltasv[2*16+1*4+c], t2[c]}} {
				d := math.Abs(float64(p.d) - float64(p.tv))
				if d < float64(beta) {
					reg += 0.5 * d * d / float64(beta)
				} else {
					reg += d - 0.5*float64(beta)
				}
			}
		}
		reg /= 3
		cfg := Detectron2Config(3)
		cfg.SmoothL1Beta = beta
		logits := tensor.FromSlice(logitsv, 3, 4).SetRequiresGrad(true)
		deltas := tensor.FromSlice(deltasv, 3, 16).SetRequiresGrad(true)
		l := cfg.losses(logits, deltas, sampled, gt, coder)
		if g := float64(l.Classifier.Item()); math.Abs(g-ce) > 1e-6 {
			t.Errorf("beta %v: classifier loss %v, want %v", beta, g, ce)
		}
		if g := float64(l.BoxReg.Item()); math.Abs(g-reg) > 1e-6 {
			t.Errorf("beta %v: box loss %v, want %v", beta, g, reg)
		}
		err := tensortest.GradCheck(func(in []*tensor.Tensor) *tensor.Tensor {
			l := cfg.losses(in[0], in[1], sampled, gt, coder)
			return tensor.Add(l.Classifier, l.BoxReg)
		}, []*tensor.Tensor{logits, deltas}, 1e-3, 1e-3, 1e-2)
		if err != nil {
			t.Errorf("beta %v: %v", beta, err)
		}
	}
	// No RoIs at all: zero losses, not NaN.
	l := Detectron2Config(3).losses(tensor.Zeros(0, 4), tensor.Zeros(0, 16), []Sampled{{}}, []GroundTruth{{}}, coder)
	if l.Classifier.Item() != 0 || l.BoxReg.Item() != 0 {
		t.Errorf("empty losses %v %v", l.Classifier.Item(), l.BoxReg.Item())
	}
}

func TestPostprocess(t *testing.T) {
	coder := box.NewCoder(10, 10, 5, 5)
	// Image 0 has three RoIs, image 1 one; 2 classes (K+1 = 3).
	rois := []box.Boxes{{0, 0, 10, 10, 1, 0, 11, 10, 30, 30, 60, 50}, {0, 0, 20, 20}}
	logits := tensor.FromSlice([]float32{
		0, 3, 0, // RoI 0: class 1 (0.91)
		0, 2.5, 2.5, // RoI 1: classes 1 and 2 (0.48 each)
		5, 0, -1, // RoI 2: background; class 1 has 0.0066 < 0.05
		0, 0, 1, // image 1, RoI 0: class 2 (0.58), class 1 (0.21)
	}, 4, 3)
	deltas := make([]float32, 4*12)
	// RoI 2 class 2: shift right by half its width (dx = 10*0.5).
	deltas[2*12+2*4] = 5
	// Image 1 class 2: grow far beyond the image (clipped).
	deltas[3*12+2*4+2], deltas[3*12+2*4+3] = 10, 10
	sizes := []rpn.ImageSize{{H: 40, W: 60}, {H: 30, W: 30}}
	cfg := TorchvisionConfig(2)
	dets := cfg.postprocess(logits, tensor.FromSlice(deltas, 4, 12), rois, sizes, coder)
	// Image 0: RoI 0 class 1 suppresses RoI 1 class 1 (IoU 0.82), RoI 1
	// class 2 stays (another class); RoI 0 class 2 (0.045) and RoI 2
	// (0.0066, 0.0024) fall below 0.05.
	d := dets[0]
	if !slices.Equal(d.Labels, []int32{1, 2}) || d.Len() != 2 || !slices.Equal(d.Boxes, box.Boxes{0, 0, 10, 10, 1, 0, 11, 10}) {
		t.Errorf("image 0 detections %v %v %v", d.Boxes, d.Scores, d.Labels)
	}
	for k := 1; k < d.Len(); k++ {
		if d.Scores[k] > d.Scores[k-1] {
			t.Errorf("not sorted: %v", d.Scores)
		}
	}
	d = dets[1]
	if d.Len() != 2 || !slices.Equal(d.Labels, []int32{2, 1}) || !slices.Equal(d.Boxes[:4], []float32{0, 0, 30, 30}) {
		t.Errorf("image 1 detections %v %v %v", d.Boxes, d.Scores, d.Labels)
	}
	// The cap on detections and the score threshold.
	cfg.DetectionsPerImage = 1
	dets = cfg.postprocess(logits, tensor.FromSlice(deltas, 4, 12), rois, sizes, coder)
	if dets[0].Len() != 1 || dets[1].Len() != 1 || dets[1].Labels[0] != 2 {
		t.Errorf("capped: %+v", dets)
	}
	cfg.DetectionsPerImage = 100
	cfg.ScoreThresh = 0.5
	dets = cfg.postprocess(logits, tensor.FromSlice(deltas, 4, 12), rois, sizes, coder)
	if dets[0].Len() != 1 || dets[1].Len() != 1 {
		t.Errorf("threshold 0.5: %+v", dets)
	}
	// A NaN delta (a diverged model) drops that box.
	nan := slices.Clone(deltas)
	nan[0*12+1*4] = float32(math.NaN())
	dets = TorchvisionConfig(2).postprocess(logits, tensor.FromSlice(nan, 4, 12), rois, sizes, coder)
	if d := dets[0]; d.Len() != 2 || !slices.Equal(d.Boxes, box.Boxes{1, 0, 11, 10, 1, 0, 11, 10}) {
		t.Errorf("NaN delta: %v %v %v", d.Boxes, d.Scores, d.Labels)
	}
	// No RoIs.
	dets = cfg.postprocess(tensor.Zeros(0, 3), tensor.Zeros(0, 12), []box.Boxes{{}}, sizes[:1], coder)
	if dets[0].Len() != 0 {
		t.Errorf("no RoIs: %+v", dets)
	}
}

// onePooler pools level 0 only, with plain RoIAlign (for tests).
type onePooler struct{}

func (onePooler) Pool(features []*tensor.Tensor, boxes []box.Boxes, _ []rpn.ImageSize) *tensor.Tensor {
	rows := RoIRows(boxes)
	return tensor.RoIAlign(features[0], tensor.FromSlice(rows, len(rows)/5, 5), tensor.RoIAlignOpts{OutputSize: [2]int{7, 7}, SpatialScale: 0.25, SamplingRatio: 2})
}

func TestHeadsForward(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 3))
	cfg := Detectron2Config(2)
	cfg.Representation = 32
	cfg.BatchSizePerImage = 16
	h, err := New(rng, onePooler{}, 4*7*7, cfg)
	if err != nil {
		t.Fatal(err)
	}
	feats := []*tensor.Tensor{tensortest.Rand(rng, false, 2, 4, 16, 16)}
	props := []box.Boxes{{0, 0, 20, 20, 10, 10, 40, 50, 30, 30, 60, 60}, {5, 5, 15, 15}}
	sizes := []rpn.ImageSize{{H: 64, W: 64}, {H: 60, W: 50}}
	gt := []GroundTruth{{Boxes: box.Boxes{8, 8, 42, 50}, Labels: []int32{2}}, {}}
	out, err := h.Forward(Input{Features: feats, Proposals: props, Sizes: sizes, GT: gt, Rand: rng})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Sampled) != 2 || out.Sampled[0].Len() != 4 || out.Sampled[1].Len() != 1 || out.ClassLogits.Dim(0) != 5 {
		t.Fatalf("sampled %+v, logits %v", out.Sampled, out.ClassLogits.Shape())
	}
	if !(out.Losses.Classifier.Item() > 0) || !(out.Losses.BoxReg.Item() >= 0) {
		t.Errorf("losses %v %v", out.Losses.Classifier.Item(), out.Losses.BoxReg.Item())
	}
	tensor.Add(out.Losses.Classifier, out.Losses.BoxReg).Backward()
	for _, p := range h.Params() {
		if p.Grad() == nil {
			t.Errorf("%s: no gradient", p.Name)
		}
	}
	// Bad ground truth is an error.
	_, err = h.Forward(Input{Features: feats, Proposals: props, Sizes: sizes, GT: []GroundTruth{{Boxes: box.Boxes{1, 1, 2, 2}, Labels: []int32{0}}, {}}, Rand: rng})
	if err == nil {
		t.Error("label 0: no error")
	}
	h.Train(false)
	out, err = h.Forward(Input{Features: feats, Proposals: props, Sizes: sizes})
	if err != nil || len(out.Detections) != 2 || out.Losses.Classifier != nil {
		t.Fatalf("inference: %v %+v", err, out)
	}
}

func TestConfigValidate(t *testing.T) {
	for _, c := range []Config{Detectron2Config(80), TorchvisionConfig(1)} {
		if err := c.Validate(); err != nil {
			t.Errorf("preset: %v", err)
		}
	}
	bad := []func(*Config){
		func(c *Config) { c.NumClasses = 0 },
		func(c *Config) { c.Representation = 0 },
		func(c *Config) { c.Init = 9 },
		func(c *Config) { c.BgIoU = 0.6 },
		func(c *Config) { c.BatchSizePerImage = 0 },
		func(c *Config) { c.PositiveFraction = -0.1 },
		func(c *Config) { c.SmoothL1Beta = float32(math.Inf(1)) },
		func(c *Config) { c.ClsWeight = -1 },
		func(c *Config) { c.ScoreThresh = 2 },
		func(c *Config) { c.NMSThresh = -1 },
		func(c *Config) { c.DetectionsPerImage = 0 },
		func(c *Config) { c.MinSize = -1 },
		func(c *Config) { c.BoxWeights[0] = 0 },
	}
	for i, f := range bad {
		c := Detectron2Config(3)
		f(&c)
		if c.Validate() == nil {
			t.Errorf("bad config %d accepted", i)
		}
		if _, err := New(rand.New(rand.NewPCG(1, 1)), onePooler{}, 10, c); err == nil {
			t.Errorf("New accepted bad config %d", i)
		}
	}
}

func TestBoxHeadNoRoIs(t *testing.T) {
	h := NewTwoMLPHead(rand.New(rand.NewPCG(1, 1)), 4*7*7, 16, TorchvisionInit)
	if y := h.Forward(tensor.Zeros(0, 4, 7, 7)); !slices.Equal(y.Shape(), []int{0, 16}) {
		t.Errorf("shape %v", y.Shape())
	}
	if y := h.Forward(tensor.Zeros(3, 4, 7, 7)); !slices.Equal(y.Shape(), []int{3, 16}) {
		t.Errorf("shape %v", y.Shape())
	}
}
