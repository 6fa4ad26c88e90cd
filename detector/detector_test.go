package detector

import (
	"bufio"
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
	"github.com/gcdet/gcdet/heads/roi"
	"github.com/gcdet/gcdet/heads/rpn"
	"github.com/gcdet/gcdet/nn"
)

// TestKeysMatchTorchvision compares every parameter (in order, with shape
// and trainability) and buffer of our R50-FPN Faster R-CNN for 90 classes
// with torchvision 0.14's fasterrcnn_resnet50_fpn (testdata/gen_keys.py).
func TestKeysMatchTorchvision(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a full R50-FPN")
	}
	f, err := os.Open(filepath.Join("testdata", "frcnn_r50fpn_keys.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var wantParams []string
	wantBuffers := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		switch fields[0] {
		case "param":
			wantParams = append(wantParams, strings.Join(fields[1:], " "))
		case "buffer":
			wantBuffers[fields[1]] = fields[2]
		}
	}
	m, err := New(rand.New(rand.NewPCG(1, 2)), TorchvisionConfig(90))
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
	var got []string
	for _, p := range m.Params() {
		got = append(got, p.Name+" "+shape(p.Value.Shape())+" "+strconv.FormatBool(p.Trainable))
	}
	if !slices.Equal(got, wantParams) {
		for i := range max(len(got), len(wantParams)) {
			var g, w string
			if i < len(got) {
				g = got[i]
			}
			if i < len(wantParams) {
				w = wantParams[i]
			}
			if g != w {
				t.Fatalf("parameter %d: ours %q, torchvision %q (%d vs %d parameters)", i, g, w, len(got), len(wantParams))
			}
		}
	}
	n := 0
	for _, b := range m.Buffers() {
		if b.Ignored {
			continue
		}
		n++
		if s, ok := wantBuffers[b.Name]; !ok || s != shape(b.Value.Shape()) {
			t.Errorf("buffer %s %v: torchvision has %q", b.Name, b.Value.Shape(), s)
		}
	}
	if n != len(wantBuffers) {
		t.Errorf("%d buffers, torchvision %d", n, len(wantBuffers))
	}
}

// sz is an image size.
func sz(h, w int) rpn.ImageSize { return rpn.ImageSize{H: h, W: w} }

// tinyConfig is a very small Faster R-CNN for fast tests.
func tinyConfig(numClasses int) Config {
	c := smokeConfig()
	c.RoI.NumClasses = numClasses
	c.RoI.BatchSizePerImage = 32
	c.RPN.BatchSizePerImage = 64
	return c
}

func TestEmptyImagesTrain(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 4))
	m, err := New(rng, tinyConfig(2))
	if err != nil {
		t.Fatal(err)
	}
	images, gts := synthImages(rng, 2, 64, 96)
	empty := roi.GroundTruth{}
	for name, targets := range map[string][]roi.GroundTruth{
		"one empty": {gts[0], empty},
		"all empty": {empty, {Boxes: box.Boxes{}, Labels: []int32{}}},
	} {
		nn.ZeroGrad(m)
		l, err := m.LossOn(images, targets, rng)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for _, term := range l.Terms() {
			v := term.Value.Item()
			if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) || v < 0 {
				t.Errorf("%s: %s = %v", name, term.Name, v)
			}
		}
		if name == "all empty" && (l.RoI.BoxReg.Item() != 0 || l.RPN.BoxReg.Item() != 0) {
			t.Errorf("all empty: box losses %v %v, want 0", l.RoI.BoxReg.Item(), l.RPN.BoxReg.Item())
		}
		l.Total().Backward()
		for _, p := range m.Params() {
			if p.Trainable && strings.HasPrefix(p.Name, "roi_heads.box_predictor.cls_score") && p.Grad() == nil {
				t.Errorf("%s: no gradient for %s", name, p.Name)
			}
		}
	}
}

