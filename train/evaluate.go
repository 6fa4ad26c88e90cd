package train

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/gcdet/gcdet/coco"
	"github.com/gcdet/gcdet/detector"
	"github.com/gcdet/gcdet/eval"
	"github.com/gcdet/gcdet/heads/roi"
	"github.com/gcdet/gcdet/heads/rpn"
	"github.com/gcdet/gcdet/tensor"
)

// Evaluator runs a detector over a validation set and scores it with
// package eval (pycocotools' COCOeval, in process).
type Evaluator struct {
	DS *coco.Dataset
	GT *eval.GT
	// Images are the positions in DS.Images to evaluate (nil: all).
	Images []int
	// Categories maps the model's labels to category ids: label k is
	// Categories[k-1] (the training set's categories).
	Categories []coco.Category
	Transform  coco.TransformConfig
	Workers    int
	BatchSize  int
}

// NewEvaluator indexes ds for evaluation of its first n images (all when
// n <= 0).
func NewEvaluator(ds *coco.Dataset, cats []coco.Category, tf coco.TransformConfig, workers, n int) (*Evaluator, error) {
	gt, err := eval.NewGT(&ds.File)
	if err != nil {
		return nil, fmt.Errorf("validation set %s: %v", ds.Path, err)
	}
	e := &Evaluator{DS: ds, GT: gt, Categories: cats, Transform: tf, Workers: max(workers, 1), BatchSize: 2}
	if n > 0 && n < len(ds.Images) {
		for i := 0; i < n; i++ {
			e.Images = append(e.Images, i)
		}
	}
	return e, nil
}

// EvalResult is one evaluation.
type EvalResult struct {
	BBox       *eval.Result
	Segm       *eval.Result // nil without masks
	Detections []eval.Detection
	Images     int
	Seconds    float64
}

// Metrics flattens the stats as "bbox/AP", "bbox/AP50", ... for metrics.jsonl.
func (r *EvalResult) Metrics() map[string]float64 {
	out := map[string]float64{}
	names := []string{"AP", "AP50", "AP75", "APs", "APm", "APl", "AR1", "AR10", "AR100", "ARs", "ARm", "ARl"}
	for _, x := range []struct {
		p string
		r *eval.Result
	}{{"bbox", r.BBox}, {"segm", r.Segm}} {
		if x.r == nil {
			continue
		}
		for i, n := range names {
			out[x.p+"/"+n] = x.r.Stats[i]
		}
	}
	return out
}

// imageList turns a collated batch into the model's input.
func imageList(b *coco.Batch) detector.ImageList {
	l := detector.ImageList{
		Tensor:   tensor.FromSlice(b.Images, b.N, 3, b.H, b.W),
		Sizes:    make([]rpn.ImageSize, b.N),
		Original: make([]rpn.ImageSize, b.N),
		Flipped:  make([]bool, b.N),
	}
	for i, s := range b.Samples {
		l.Sizes[i] = rpn.ImageSize{H: s.H, W: s.W}
		l.Original[i] = rpn.ImageSize{H: s.OrigH, W: s.OrigW}
		l.Flipped[i] = s.Flip
	}
	return l
}

// toResults converts one image's detections (original pixels) to COCO
// results.
func toResults(imageID int64, d roi.Detections, cats []coco.Category) ([]eval.Detection, error) {
	out := make([]eval.Detection, 0, d.Len())
	for k := 0; k < d.Len(); k++ {
		l := int(d.Labels[k])
		if l < 1 || l > len(cats) {
			return nil, fmt.Errorf("detection label %d outside 1..%d", l, len(cats))
		}
		x1, y1, x2, y2 := d.Boxes.At(k)
		det := eval.Detection{ImageID: imageID, CategoryID: cats[l-1].ID,
			BBox:  []float64{float64(x1), float64(y1), float64(x2 - x1), float64(y2 - y1)},
			Score: float64(d.Scores[k])}
		if k < len(d.Masks) {
			m := d.Masks[k]
			det.Segmentation = &m
		}
		out = append(out, det)
	}
	return out, nil
}

