package detector

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gcdet/gcdet/backbone"
	"github.com/gcdet/gcdet/box"
	"github.com/gcdet/gcdet/fpn"
	"github.com/gcdet/gcdet/heads/roi"
	"github.com/gcdet/gcdet/heads/rpn"
	"github.com/gcdet/gcdet/nn"
	"github.com/gcdet/gcdet/nn/safetensors"
	"github.com/gcdet/gcdet/tensor"
)

// Golden equality of Faster R-CNN with torchvision 0.14 given the same
// weights and images, in eval mode (detections) and in a deterministic
// training pass (losses, gradients): testdata/gen_golden.py documents the
// model (a ResNet-18 FPN-32 FasterRCNN with 3 classes), the weight formula
// and the fixture.

type golden struct {
	t       *testing.T
	r       *safetensors.File
	bounds  map[string]float64
	rects   [][]json.RawMessage
	sizes   [][2]int
	origs   [][2]int
	entries map[string]bool
}

func openGolden(t *testing.T) *golden {
	t.Helper()
	f, err := safetensors.Open(filepath.Join("testdata", "golden_frcnn.safetensors"))
	if err != nil {
		t.Fatalf("%v (regenerate with: cd detector/testdata && /usr/bin/python3 gen_golden.py)", err)
	}
	t.Cleanup(func() { f.Close() })
	g := &golden{t: t, r: f, entries: map[string]bool{}}
	meta := f.Header.Metadata
	for key, dst := range map[string]any{"bounds": &g.bounds, "rects": &g.rects, "sizes": &g.sizes, "original_sizes": &g.origs} {
		if err := json.Unmarshal([]byte(meta[key]), dst); err != nil {
			t.Fatalf("fixture metadata %q: %v", key, err)
		}
	}
	for _, n := range f.Header.Names {
		g.entries[n] = true
	}
	return g
}

func (g *golden) get(key string) ([]float32, []int) {
	g.t.Helper()
	info, v, err := g.r.Float32s(key)
	if err != nil {
		g.t.Fatal(err)
	}
	return v, info.Shape
}

func (g *golden) tensor(key string) *tensor.Tensor {
	v, s := g.get(key)
	return tensor.FromSlice(v, s...)
}

// fnv1a64 and splitmix64 are the formula's hashes (gen_golden.py).
func fnv1a64(s string) uint64 {
	h := uint64(0xCBF29CE484222325)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 0x100000001B3
	}
	return h
}

func formulaUniform(name string, n int) []float64 {
	seed := fnv1a64(name)
	out := make([]float64, n)
	for i := range out {
		z := seed + uint64(i) + 0x9E3779B97F4A7C15
		z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9
		z = (z ^ (z >> 27)) * 0x94D049BB133111EB
		z ^= z >> 31
		out[i] = float64(z>>40) / (1 << 24)
	}
	return out
}

// goldenConfig is gen_golden.py's model in the torchvision preset.
func goldenConfig() Config {
	c := TorchvisionConfig(3)
	c.Backbone = backbone.ResNet18()
	c.FPN = fpn.Config{OutChannels: 32}
	c.RoI.Representation = 128
	return c
}

// model builds the Faster R-CNN golden model (see modelFor).
func (g *golden) model() *GeneralizedRCNN { return g.modelFor(goldenConfig()) }