func TestForwardChecks(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 5))
	m, err := New(rng, tinyConfig(2))
	if err != nil {
		t.Fatal(err)
	}
	images, gts := synthImages(rng, 2, 64, 64)
	if _, err := m.LossOn(images, gts[:1], rng); err == nil {
		t.Error("one target for two images: no error")
	}
	bad := []roi.GroundTruth{gts[0], {Boxes: box.Boxes{1, 1, 5, 5}, Labels: []int32{3}}}
	if _, err := m.LossOn(images, bad, rng); err == nil || !strings.Contains(err.Error(), "label 3") {
		t.Errorf("label 3 of 2 classes: %v", err)
	}
	if _, err := m.LossOn(images, gts, nil); err == nil {
		t.Error("no random generator: no error")
	}
	wrong := images
	wrong.Sizes = []rpn.ImageSize{sz(64, 64), sz(65, 64)}
	if _, err := m.Predict(wrong); err == nil {
		t.Error("image larger than the padded batch: no error")
	}
	// Predict leaves the model in eval mode, Loss in training mode.
	if _, err := m.Predict(images); err != nil || m.Training() {
		t.Errorf("Predict: %v, training %v", err, m.Training())
	}
	if _, err := m.LossOn(images, gts, rng); err != nil || !m.Training() {
		t.Errorf("Loss: %v, training %v", err, m.Training())
	}
}

func TestToOriginal(t *testing.T) {
	dets := []roi.Detections{
		{Boxes: box.Boxes{10, 20, 30, 40, 0, 0, 100, 50}, Scores: []float32{0.9, 0.8}, Labels: []int32{1, 2}},
		{Boxes: box.Boxes{10, 20, 30, 40}, Scores: []float32{0.7}, Labels: []int32{1}},
	}
	images := ImageList{
		Sizes:    []rpn.ImageSize{sz(50, 100), sz(50, 100)},
		Original: []rpn.ImageSize{sz(100, 150), sz(50, 100)},
		Flipped:  []bool{false, true},
	}
	got := PostprocessConfig{}.toOriginal(dets, images)
	if want := (box.Boxes{15, 40, 45, 80, 0, 0, 150, 100}); !slices.Equal(got[0].Boxes, want) {
		t.Errorf("scaled %v, want %v", got[0].Boxes, want)
	}
	if want := (box.Boxes{70, 20, 90, 40}); !slices.Equal(got[1].Boxes, want) {
		t.Errorf("flipped %v, want %v", got[1].Boxes, want)
	}
	if !slices.Equal(dets[0].Boxes, box.Boxes{10, 20, 30, 40, 0, 0, 100, 50}) {
		t.Error("input modified")
	}
	// Clipping to the original image drops boxes left empty.
	dets = []roi.Detections{{Boxes: box.Boxes{-5, 10, 20, 60, 120, 10, 130, 20}, Scores: []float32{0.9, 0.8}, Labels: []int32{1, 2}}}
	images = ImageList{Sizes: []rpn.ImageSize{sz(50, 100)}}
	got = PostprocessConfig{ClipToOriginal: true}.toOriginal(dets, images)
	if want := (box.Boxes{0, 10, 20, 50}); !slices.Equal(got[0].Boxes, want) || !slices.Equal(got[0].Labels, []int32{1}) {
		t.Errorf("clipped %v %v, want %v", got[0].Boxes, got[0].Labels, want)
	}
}

