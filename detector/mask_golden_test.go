package detector

import (
	"bufio"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/gcdet/gcdet/box"
	"github.com/gcdet/gcdet/coco"
	"github.com/gcdet/gcdet/coco/mask"
	"github.com/gcdet/gcdet/heads/roi"
	"github.com/gcdet/gcdet/nn"
	"github.com/gcdet/gcdet/nn/safetensors"
	"github.com/gcdet/gcdet/tensor"
)

// Golden equality of Mask R-CNN with torchvision 0.14: the reduced model of
// gen_golden.py with torchvision's mask branch (testdata/gen_golden_mask.py
// documents the model, the weights and the fixture), in eval mode (mask
// logits, probabilities, pasted masks), in a deterministic training pass
// (loss_mask and gradients), mask targets on real tiny_coco polygons, and
// both paste rules.

func openMaskGolden(t *testing.T) *golden {
	t.Helper()
	f, err := safetensors.Open(filepath.Join("testdata", "golden_mask.safetensors"))
	if err != nil {
		t.Fatalf("%v (regenerate with: cd detector/testdata && PYCOCOTOOLS=/tmp/pp/PythonAPI /usr/bin/python3 gen_golden_mask.py)", err)
	}
	t.Cleanup(func() { f.Close() })
	g := &golden{t: t, r: f, entries: map[string]bool{}}
	for key, dst := range map[string]any{"bounds": &g.bounds, "rects": &g.rects, "sizes": &g.sizes, "original_sizes": &g.origs} {
		g.meta(key, dst)
	}
	for _, n := range f.Header.Names {
		g.entries[n] = true
	}
	return g
}

func (g *golden) meta(key string, dst any) {
	g.t.Helper()
	if err := json.Unmarshal([]byte(g.r.Header.Metadata[key]), dst); err != nil {
		g.t.Fatalf("fixture metadata %q: %v", key, err)
	}
}

// maskGoldenConfig is gen_golden_mask.py's model.
func maskGoldenConfig(g *golden) Config {
	c := goldenConfig()
	mc := roi.TorchvisionMaskConfig()
	mc.ConvDim, _ = strconv.Atoi(g.r.Header.Metadata["mask_dim"])
	c.Mask = &mc
	c.RoI.DetectionsPerImage, _ = strconv.Atoi(g.r.Header.Metadata["detections_per_image"])
	return c
}

// rleOf reads the fixture's RLE counts of final mask k of image i.
func (g *golden) rleOf(i, k int) []uint32 {
	v, _ := g.get(fmt.Sprintf("final.rle.%d.%d", i, k))
	out := make([]uint32, len(v))
	for j, c := range v {
		out[j] = uint32(c)
	}
	return out
}

