package detector

import (
	"math/rand/v2"
	"os"
	"testing"

	"github.com/gcdet/gcdet/coco"
	"github.com/gcdet/gcdet/eval"
	"github.com/gcdet/gcdet/heads/roi"
	"github.com/gcdet/gcdet/optim"
)

// synthMaskBatch draws n images of coco's synthetic shapes data set (in
// memory, no files), their ground truth as a coco.File, and one collated
// batch of their samples with polygon masks (short side resized to size).
func synthMaskBatch(t *testing.T, n, size int, px coco.PixelFormat, resize coco.ResizeMode) (*coco.File, *coco.Batch) {
	t.Helper()
	sc := coco.SynthConfig{Seed: 11, Train: n, Size: size, MaxObjects: 3, Format: "png"}
	f := &coco.File{Categories: coco.SynthCategories}
	var imgs []*coco.RGB
	annID := int64(1)
	for k := range n {
		img, anns, err := coco.SynthImage(sc, 0, k)
		if err != nil {
			t.Fatal(err)
		}
		id := int64(k + 1)
		f.Images = append(f.Images, coco.Image{ID: id, FileName: "synth", Width: img.W, Height: img.H})
		for _, a := range anns {
			a.ID, a.ImageID = annID, id
			annID++
			f.Annotations = append(f.Annotations, a)
		}
		imgs = append(imgs, img)
	}
	d := coco.NewDataset(f)
	tc := coco.TransformConfig{MinSizes: []int{size}, MaxSize: 2 * size, Pixels: px, Resize: resize}
	rng := rand.New(rand.NewPCG(1, 1))
	var samples []*coco.Sample
	for k := range n {
		s, _, err := d.SampleFromImage(k, imgs[k], tc, coco.SampleOptions{Masks: true, Strict: true, DropCrowd: true}, rng)
		if err != nil {
			t.Fatal(err)
		}
		samples = append(samples, s)
	}
	return f, coco.Collate(samples, 32)
}

// maskSmokeConfig is smokeConfig (ResNet-18/8 GN, FPN 32) with a 32-wide
// mask head, for the four shape classes.
func maskSmokeConfig(preset string) Config {
	c := smokeConfig()
	mc := roi.Detectron2MaskConfig()
	if preset == "torchvision" {
		c = smokeTorchvision()
		mc = roi.TorchvisionMaskConfig()
	}
	c.RoI.NumClasses = len(coco.SynthCategories)
	mc.ConvDim = 32
	c.Mask = &mc
	return c
}

// TestMaskOverfitSmoke trains a small Mask R-CNN from scratch on four
// synthetic images (coco's shapes generator, polygon masks) and evaluates
// the predicted masks on them with eval's COCOeval (segm): mask AP50 must
// reach 0.9 and AP 0.6, and loss_mask must fall 5x. GCDET_LONG_SMOKE=1
// trains both presets longer and asks for AP50 0.95 and AP 0.7.
func TestMaskOverfitSmoke(t *testing.T) {
	if testing.Short() {
		t.Skip("training smoke test skipped in -short mode")
	}
	if os.Getenv("GCDET_LONG_SMOKE") == "" {
		runMaskSmoke(t, "detectron2", 100, 0.9, 0.6)
		return
	}
	for _, preset := range []string{"detectron2", "torchvision"} {
		t.Run(preset, func(t *testing.T) { runMaskSmoke(t, preset, 400, 0.95, 0.7) })
	}
}

func runMaskSmoke(t *testing.T, preset string, iters int, minAP50, minAP float64) {
	px, resize := coco.Detectron2Pixels(), coco.ResizeDetectron2
	if preset == "torchvision" {
		px, resize = coco.TorchvisionPixels(), coco.ResizeTorchvision
	}
	gtFile, batch := synthMaskBatch(t, 4, 80, px, resize)
	rng := rand.New(rand.NewPCG(2024, 7))
	m, err := New(rng, maskSmokeConfig(preset))
	if err != nil {
		t.Fatal(err)
	}
	cfg := optim.DefaultConfig()
	cfg.Algorithm = optim.AlgoAdamW
	cfg.LR = 2e-3
	cfg.WeightDecay = 0
	cfg.ClipNorm = 10
	opt, err := optim.New(m.Params(), cfg, optim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var firstMask, lastMask float64
	const window = 10
	for it := range iters {
		l, err := m.Loss(batch, rng)
		if err != nil {
			t.Fatal(err)
		}
		v := l.Values()
		if it == 0 {
			firstMask = float64(v["loss_mask"])
		}
		if it >= iters-window {
			lastMask += float64(v["loss_mask"]) / window
		}
		if it%40 == 0 || it == iters-1 {
			t.Logf("iter %d: %v", it, v)
		}
		opt.ZeroGrad()
		l.Total().Backward()
		if _, err := opt.Step(); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("loss_mask %.4f -> %.4f (mean of the last %d)", firstMask, lastMask, window)
	if !(lastMask*5 <= firstMask) {
		t.Errorf("loss_mask fell from %.4f to %.4f, less than 5x", firstMask, lastMask)
	}

	dets, err := m.PredictBatch(batch)
	if err != nil {
		t.Fatal(err)
	}
	gt, err := eval.NewGT(gtFile)
	if err != nil {
		t.Fatal(err)
	}
	d := coco.NewDataset(gtFile)
	var results []eval.Detection
	for i, s := range batch.Samples {
		for k := range dets[i].Len() {
			cat, _ := d.CategoryID(int(dets[i].Labels[k]))
			r := dets[i].Masks[k]
			if r.H != s.OrigH || r.W != s.OrigW {
				t.Fatalf("image %d: mask of %dx%d for a %dx%d image", s.ImageID, r.H, r.W, s.OrigH, s.OrigW)
			}
			b := dets[i].Boxes[4*k : 4*k+4]
			results = append(results, eval.Detection{ImageID: s.ImageID, CategoryID: cat, Score: float64(dets[i].Scores[k]),
				BBox: []float64{float64(b[0]), float64(b[1]), float64(b[2] - b[0]), float64(b[3] - b[1])}, Segmentation: &r})
		}
	}
	res, err := eval.Evaluate(gt, results, eval.DefaultParams(eval.Segm))
	if err != nil {
		t.Fatal(err)
	}
	box, err := eval.Evaluate(gt, results, eval.DefaultParams(eval.BBox))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d ground-truth shapes, %d detections: mask AP %.3f AP50 %.3f AP75 %.3f; box AP %.3f AP50 %.3f",
		len(gtFile.Annotations), len(results), res.Stats[0], res.Stats[1], res.Stats[2], box.Stats[0], box.Stats[1])
	if res.Stats[1] < minAP50 || res.Stats[0] < minAP {
		t.Errorf("mask AP %.3f, AP50 %.3f: want at least %.2f and %.2f", res.Stats[0], res.Stats[1], minAP, minAP50)
	}
}