// modelFor builds cfg's model and gives it the fixture's weights; it checks
// that our state-dict keys are exactly torchvision's.
func (g *golden) modelFor(cfg Config) *GeneralizedRCNN {
	t := g.t
	m, err := New(rand.New(rand.NewPCG(1, 1)), cfg)
	if err != nil {
		t.Fatal(err)
	}
	values := map[string]*tensor.Tensor{}
	for _, p := range m.Params() {
		values[p.Name] = p.Value
	}
	for _, b := range m.Buffers() {
		if b.Value != nil {
			values[b.Name] = b.Value
		}
	}
	theirs := map[string]bool{}
	for k := range g.bounds {
		theirs[k] = true
	}
	for n := range g.entries {
		if k, ok := strings.CutPrefix(n, "param."); ok {
			theirs[k] = true
		}
	}
	for k := range theirs {
		if values[k] == nil {
			t.Errorf("torchvision key %q missing from our model", k)
		}
	}
	for k, v := range values {
		if !theirs[k] {
			t.Errorf("our key %q (shape %v) is not torchvision's", k, v.Shape())
			continue
		}
		d := v.Data()
		if bound, ok := g.bounds[k]; ok {
			for i, u := range formulaUniform(k, len(d)) {
				d[i] = float32(bound * (2*u - 1))
			}
			continue
		}
		src, shape := g.get("param." + k)
		if !slices.Equal(shape, v.Shape()) {
			t.Fatalf("%s: fixture shape %v, ours %v", k, shape, v.Shape())
		}
		copy(d, src)
	}
	if t.Failed() {
		t.FailNow()
	}
	return m
}

// input rebuilds the formula images, padded to one batch.
func (g *golden) input() ImageList {
	const hp, wp = 96, 128
	u := formulaUniform("image", 2*3*hp*wp)
	x := make([]float32, len(u))
	l := ImageList{}
	for i, s := range g.sizes {
		h, w := s[0], s[1]
		l.Sizes = append(l.Sizes, rpn.ImageSize{H: h, W: w})
		l.Original = append(l.Original, rpn.ImageSize{H: g.origs[i][0], W: g.origs[i][1]})
		for c := range 3 {
			for y := range h {
				for xx := range w {
					v := u[((i*3+c)*hp+y)*wp+xx] - 0.5
					for _, r := range g.rects {
						var img, x1, y1, x2, y2 int
						var val [3]float64
						for k, dst := range []any{&img, &x1, &y1, &x2, &y2, &val} {
							if err := json.Unmarshal(r[k], dst); err != nil {
								g.t.Fatal(err)
							}
						}
						if img == i && xx >= x1 && xx < x2 && y >= y1 && y < y2 {
							v += val[c]
						}
					}
					x[((i*3+c)*hp+y)*wp+xx] = float32(v)
				}
			}
		}
	}
	l.Tensor = tensor.FromSlice(x, 2, 3, hp, wp)
	return l
}

// closeTo reports the first value of got that differs from want by more
// than atol + rtol*|want|, and the largest difference.
func closeTo(what string, got, want []float32, atol, rtol float64) (float64, error) {
	if len(got) != len(want) {
		return 0, fmt.Errorf("%s: %d values, want %d", what, len(got), len(want))
	}
	worst := 0.0
	for i := range got {
		d := math.Abs(float64(got[i]) - float64(want[i]))
		worst = max(worst, d)
		if !(d <= atol+rtol*math.Abs(float64(want[i]))) {
			return worst, fmt.Errorf("%s: value %d is %v, want %v", what, i, got[i], want[i])
		}
	}
	return worst, nil
}