func TestFromBatch(t *testing.T) {
	mk := func() *coco.Batch {
		s1 := &coco.Sample{ImageID: 7, FileName: "a.jpg", Geometry: coco.Geometry{OrigW: 40, OrigH: 20, W: 64, H: 32},
			Boxes:  [][4]float32{{1, 2, 10, 12}, {0, 0, 64, 32}, {5, 5, 6, 6}},
			Labels: []int32{1, 2, 1}, Crowd: []bool{false, true, false}, AnnIDs: []int64{70, 71, 72}}
		s2 := &coco.Sample{ImageID: 8, FileName: "b.jpg", Geometry: coco.Geometry{OrigW: 30, OrigH: 30, W: 32, H: 32, Flip: true}}
		return &coco.Batch{Samples: []*coco.Sample{s1, s2}, Images: make([]float32, 2*3*32*64), N: 2, H: 32, W: 64}
	}
	l, gts, err := FromBatch(mk(), 2, false)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(l.Sizes, []rpn.ImageSize{sz(32, 64), sz(32, 32)}) || !slices.Equal(l.Original, []rpn.ImageSize{sz(20, 40), sz(30, 30)}) ||
		!slices.Equal(l.Flipped, []bool{false, true}) || !slices.Equal(l.Tensor.Shape(), []int{2, 3, 32, 64}) {
		t.Errorf("image list %+v", l)
	}
	if !slices.Equal(gts[0].Boxes, box.Boxes{1, 2, 10, 12, 5, 5, 6, 6}) || !slices.Equal(gts[0].Labels, []int32{1, 1}) || gts[1].Len() != 0 {
		t.Errorf("targets %+v", gts)
	}
	_, gts, _ = FromBatch(mk(), 2, true)
	if gts[0].Len() != 3 {
		t.Errorf("crowd kept: %d boxes", gts[0].Len())
	}
	for _, c := range []struct {
		name string
		edit func(*coco.Batch)
		want string
	}{
		{"label", func(b *coco.Batch) { b.Samples[0].Labels[2] = 3 }, "image 7 (a.jpg) annotation 72: label 3"},
		{"NaN", func(b *coco.Batch) { b.Samples[0].Boxes[0][1] = float32(math.NaN()) }, "annotation 70: box"},
		{"order", func(b *coco.Batch) { b.Samples[0].Boxes[2] = [4]float32{6, 5, 5, 6} }, "annotation 72: box"},
		{"lengths", func(b *coco.Batch) { b.Samples[0].Labels = b.Samples[0].Labels[:1] }, "image 7"},
		{"pixels", func(b *coco.Batch) { b.Images = b.Images[:5] }, "values"},
	} {
		b := mk()
		c.edit(b)
		if _, _, err := FromBatch(b, 2, false); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want it to mention %q", c.name, err, c.want)
		}
	}
}

// TestLossFromBatch runs Loss on a collated coco batch.
func TestLossFromBatch(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 5))
	m, err := New(rng, tinyConfig(2))
	if err != nil {
		t.Fatal(err)
	}
	images, gts := synthImages(rng, 2, 64, 64)
	var samples []*coco.Sample
	for i := range 2 {
		s := &coco.Sample{ImageID: int64(i), Geometry: coco.Geometry{OrigW: 64, OrigH: 64, W: 64, H: 64},
			Image: slices.Clone(images.Tensor.Data()[i*3*64*64 : (i+1)*3*64*64])}
		for j := range gts[i].Len() {
			b := gts[i].Boxes[4*j : 4*j+4]
			s.Boxes = append(s.Boxes, [4]float32{b[0], b[1], b[2], b[3]})
			s.Labels = append(s.Labels, gts[i].Labels[j])
			s.Crowd = append(s.Crowd, false)
			s.AnnIDs = append(s.AnnIDs, int64(10*i+j))
		}
		samples = append(samples, s)
	}
	b := coco.Collate(samples, m.SizeDivisibility())
	l, err := m.Loss(b, rng)
	if err != nil {
		t.Fatal(err)
	}
	if v := l.Total().Item(); !(v > 0) {
		t.Errorf("loss %v", v)
	}
	if len(l.Values()) != 4 {
		t.Errorf("values %v", l.Values())
	}
	dets, err := m.PredictBatch(b)
	if err != nil || len(dets) != 2 {
		t.Fatalf("PredictBatch: %v, %d results", err, len(dets))
	}
	for i, d := range dets {
		for k := range d.Len() {
			x1, y1, x2, y2 := d.Boxes.At(k)
			if x1 < 0 || y1 < 0 || x2 > 64 || y2 > 64 || x2 < x1 || y2 < y1 || d.Labels[k] < 1 || d.Labels[k] > 2 {
				t.Fatalf("image %d detection %d: box %v label %d", i, k, d.Boxes[4*k:4*k+4], d.Labels[k])
			}
		}
	}
}
