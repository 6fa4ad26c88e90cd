package configs

import (
	"fmt"
	"strings"
)

// Validate reports the first invalid setting, naming its key. It checks
// what can be checked without the data (paths are checked when opened,
// model sizes when the model is built).
func (c *Config) Validate() error {
	bad := func(key string, format string, a ...any) error {
		return fmt.Errorf("config: %s: %s", key, fmt.Sprintf(format, a...))
	}
	switch c.Device {
	case "cpu", "cuda":
	default:
		return bad("device", "%q must be cpu or cuda", c.Device)
	}
	d := &c.Data
	if d.Synthetic.Enabled {
		s := d.Synthetic
		if s.Train < 1 || s.Val < 1 {
			return bad("data.synthetic", "needs train and val images (have %d, %d)", s.Train, s.Val)
		}
	} else {
		for _, k := range []struct{ key, v string }{
			{"data.train.annotations", d.Train.Annotations}, {"data.train.images", d.Train.Images},
			{"data.val.annotations", d.Val.Annotations}, {"data.val.images", d.Val.Images},
		} {
			if strings.TrimSpace(k.v) == "" {
				return bad(k.key, "is empty (set it, or data.synthetic.enabled: true)")
			}
		}
	}
	if d.Workers < 1 {
		return bad("data.workers", "%d must be >= 1", d.Workers)
	}
	if d.ValImages < 0 {
		return bad("data.val_images", "%d must be >= 0", d.ValImages)
	}
	in := &c.Input
	if len(in.MinSizeTrain) == 0 {
		return bad("input.min_size_train", "is empty")
	}
	for _, s := range in.MinSizeTrain {
		if s < 1 {
			return bad("input.min_size_train", "size %d must be >= 1", s)
		}
	}
	if in.MinSizeTest < 1 || in.MaxSizeTrain < 0 || in.MaxSizeTest < 0 {
		return bad("input", "min_size_test %d must be >= 1 and max sizes (%d, %d) >= 0", in.MinSizeTest, in.MaxSizeTrain, in.MaxSizeTest)
	}
	if !(in.FlipProb >= 0 && in.FlipProb <= 1) {
		return bad("input.flip_prob", "%v outside [0, 1]", in.FlipProb)
	}
	switch in.Pixels {
	case "detectron2", "torchvision":
	default:
		return bad("input.pixels", "%q must be detectron2 or torchvision", in.Pixels)
	}
	m := &c.Model
	switch m.Arch {
	case "faster_rcnn", "mask_rcnn":
	default:
		return bad("model.arch", "%q must be faster_rcnn or mask_rcnn", m.Arch)
	}
	switch m.Preset {
	case "detectron2", "torchvision":
	default:
		return bad("model.preset", "%q must be detectron2 or torchvision", m.Preset)
	}
	if m.NumClasses < 0 {
		return bad("model.num_classes", "%d must be >= 0 (0: from the data)", m.NumClasses)
	}
	s := &c.Solver
	if s.ImsPerBatch < 1 {
		return bad("solver.ims_per_batch", "%d must be >= 1", s.ImsPerBatch)
	}
	if s.ReferenceBatch < 0 {
		return bad("solver.reference_batch", "%d must be >= 0", s.ReferenceBatch)
	}
	if s.Epochs < 0 {
		return bad("solver.epochs", "%d must be >= 0", s.Epochs)
	}
	if s.Epochs == 0 && s.MaxIter < 1 {
		return bad("solver.max_iter", "%d must be >= 1 (or set solver.epochs)", s.MaxIter)
	}
	for i, e := range s.StepEpochs {
		if s.Epochs > 0 && (e < 1 || e > s.Epochs || (i > 0 && e <= s.StepEpochs[i-1])) {
			return bad("solver.step_epochs", "%v must increase within 1..%d", s.StepEpochs, s.Epochs)
		}
	}
	if err := s.Optimizer.Validate(); err != nil {
		return fmt.Errorf("config: solver.optimizer: %v", strings.TrimPrefix(err.Error(), "optim: "))
	}
	t := &c.Train
	for _, k := range []struct {
		key string
		v   int
	}{{"train.log_period", t.LogPeriod}, {"train.eval_period", t.EvalPeriod}, {"train.checkpoint_period", t.CheckpointPeriod},
		{"train.keep_last", t.KeepLast}, {"train.vis_images", t.VisImages}, {"train.threads", t.Threads}} {
		if k.v < 0 {
			return bad(k.key, "%d must be >= 0", k.v)
		}
	}
	if t.LogPeriod == 0 {
		return bad("train.log_period", "must be >= 1")
	}
	return nil
}

// DataPath resolves a data path against Data.Root.
func (c *Config) DataPath(p string) string {
	if p == "" || c.Data.Root == "" || strings.HasPrefix(p, "/") {
		return p
	}
	return strings.TrimSuffix(c.Data.Root, "/") + "/" + p
}