func TestGoldenMaskRCNN(t *testing.T) {
	g := openMaskGolden(t)
	m := g.modelFor(maskGoldenConfig(g))
	m.Train(false)
	images := g.input()
	names := []string{"0", "1", "2", "3"}
	var feats []*tensor.Tensor
	for _, n := range names {
		feats = append(feats, g.tensor("features."+n))
	}
	var boxes []box.Boxes
	var labels []int32
	for i := range 2 {
		b, _ := g.get(fmt.Sprintf("det.boxes.%d", i))
		l, _ := g.get(fmt.Sprintf("det.labels.%d", i))
		boxes = append(boxes, box.Boxes(b))
		for _, v := range l {
			labels = append(labels, int32(v))
		}
	}
	wantLogits, _ := g.get("mask.logits")
	wantProbs, _ := g.get("mask.probs")

	// The mask head on torchvision's features and detections.
	tensor.NoGrad(func() {
		logits := m.RoIHeads.MaskLogits(feats, boxes, images.Sizes)
		if d, err := closeTo("mask logits", logits.Data(), wantLogits, 1e-4, 1e-5); err != nil {
			t.Error(err)
		} else {
			t.Logf("mask logits %v: max abs difference %.3g", logits.Shape(), d)
		}
	})

	// Pasting torchvision's probabilities at torchvision's final boxes.
	every7, _ := g.get("final.masks.every7")
	var pasted []float32
	off := 0
	for i := range 2 {
		fb, _ := g.get(fmt.Sprintf("final.boxes.%d", i))
		oh, ow := g.origs[i][0], g.origs[i][1]
		for k := range len(fb) / 4 {
			probs := wantProbs[(off+k)*784 : (off+k+1)*784]
			b := [4]float32{fb[4*k], fb[4*k+1], fb[4*k+2], fb[4*k+3]}
			p := roi.PasteProbs(probs, 28, b, oh, ow, roi.TorchvisionPaste)
			for y := range oh {
				for x := range ow {
					pasted = append(pasted, p.At(y, x))
				}
			}
			got := roi.PasteMask(probs, 28, b, oh, ow, roi.TorchvisionPaste, 0.5)
			if want := g.rleOf(i, k); !slices.Equal(got.Counts, want) {
				t.Errorf("image %d mask %d: pasted RLE %v, want %v", i, k, got.Counts, want)
			}
		}
		off += len(fb) / 4
	}
	var sub []float32
	for j := 0; j < len(pasted); j += 7 {
		sub = append(sub, pasted[j])
	}
	if d, err := closeTo("pasted masks", sub, every7, 1e-6, 0); err != nil {
		t.Error(err)
	} else {
		t.Logf("pasted masks (%d pixels): max abs difference %.3g, RLEs equal", len(pasted), d)
	}

	// End to end from the image.
	dets, err := m.Predict(images)
	if err != nil {
		t.Fatal(err)
	}
	off = 0
	for i, d := range dets {
		fb, _ := g.get(fmt.Sprintf("final.boxes.%d", i))
		ws, _ := g.get(fmt.Sprintf("det.scores.%d", i))
		wl, _ := g.get(fmt.Sprintf("det.labels.%d", i))
		compareRanked(t, fmt.Sprintf("image %d end to end", i), d.Boxes, d.Scores, d.Labels, fb, ws, wl)
		if d.Len() != len(ws) || d.MaskSize != 28 || len(d.Masks) != d.Len() {
			t.Fatalf("image %d: %d detections with mask size %d and %d masks", i, d.Len(), d.MaskSize, len(d.Masks))
		}
		if dd, err := closeTo(fmt.Sprintf("image %d mask probabilities", i), d.MaskProbs, wantProbs[off*784:(off+d.Len())*784], 2e-4, 0); err != nil {
			t.Error(err)
		} else {
			t.Logf("image %d mask probabilities end to end: max abs difference %.3g", i, dd)
		}
		oh, ow := g.origs[i][0], g.origs[i][1]
		for k := range d.Len() {
			got, _ := d.Masks[k].DecodeRowMajor()
			want, _ := mask.RLE{H: oh, W: ow, Counts: g.rleOf(i, k)}.DecodeRowMajor()
			b := [4]float32{d.Boxes[4*k], d.Boxes[4*k+1], d.Boxes[4*k+2], d.Boxes[4*k+3]}
			ours := roi.PasteProbs(d.MaskProbs[k*784:(k+1)*784], 28, b, oh, ow, roi.TorchvisionPaste)
			differ := 0
			for p := range got {
				if got[p] != want[p] {
					differ++
					if v := ours.At(p/ow, p%ow); math.Abs(float64(v)-0.5) > 1e-3 {
						t.Errorf("image %d mask %d pixel %d: ours %d (p %.5f), torchvision %d", i, k, p, got[p], v, want[p])
						break
					}
				}
			}
			if differ > 0 {
				t.Logf("image %d mask %d: %d pixels at p = 0.5 +- 1e-3 differ", i, k, differ)
			}
		}
		off += d.Len()
	}
}

// goldenMaskTargets reads the training ground truth with its polygons.
func goldenMaskTargets(g *golden) []roi.GroundTruth {
	var raw [][2]json.RawMessage
	g.meta("targets", &raw)
	var polys [][][][]float64
	g.meta("target_polygons", &polys)
	var gts []roi.GroundTruth
	for i, r := range raw {
		var bs [][4]float32
		var ls []int32
		if json.Unmarshal(r[0], &bs) != nil || json.Unmarshal(r[1], &ls) != nil {
			g.t.Fatal("bad targets metadata")
		}
		gt := roi.GroundTruth{Labels: ls}
		for j, b := range bs {
			gt.Boxes = append(gt.Boxes, b[:]...)
			gt.Masks = append(gt.Masks, coco.Mask{Polygons: polys[i][j]})
		}
		gts = append(gts, gt)
	}
	return gts
}

