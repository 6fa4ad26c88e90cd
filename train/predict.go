package train

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"

	"github.com/gcdet/gcdet/coco"
	"github.com/gcdet/gcdet/configs"
	"github.com/gcdet/gcdet/detector"
	"github.com/gcdet/gcdet/heads/roi"
	"github.com/rs/zerolog"
)

// Predictor is a trained detector ready for inference on image files.
type Predictor struct {
	Model      *detector.GeneralizedRCNN
	Config     configs.Config
	Categories []coco.Category
	Transform  coco.TransformConfig
}

// LoadPredictor builds the detector stored in weights: a gcdet checkpoint
// carries its config and categories; a plain state dict needs configPath
// (and then has categories 1..K named by number). A configPath given with
// a checkpoint replaces the stored config (e.g. other test sizes).
func LoadPredictor(weights, configPath string, overrides ...string) (*Predictor, error) {
	p := &Predictor{}
	ck, ckErr := LoadCheckpoint(weights)
	switch {
	case configPath != "":
		cfg, _, err := configs.Load(configPath, overrides...)
		if err != nil {
			return nil, err
		}
		p.Config = cfg
	case ckErr == nil:
		cfg, err := configs.Parse([]byte(ck.Meta.Config), weights+" (stored config)", overrides...)
		if err != nil {
			return nil, err
		}
		p.Config = cfg
	default:
		return nil, fmt.Errorf("%v; give --config for a plain state dict", ckErr)
	}
	if ckErr == nil && len(ck.Meta.Categories) > 0 {
		p.Categories = ck.Meta.Categories
	} else {
		k := p.Config.Model.NumClasses
		if k <= 0 {
			return nil, fmt.Errorf("%s has no categories: set model.num_classes in the config", weights)
		}
		for i := 1; i <= k; i++ {
			p.Categories = append(p.Categories, coco.Category{ID: int64(i), Name: fmt.Sprint(i)})
		}
	}
	m, err := BuildModel(&p.Config, len(p.Categories), rand.New(rand.NewPCG(0, streamModel)))
	if err != nil {
		return nil, err
	}
	if ckErr == nil {
		_, err = Assign(m, ck.Model, AssignOptions{})
	} else {
		_, err = LoadDetectorWeights(m, weights)
	}
	if err != nil {
		return nil, err
	}
	p.Model = m
	p.Transform = TestTransform(p.Config.Input)
	return p, nil
}

// Names are the category names in label order.
func (p *Predictor) Names() []string {
	out := make([]string, len(p.Categories))
	for i, c := range p.Categories {
		out[i] = c.Name
	}
	return out
}

// PredictImage runs the detector on an image file; detections are in the
// image's pixels.
func (p *Predictor) PredictImage(path string) (*coco.RGB, roi.Detections, error) {
	img, err := coco.ReadImage(path)
	if err != nil {
		return nil, roi.Detections{}, fmt.Errorf("%s: %v", path, err)
	}
	tf := p.Transform
	h, w := coco.ShortestEdgeSize(img.H, img.W, tf.MinSizes[0], tf.MaxSize)
	s := &coco.Sample{FileName: filepath.Base(path), Geometry: coco.Geometry{OrigW: img.W, OrigH: img.H, W: w, H: h}}
	s.Image = coco.ResizeToCHW(img, w, h, false, tf.Pixels, nil)
	b := coco.Collate([]*coco.Sample{s}, p.Model.SizeDivisibility())
	dets, err := p.Model.Predict(imageList(b))
	if err != nil {
		return nil, roi.Detections{}, fmt.Errorf("%s: %v", path, err)
	}
	return img, dets[0], nil
}

// EvaluateModel evaluates a predictor on its config's validation split
// (synthDir: where a synthetic data set was generated).
func EvaluateModel(ctx context.Context, p *Predictor, synthDir string, log zerolog.Logger) (*EvalResult, error) {
	data, err := PrepareData(&p.Config, synthDir, log)
	if err != nil {
		return nil, err
	}
	ev, err := NewEvaluator(data.Val, p.Categories, p.Transform, p.Config.Data.Workers, p.Config.Data.ValImages)
	if err != nil {
		return nil, err
	}
	return ev.Run(ctx, p.Model)
}
