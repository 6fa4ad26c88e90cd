package detector

import (
	"math/rand/v2"
	"os"
	"testing"

	"github.com/gcdet/gcdet/backbone"
	"github.com/gcdet/gcdet/box"
	"github.com/gcdet/gcdet/fpn"
	"github.com/gcdet/gcdet/heads/roi"
	"github.com/gcdet/gcdet/heads/rpn"
	"github.com/gcdet/gcdet/optim"
	"github.com/gcdet/gcdet/tensor"
)

// synthObject is one object of a synthetic image.
type synthObject struct {
	label          int32
	x1, y1, x2, y2 int
}

// synthImages draws n images of h x w pixels on a noisy gray background,
// each with one or two non-overlapping objects: class 1 a bright square,
// class 2 a dark wide bar with a light border. Pixels are already
// normalized (zero mean, unit-ish scale).
func synthImages(rng *rand.Rand, n, h, w int) (ImageList, []roi.GroundTruth) {
	x := make([]float32, n*3*h*w)
	l := ImageList{Tensor: nil}
	var gts []roi.GroundTruth
	for i := range n {
		img := x[i*3*h*w : (i+1)*3*h*w]
		for k := range img {
			img[k] = float32(rng.NormFloat64() * 0.1)
		}
		var objs []synthObject
		for len(objs) < 1+i%2 {
			o := synthObject{label: int32(1 + rng.IntN(2))}
			side := 20 + rng.IntN(20)
			bw, bh := side, side
			if o.label == 2 {
				bw, bh = side+12, side/2+4
			}
			o.x1, o.y1 = rng.IntN(w-bw), rng.IntN(h-bh)
			o.x2, o.y2 = o.x1+bw, o.y1+bh
			overlap := false
			for _, p := range objs {
				overlap = overlap || (o.x1 < p.x2+2 && p.x1 < o.x2+2 && o.y1 < p.y2+2 && p.y1 < o.y2+2)
			}
			if !overlap {
				objs = append(objs, o)
			}
		}
		gt := roi.GroundTruth{Boxes: box.Boxes{}, Labels: []int32{}}
		for _, o := range objs {
			for c := range 3 {
				for yy := o.y1; yy < o.y2; yy++ {
					for xx := o.x1; xx < o.x2; xx++ {
						v := float32(1.5)
						if o.label == 2 {
							v = -1.2
							if yy == o.y1 || yy == o.y2-1 || xx == o.x1 || xx == o.x2-1 {
								v = 1
							}
						}
						img[(c*h+yy)*w+xx] = v * float32(1+c) / 2
					}
				}
			}
			gt.Boxes = append(gt.Boxes, float32(o.x1), float32(o.y1), float32(o.x2), float32(o.y2))
			gt.Labels = append(gt.Labels, o.label)
		}
		gts = append(gts, gt)
		l.Sizes = append(l.Sizes, rpn.ImageSize{H: h, W: w})
	}
	l.Tensor = tensor.FromSlice(x, n, 3, h, w)
	return l, gts
}

// smokeConfig is a small Faster R-CNN: ResNet-18 at 1/8 width with
// GroupNorm, trained from scratch, FPN 32, box head 64.
func smokeConfig() Config {
	c := Detectron2Config(2)
	c.Backbone = backbone.Config{Depth: 18, BaseWidth: 8, Norm: backbone.GN, GNGroups: 4}
	c.FPN = fpn.Config{OutChannels: 32}
	c.RoI.Representation = 64
	c.RoI.BatchSizePerImage = 128
	c.RPN.PreNMSTopN = rpn.TopN{Train: 600, Test: 300}
	c.RPN.PostNMSTopN = rpn.TopN{Train: 300, Test: 300}
	return c
}

// TestOverfitSmoke trains a small Faster R-CNN on four synthetic images:
// the total loss (mean of the last 10 iterations against the first) must
// fall by 10x and every ground-truth box must be recovered (a detection of
// its class with IoU > 0.5). GCDET_LONG_SMOKE=1 trains longer, both
// presets, and also requires the best-scoring detection on each object to
// have its class.
func TestOverfitSmoke(t *testing.T) {
	if testing.Short() {
		t.Skip("training smoke test skipped in -short mode")
	}
	if os.Getenv("GCDET_LONG_SMOKE") == "" {
		runSmoke(t, smokeConfig(), 150, false)
		return
	}
	for name, c := range map[string]Config{"detectron2": smokeConfig(), "torchvision": smokeTorchvision()} {
		t.Run(name, func(t *testing.T) { runSmoke(t, c, 400, true) })
	}
}

// smokeTorchvision is smokeConfig in the torchvision preset.
func smokeTorchvision() Config {
	c := TorchvisionConfig(2)
	d := smokeConfig()
	c.Backbone, c.FPN = d.Backbone, d.FPN
	c.RoI.Representation, c.RoI.BatchSizePerImage = d.RoI.Representation, d.RoI.BatchSizePerImage
	c.RPN.PreNMSTopN, c.RPN.PostNMSTopN = d.RPN.PreNMSTopN, d.RPN.PostNMSTopN
	return c
}

func runSmoke(t *testing.T, c Config, iters int, strict bool) {
	rng := rand.New(rand.NewPCG(2024, 6))
	images, gts := synthImages(rng, 4, 96, 96)
	m, err := New(rng, c)
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
	var first, last float64
	window := 10
	for it := range iters {
		l, err := m.LossOn(images, gts, rng)
		if err != nil {
			t.Fatal(err)
		}
		total := l.Total()
		v := float64(total.Item())
		if it == 0 {
			first = v
		}
		if it >= iters-window {
			last += v / float64(window)
		}
		if it%25 == 0 || it == iters-1 {
			t.Logf("iter %d: loss %.4f %v", it, v, l.Values())
		}
		opt.ZeroGrad()
		total.Backward()
		if _, err := opt.Step(); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("initial loss %.4f, mean of the last %d iterations %.4f (ratio %.1f)", first, window, last, first/last)
	if !(last*10 <= first) {
		t.Errorf("loss fell from %.4f to %.4f, less than 10x", first, last)
	}

	dets, err := m.Predict(images)
	if err != nil {
		t.Fatal(err)
	}
	for i, gt := range gts {
		d := dets[i]
		for j := range gt.Len() {
			best, bestIoU := -1, float32(0)
			top := -1 // best-scoring detection of any class with IoU > 0.5
			iou := box.IoU(gt.Boxes[4*j:4*j+4], d.Boxes)
			for k := range d.Len() {
				if d.Labels[k] == gt.Labels[j] && iou[k] > bestIoU {
					best, bestIoU = k, iou[k]
				}
				if iou[k] > 0.5 && top < 0 {
					top = k
				}
			}
			if bestIoU <= 0.5 {
				t.Errorf("image %d object %d (class %d, box %v): best detection of its class has IoU %.2f", i, j, gt.Labels[j], gt.Boxes[4*j:4*j+4], bestIoU)
				continue
			}
			if strict && d.Labels[top] != gt.Labels[j] {
				t.Errorf("image %d object %d (class %d): top detection on it (score %.3f) has class %d", i, j, gt.Labels[j], d.Scores[top], d.Labels[top])
			}
			t.Logf("image %d object %d: detection %d (score %.3f) IoU %.3f", i, j, best, d.Scores[best], bestIoU)
		}
	}
}