func TestGoldenFasterRCNN(t *testing.T) {
	g := openGolden(t)
	m := g.model()
	m.Train(false)
	images := g.input()

	// The input formula.
	want, _ := g.get("input.every7")
	var got []float32
	for i, v := range images.Tensor.Data() {
		if i%7 == 0 {
			got = append(got, v)
		}
	}
	if _, err := closeTo("input", got, want, 0, 0); err != nil {
		t.Fatal(err)
	}

	tensor.NoGrad(func() {
		// Backbone features (the backbone's own golden tests are in fpn/).
		feats, names := m.Features(images)
		theirs := make([]*tensor.Tensor, len(names))
		for l, n := range names {
			theirs[l] = g.tensor("features." + n)
			if d, err := closeTo("features "+n, feats[l].Data(), theirs[l].Data(), 1e-4, 1e-4); err != nil {
				t.Error(err)
			} else {
				t.Logf("features %s: max abs difference %.3g", n, d)
			}
		}

		// The RPN on torchvision's features: head outputs and proposals.
		rout, err := m.RPN.Forward(rpn.Input{Features: theirs, Padded: images.Padded(), Sizes: images.Sizes})
		if err != nil {
			t.Fatal(err)
		}
		obj, _ := g.get("rpn.objectness")
		del, _ := g.get("rpn.deltas")
		for _, c := range []struct {
			what      string
			got, want []float32
		}{{"rpn objectness", rout.Objectness.Data(), obj}, {"rpn deltas", rout.Deltas.Data(), del}} {
			if d, err := closeTo(c.what, c.got, c.want, 1e-5, 1e-5); err != nil {
				t.Error(err)
			} else {
				t.Logf("%s: max abs difference %.3g", c.what, d)
			}
		}
		var props []box.Boxes
		for i, p := range rout.Proposals {
			wb, _ := g.get(fmt.Sprintf("rpn.proposals.%d", i))
			ws, _ := g.get(fmt.Sprintf("rpn.scores.%d", i))
			compareRanked(t, fmt.Sprintf("image %d proposals", i), p.Boxes, p.Objectness, nil, wb, ws, nil)
			props = append(props, box.Boxes(wb)) // continue with torchvision's
		}

		// The box branch on torchvision's features and proposals.
		maps := m.BoxPooler().Select(theirs, names)
		logits, deltas := m.RoIHeads.Predict(maps, props, images.Sizes)
		wl, _ := g.get("roi.class_logits")
		wd, _ := g.get("roi.box_regression")
		if d, err := closeTo("class logits", logits.Data(), wl, 1e-4, 1e-4); err != nil {
			t.Error(err)
		} else {
			t.Logf("class logits: max abs difference %.3g", d)
		}
		if d, err := closeTo("box regression", deltas.Data(), wd, 1e-4, 1e-4); err != nil {
			t.Error(err)
		} else {
			t.Logf("box regression: max abs difference %.3g", d)
		}
		dets := m.RoIHeads.Postprocess(logits, deltas, props, images.Sizes)
		final := m.cfg.Post.toOriginal(dets, images)
		for i := range dets {
			wb, _ := g.get(fmt.Sprintf("det.boxes.%d", i))
			ws, _ := g.get(fmt.Sprintf("det.scores.%d", i))
			wl, _ := g.get(fmt.Sprintf("det.labels.%d", i))
			compareRanked(t, fmt.Sprintf("image %d detections", i), dets[i].Boxes, dets[i].Scores, dets[i].Labels, wb, ws, wl)
			fb, _ := g.get(fmt.Sprintf("final.boxes.%d", i))
			compareRanked(t, fmt.Sprintf("image %d detections in original pixels", i), final[i].Boxes, final[i].Scores, final[i].Labels, fb, ws, wl)
		}
	})

	// End to end from the image.
	dets, err := m.Predict(images)
	if err != nil {
		t.Fatal(err)
	}
	for i := range dets {
		fb, _ := g.get(fmt.Sprintf("final.boxes.%d", i))
		ws, _ := g.get(fmt.Sprintf("det.scores.%d", i))
		wl, _ := g.get(fmt.Sprintf("det.labels.%d", i))
		compareRanked(t, fmt.Sprintf("image %d end to end", i), dets[i].Boxes, dets[i].Scores, dets[i].Labels, fb, ws, wl)
	}
}