// TestGoldenMaskTraining compares a training pass with torchvision's, both
// samplers taking every labeled anchor and RoI: the five losses and the
// gradients of every 1-d head parameter, first on torchvision's features
// and training proposals (the heads alone), then end to end.
func TestGoldenMaskTraining(t *testing.T) {
	g := openMaskGolden(t)
	gts := goldenMaskTargets(g)
	cfg := maskGoldenConfig(g)
	cfg.RPN.BatchSizePerImage, cfg.RPN.PositiveFraction = 10_000_000, 1
	cfg.RoI.BatchSizePerImage, cfg.RoI.PositiveFraction = 10_000_000, 1
	m := g.modelFor(cfg)
	m.Train(true)
	images := g.input()
	rng := rand.New(rand.NewPCG(9, 9))
	wantLoss := map[string]float32{}
	for _, n := range []string{"loss_objectness", "loss_rpn_box_reg", "loss_classifier", "loss_box_reg", "loss_mask"} {
		v, _ := g.get("train.loss." + n)
		wantLoss[n] = v[0]
	}

	var feats []*tensor.Tensor
	names := m.Backbone.Names()
	for _, n := range names[:4] {
		feats = append(feats, g.tensor("features."+n))
	}
	var props []box.Boxes
	for i := range 2 {
		wb, _ := g.get(fmt.Sprintf("train.proposals.%d", i))
		props = append(props, box.Boxes(wb))
	}
	oout, err := m.RoIHeads.Forward(roi.Input{Features: feats, Proposals: props, Sizes: images.Sizes, GT: gts, Rand: rng})
	if err != nil {
		t.Fatal(err)
	}
	for _, term := range []Term{{"loss_classifier", oout.Losses.Classifier}, {"loss_box_reg", oout.Losses.BoxReg}, {"loss_mask", oout.Losses.Mask}} {
		got, want := term.Value.Item(), wantLoss[term.Name]
		if math.Abs(float64(got-want)) > 1e-5*max(1, math.Abs(float64(want))) {
			t.Errorf("heads on torchvision features: %s = %v, want %v", term.Name, got, want)
		} else {
			t.Logf("heads on torchvision features: %s = %v (torchvision %v)", term.Name, got, want)
		}
	}
	nn.ZeroGrad(m)
	tensor.Add(tensor.Add(oout.Losses.Classifier, oout.Losses.BoxReg), oout.Losses.Mask).Backward()
	for _, p := range m.Params() {
		if p.Value.Dims() != 1 || !strings.HasPrefix(p.Name, "roi_heads.") {
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
	l, err := m.LossOn(images, gts, rng)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, term := range l.Terms() {
		got = append(got, term.Name)
		v, want := term.Value.Item(), wantLoss[term.Name]
		if math.Abs(float64(v-want)) > 1e-4*max(1, math.Abs(float64(want))) {
			t.Errorf("end to end: %s = %v, want %v", term.Name, v, want)
		}
	}
	if want := []string{"loss_classifier", "loss_box_reg", "loss_mask", "loss_objectness", "loss_rpn_box_reg"}; !slices.Equal(got, want) {
		t.Errorf("loss terms %v, want %v", got, want)
	}
	l.Total().Backward()
	n := 0
	for _, p := range m.Params() {
		if p.Value.Dims() != 1 || !p.Trainable || !(strings.HasPrefix(p.Name, "rpn.") || strings.HasPrefix(p.Name, "roi_heads.")) {
			continue
		}
		n++
		want, _ := g.get("train.grad." + p.Name)
		if _, err := closeTo("end to end gradient of "+p.Name, p.Grad().Data(), want, 1e-5, 2e-3); err != nil {
			t.Error(err)
		}
	}
	t.Logf("end to end: five losses and %d head bias gradients agree", n)
}

// TestGoldenMaskTargetsTinyCOCO compares torchvision's mask targets
// (project_masks_on_boxes: RoIAlign of the full mask rasterized by
// pycocotools) on the polygons of three real tiny_coco annotations.
func TestGoldenMaskTargetsTinyCOCO(t *testing.T) {
	g := openMaskGolden(t)
	var size [2]int
	var polys [][][]float64
	var matched []int32
	g.meta("tc_size", &size)
	g.meta("tc_polygons", &polys)
	g.meta("tc_matched", &matched)
	var masks []roi.InstanceMask
	for _, p := range polys {
		masks = append(masks, coco.Mask{Polygons: p})
	}
	rois, _ := g.get("tc.rois")
	want, _ := g.get("tc.targets")
	got, err := roi.MaskTargets(roi.TorchvisionMaskTargets, box.Boxes(rois), matched, masks, size[0], size[1], 28)
	if err != nil {
		t.Fatal(err)
	}
	if d, err := closeTo("tiny_coco mask targets", got, want, 1e-6, 0); err != nil {
		t.Error(err)
	} else {
		t.Logf("image %s: %d instances, %d RoIs: targets agree (max abs difference %.3g)", g.r.Header.Metadata["tc_image_id"], len(polys), len(matched), d)
	}
}

// TestGoldenPasteRules compares both paste rules with torch on formula
// masks and boxes inside, across and beyond the image.
func TestGoldenPasteRules(t *testing.T) {
	g := openMaskGolden(t)
	var size [2]int
	var boxes [][4]float32
	g.meta("paste_size", &size)
	g.meta("paste_boxes", &boxes)
	h, w := size[0], size[1]
	u := formulaUniform("paste", len(boxes)*784)
	for _, c := range []struct {
		rule roi.PasteRule
		key  string
	}{{roi.TorchvisionPaste, "paste.torchvision"}, {roi.Detectron2Paste, "paste.detectron2"}} {
		want, _ := g.get(c.key)
		for k, b := range boxes {
			probs := make([]float32, 784)
			for i := range probs {
				probs[i] = float32(u[k*784+i])
			}
			p := roi.PasteProbs(probs, 28, b, h, w, c.rule)
			got := make([]float32, h*w)
			for y := range h {
				for x := range w {
					got[y*w+x] = p.At(y, x)
				}
			}
			if d, err := closeTo(fmt.Sprintf("%v paste of box %v", c.rule, b), got, want[k*h*w:(k+1)*h*w], 1e-6, 0); err != nil {
				t.Error(err)
			} else {
				t.Logf("%v paste of box %v: window %d..%d x %d..%d, max abs difference %.3g", c.rule, b, p.X0, p.X1, p.Y0, p.Y1, d)
			}
		}
	}
}

// TestMaskKeysMatchTorchvision checks every state-dict entry of
// TorchvisionMaskRCNNConfig(90) against torchvision's maskrcnn_resnet50_fpn
// (testdata/gen_mask_keys.py): names, shapes, order, trainability.
func TestMaskKeysMatchTorchvision(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a full R50-FPN")
	}
	f, err := os.Open(filepath.Join("testdata", "mrcnn_r50fpn_keys.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var wantParams, wantBuffers []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if fields[0] == "param" {
			wantParams = append(wantParams, strings.Join(fields[1:], " "))
		} else {
			wantBuffers = append(wantBuffers, strings.Join(fields[1:], " "))
		}
	}
	m, err := New(rand.New(rand.NewPCG(1, 2)), TorchvisionMaskRCNNConfig(90))
	if err != nil {
		t.Fatal(err)
	}
	shape := func(s []int) string {
		parts := make([]string, len(s))
		for i, d := range s {
			parts[i] = strconv.Itoa(d)
		}
		return strings.Join(parts, ",")
	}
	var got, gotBuffers []string
	for _, p := range m.Params() {
		got = append(got, p.Name+" "+shape(p.Value.Shape())+" "+strconv.FormatBool(p.Trainable))
	}
	for _, b := range m.Buffers() {
		if b.Value != nil {
			gotBuffers = append(gotBuffers, b.Name+" "+shape(b.Value.Shape()))
		}
	}
	if !slices.Equal(got, wantParams) {
		for i := range max(len(got), len(wantParams)) {
			if i >= len(got) || i >= len(wantParams) || got[i] != wantParams[i] {
				t.Fatalf("parameter %d: ours %q, torchvision %q (of %d / %d)", i, at(got, i), at(wantParams, i), len(got), len(wantParams))
			}
		}
	}
	slices.Sort(gotBuffers)
	slices.Sort(wantBuffers)
	if !slices.Equal(gotBuffers, wantBuffers) {
		t.Fatalf("buffers differ: %d ours, %d torchvision", len(gotBuffers), len(wantBuffers))
	}
	t.Logf("%d parameters and %d buffers match torchvision's maskrcnn_resnet50_fpn", len(got), len(gotBuffers))
}

func at(s []string, i int) string {
	if i < len(s) {
		return s[i]
	}
	return "<none>"
}
