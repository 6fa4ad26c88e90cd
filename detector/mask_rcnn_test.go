package detector

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/gcdet/gcdet/coco"
	"github.com/gcdet/gcdet/tensor"
)

func TestMaskRCNNConfig(t *testing.T) {
	for _, c := range []Config{Detectron2MaskRCNNConfig(3), TorchvisionMaskRCNNConfig(3)} {
		if err := c.Validate(); err != nil {
			t.Errorf("preset: %v", err)
		}
	}
	c := Detectron2MaskRCNNConfig(3)
	c.Mask.Pooler.FeatmapNames = []string{"0", "1", "2"}
	c.Mask.Pooler.Strides = []int{4, 8, 16}
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "same feature maps") {
		t.Errorf("mask pooler on other maps: %v", err)
	}
	c = Detectron2MaskRCNNConfig(3)
	c.Mask.Threshold = 2
	if _, err := New(rand.New(rand.NewPCG(1, 1)), c); err == nil {
		t.Error("bad mask threshold accepted")
	}
}

// TestMaskRCNNBatch checks Loss's mask plumbing on a coco batch (errors
// naming the image and annotation) and Predict's masks (original size,
// mirrored for flipped inputs).
func TestMaskRCNNBatch(t *testing.T) {
	_, batch := synthMaskBatch(t, 2, 64, coco.Detectron2Pixels(), coco.ResizeDetectron2)
	cfg := maskSmokeConfig("detectron2")
	cfg.RoI.ScoreThresh = 0
	m, err := New(rand.New(rand.NewPCG(3, 3)), cfg)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(4, 4))
	l, err := m.Loss(batch, rng)
	if err != nil {
		t.Fatal(err)
	}
	if v := l.Values()["loss_mask"]; !(v > 0) {
		t.Errorf("loss_mask %v", v)
	}

	s := batch.Samples[0]
	saved := s.Masks
	s.Masks = nil
	if _, err := m.Loss(batch, rng); err == nil || !strings.Contains(err.Error(), "SampleOptions.Masks") {
		t.Errorf("samples without masks: %v", err)
	}
	s.Masks = append([]coco.Mask(nil), saved...)
	s.Masks[0] = coco.Mask{}
	if _, err := m.Loss(batch, rng); err == nil || !strings.Contains(err.Error(), "no segmentation") || !strings.Contains(err.Error(), "annotation") {
		t.Errorf("instance without segmentation: %v", err)
	}
	s.Masks = saved

	dets, err := m.PredictBatch(batch)
	if err != nil {
		t.Fatal(err)
	}
	for i, d := range dets {
		smp := batch.Samples[i]
		if d.Len() == 0 || len(d.Masks) != d.Len() {
			t.Fatalf("image %d: %d detections, %d masks", i, d.Len(), len(d.Masks))
		}
		for _, r := range d.Masks {
			if r.H != smp.OrigH || r.W != smp.OrigW || r.Validate() != nil {
				t.Fatalf("image %d: mask %dx%d for a %dx%d image", i, r.H, r.W, smp.OrigH, smp.OrigW)
			}
		}
	}

	// The same input marked flipped: boxes and masks come back mirrored.
	images, _, err := FromBatch(batch, m.NumClasses(), true)
	if err != nil {
		t.Fatal(err)
	}
	images.Tensor = tensor.FromSlice(images.Tensor.Data(), images.Tensor.Shape()...)
	images.Original, images.Flipped = images.Sizes, []bool{false, false}
	plain, err := m.Predict(images)
	if err != nil {
		t.Fatal(err)
	}
	images.Flipped = []bool{true, true}
	mirrored, err := m.Predict(images)
	if err != nil {
		t.Fatal(err)
	}
	totalOn, totalDiffer := 0, 0
	for i := range plain {
		h, w := images.Sizes[i].H, images.Sizes[i].W
		if plain[i].Len() != mirrored[i].Len() {
			t.Fatalf("image %d: %d and %d detections", i, plain[i].Len(), mirrored[i].Len())
		}
		for k := range plain[i].Len() {
			a, _ := plain[i].Masks[k].DecodeRowMajor()
			b, _ := mirrored[i].Masks[k].DecodeRowMajor()
			differ, on := 0, 0
			for y := range h {
				for x := range w {
					on += int(a[y*w+x])
					if a[y*w+x] != b[y*w+w-1-x] {
						differ++
					}
				}
			}
			totalOn, totalDiffer = totalOn+on, totalDiffer+differ
			if differ > on/50+1 {
				t.Errorf("image %d detection %d: %d of %d mask pixels not mirrored", i, k, differ, on)
			}
		}
	}
	if totalOn == 0 {
		t.Error("every mask is empty: nothing compared")
	}
	t.Logf("%d mask pixels, %d not mirrored (threshold ties)", totalOn, totalDiffer)
}