// compareRanked compares a ranked list of boxes (with scores and optional
// labels) with torchvision's: same length, and each position equal within
// tolerance. Neighbours whose scores are within the tolerance may come in
// either order.
func compareRanked(t *testing.T, what string, boxes box.Boxes, scores []float32, labels []int32, wantBoxes, wantScores, wantLabels []float32) {
	t.Helper()
	const tol = 2e-4
	if len(scores) != len(wantScores) || boxes.Len() != len(wantScores) {
		t.Errorf("%s: %d boxes, want %d", what, len(scores), len(wantScores))
		return
	}
	same := func(i, j int) bool {
		if math.Abs(float64(scores[i]-wantScores[j])) > tol {
			return false
		}
		if labels != nil && float32(labels[i]) != wantLabels[j] {
			return false
		}
		for c := range 4 {
			w := float64(wantBoxes[4*j+c])
			if math.Abs(float64(boxes[4*i+c])-w) > tol*max(1, math.Abs(w)) {
				return false
			}
		}
		return true
	}
	swaps := 0
	for i := range scores {
		if same(i, i) {
			continue
		}
		// A near-tie swapped with a neighbour.
		if i+1 < len(scores) && same(i, i+1) && same(i+1, i) {
			swaps++
			continue
		}
		if i > 0 && same(i, i-1) && same(i-1, i) {
			continue
		}
		t.Errorf("%s: #%d is box %v score %v label %v, want %v %v %v", what, i, boxes[4*i:4*i+4], scores[i], lbl(labels, i), wantBoxes[4*i:4*i+4], wantScores[i], lbl32(wantLabels, i))
		return
	}
	t.Logf("%s: %d boxes agree (%d near-tie swaps)", what, len(scores), swaps)
}

func lbl(l []int32, i int) any {
	if l == nil {
		return "-"
	}
	return l[i]
}

func lbl32(l []float32, i int) any {
	if l == nil {
		return "-"
	}
	return l[i]
}