// Predict runs m over the evaluator's images and returns each image's
// detections in original pixels, by image position.
func (e *Evaluator) Predict(ctx context.Context, m *detector.GeneralizedRCNN, each func(s *coco.Sample, d roi.Detections) error) error {
	cfg := coco.LoaderConfig{Images: e.Images, BatchSize: e.BatchSize, Workers: e.Workers, Prefetch: 2,
		SizeDivisibility: m.SizeDivisibility(), Transform: e.Transform}
	if cfg.Images == nil {
		cfg.Images = make([]int, len(e.DS.Images))
		for i := range cfg.Images {
			cfg.Images[i] = i
		}
	}
	l, err := coco.NewLoader(ctx, e.DS, cfg)
	if err != nil {
		return err
	}
	defer l.Close()
	for {
		b, err := l.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		dets, err := m.Predict(imageList(b))
		if err != nil {
			return err
		}
		for i, s := range b.Samples {
			if err := each(s, dets[i]); err != nil {
				return err
			}
		}
	}
}

// Run evaluates m: box AP (and mask AP when the model predicts masks).
func (e *Evaluator) Run(ctx context.Context, m *detector.GeneralizedRCNN) (*EvalResult, error) {
	start := time.Now()
	res := &EvalResult{Detections: []eval.Detection{}}
	var ids []int64
	err := e.Predict(ctx, m, func(s *coco.Sample, d roi.Detections) error {
		ds, err := toResults(s.ImageID, d, e.Categories)
		if err != nil {
			return fmt.Errorf("image %d (%s): %v", s.ImageID, s.FileName, err)
		}
		res.Detections = append(res.Detections, ds...)
		ids = append(ids, s.ImageID)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("evaluation: %w", err)
	}
	res.Images = len(ids)
	p := eval.DefaultParams(eval.BBox)
	if e.Images != nil {
		p.ImgIDs = ids
	}
	if res.BBox, err = eval.Evaluate(e.GT, res.Detections, p); err != nil {
		return nil, fmt.Errorf("evaluation: %w", err)
	}
	if m.HasMasks() {
		ps := eval.DefaultParams(eval.Segm)
		ps.ImgIDs = p.ImgIDs
		if res.Segm, err = eval.Evaluate(e.GT, res.Detections, ps); err != nil {
			return nil, fmt.Errorf("mask evaluation: %w", err)
		}
	}
	res.Seconds = time.Since(start).Seconds()
	return res, nil
}

// resultJSON is one entry of a COCO results file.
type resultJSON struct {
	ImageID      int64     `json:"image_id"`
	CategoryID   int64     `json:"category_id"`
	BBox         []float64 `json:"bbox"`
	Score        float64   `json:"score"`
	Segmentation *rleJSON  `json:"segmentation,omitempty"`
}

// rleJSON is a compressed COCO RLE.
type rleJSON struct {
	Size   [2]int `json:"size"`
	Counts string `json:"counts"`
}

// WriteResults writes detections as a COCO results JSON file, with their
// masks (compressed RLE) when masks is set.
func WriteResults(path string, dets []eval.Detection, masks bool) error {
	out := make([]resultJSON, len(dets))
	for i, d := range dets {
		out[i] = resultJSON{ImageID: d.ImageID, CategoryID: d.CategoryID, BBox: d.BBox, Score: d.Score}
		if masks && d.Segmentation != nil {
			out[i].Segmentation = &rleJSON{Size: [2]int{d.Segmentation.H, d.Segmentation.W}, Counts: d.Segmentation.Compressed()}
		}
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false) // RLE counts hold '<', '>' and '&'
	if err := enc.Encode(out); err != nil {
		return err
	}
	return os.WriteFile(path, b.Bytes(), 0o644)
}