// TestGoldenTraining compares a training pass with torchvision's on the
// fixture's ground truth, with both samplers taking every labeled anchor
// and RoI (so no random draw is involved): training-mode proposals, the
// four losses and the gradients of every 1-d parameter. First on
// torchvision's features (the heads alone: tight tolerances), then end to
// end from the image.
func TestGoldenTraining(t *testing.T) {
	g := openGolden(t)
	var raw [][2]json.RawMessage
	if err := json.Unmarshal([]byte(g.r.Header.Metadata["targets"]), &raw); err != nil {
		t.Fatal(err)
	}
	var gts []roi.GroundTruth
	for _, r := range raw {
		var bs [][4]float32
		var ls []int32
		if json.Unmarshal(r[0], &bs) != nil || json.Unmarshal(r[1], &ls) != nil {
			t.Fatal("bad targets metadata")
		}
		gt := roi.GroundTruth{Labels: ls}
		for _, b := range bs {
			gt.Boxes = append(gt.Boxes, b[:]...)
		}
		gts = append(gts, gt)
	}

	m := g.model()
	cfg := m.cfg
	// Take every sample: rebuild the heads' samplers through the config.
	cfg.RPN.BatchSizePerImage, cfg.RPN.PositiveFraction = 10_000_000, 1
	cfg.RoI.BatchSizePerImage, cfg.RoI.PositiveFraction = 10_000_000, 1
	m2, err := New(rand.New(rand.NewPCG(1, 1)), cfg)
	if err != nil {
		t.Fatal(err)
	}
	copyState(t, m2, m)
	m = m2
	m.Train(true)
	images := g.input()
	rng := rand.New(rand.NewPCG(9, 9)) // draws nothing that matters

	lossNames := []string{"loss_objectness", "loss_rpn_box_reg", "loss_classifier", "loss_box_reg"}
	wantLoss := map[string]float32{}
	for _, n := range lossNames {
		v, _ := g.get("train.loss." + n)
		wantLoss[n] = v[0]
	}

	// The heads on torchvision's features and training proposals.
	var feats []*tensor.Tensor
	names := m.Backbone.Names()
	for _, n := range names {
		feats = append(feats, g.tensor("features."+n))
	}
	gtBoxes := []box.Boxes{gts[0].Boxes, gts[1].Boxes}
	rout, err := m.RPN.Forward(rpn.Input{Features: feats, Padded: images.Padded(), Sizes: images.Sizes, GT: gtBoxes, Rand: rng})
	if err != nil {
		t.Fatal(err)
	}
	var props []box.Boxes
	for i, p := range rout.Proposals {
		wb, _ := g.get(fmt.Sprintf("train.proposals.%d", i))
		if p.Boxes.Len() != len(wb)/4 {
			t.Errorf("image %d: %d training proposals, want %d", i, p.Boxes.Len(), len(wb)/4)
		} else if d, err := closeTo(fmt.Sprintf("image %d training proposals", i), p.Boxes, wb, 1e-3, 1e-5); err != nil {
			t.Logf("%v (order may differ on near ties)", err)
		} else {
			t.Logf("image %d training proposals: %d agree (max difference %.3g)", i, p.Boxes.Len(), d)
		}
		props = append(props, box.Boxes(wb))
	}
	oout, err := m.RoIHeads.Forward(roi.Input{Features: m.BoxPooler().Select(feats, names), Proposals: props, Sizes: images.Sizes, GT: gts, Rand: rng})
	if err != nil {
		t.Fatal(err)
	}
	l := Losses{RPN: rout.Losses, RoI: oout.Losses}
	for _, term := range l.Terms() {
		got, want := term.Value.Item(), wantLoss[term.Name]
		if math.Abs(float64(got-want)) > 1e-5*max(1, math.Abs(float64(want))) {
			t.Errorf("heads on torchvision features: %s = %v, want %v", term.Name, got, want)
		} else {
			t.Logf("heads on torchvision features: %s = %v (torchvision %v)", term.Name, got, want)
		}
	}
	nn.ZeroGrad(m)
	l.Total().Backward()
	for _, p := range m.Params() {
		if p.Value.Dims() != 1 || !(strings.HasPrefix(p.Name, "rpn.") || strings.HasPrefix(p.Name, "roi_heads.")) {
			continue
		}
		want, _ := g.get("train.grad." + p.Name)
		if d, err := closeTo("gradient of "+p.Name, p.Grad().Data(), want, 1e-6, 1e-4); err != nil {
			t.Error(err)
		} else {
			t.Logf("gradient of %s: max abs difference %.3g", p.Name, d)
		}
	}

	// End to end from the image.
	nn.ZeroGrad(m)
	l, err = m.LossOn(images, gts, rng)
	if err != nil {
		t.Fatal(err)
	}
	for _, term := range l.Terms() {
		got, want := term.Value.Item(), wantLoss[term.Name]
		if math.Abs(float64(got-want)) > 1e-4*max(1, math.Abs(float64(want))) {
			t.Errorf("end to end: %s = %v, want %v", term.Name, got, want)
		}
	}
	l.Total().Backward()
	n := 0
	for _, p := range m.Params() {
		if p.Value.Dims() != 1 || !p.Trainable {
			continue
		}
		n++
		want, _ := g.get("train.grad." + p.Name)
		if _, err := closeTo("end to end gradient of "+p.Name, p.Grad().Data(), want, 1e-5, 2e-3); err != nil {
			t.Error(err)
		}
	}
	t.Logf("end to end: losses and %d bias gradients agree", n)
}

// copyState copies every parameter and buffer value of src into dst (same
// architecture).
func copyState(t *testing.T, dst, src *GeneralizedRCNN) {
	t.Helper()
	sv := map[string]*tensor.Tensor{}
	for _, p := range src.Params() {
		sv[p.Name] = p.Value
	}
	for _, b := range src.Buffers() {
		if b.Value != nil {
			sv[b.Name] = b.Value
		}
	}
	for _, p := range dst.Params() {
		copy(p.Value.Data(), sv[p.Name].Data())
	}
	for _, b := range dst.Buffers() {
		if b.Value != nil {
			copy(b.Value.Data(), sv[b.Name].Data())
		}
	}
}
