package train

import (
	"fmt"
	"math/rand/v2"

	"github.com/gcdet/gcdet/backbone"
	"github.com/gcdet/gcdet/coco"
	"github.com/gcdet/gcdet/configs"
	"github.com/gcdet/gcdet/detector"
	"github.com/gcdet/gcdet/fpn"
	"github.com/gcdet/gcdet/heads/roi"
	"github.com/gcdet/gcdet/optim"
)

// DetectorConfig turns the model section of a config into a detector
// configuration for numClasses foreground classes: the preset first, then
// every setting the config gives.
func DetectorConfig(m configs.Model, numClasses int) (detector.Config, error) {
	var c detector.Config
	switch m.Preset {
	case "detectron2":
		c = detector.Detectron2Config(numClasses)
	case "torchvision":
		c = detector.TorchvisionConfig(numClasses)
	default:
		return c, fmt.Errorf("model.preset %q must be detectron2 or torchvision", m.Preset)
	}
	switch m.Arch {
	case "faster_rcnn":
	case "mask_rcnn":
		mc := roi.Detectron2MaskConfig()
		if m.Preset == "torchvision" {
			mc = roi.TorchvisionMaskConfig()
		}
		setInt(&mc.NumConvs, m.Mask.NumConvs)
		setInt(&mc.ConvDim, m.Mask.ConvDim)
		setInt(&mc.Pooler.SamplingRatio, m.Mask.PoolerSamplingRatio)
		if m.Mask.PoolerAligned != nil {
			mc.Pooler.Aligned = *m.Mask.PoolerAligned
		}
		c.Mask = &mc
	default:
		return c, fmt.Errorf("model.arch %q must be faster_rcnn or mask_rcnn", m.Arch)
	}
	norm, err := backbone.ParseNorm(m.Backbone.Norm)
	if err != nil {
		return c, fmt.Errorf("model.backbone.norm: %v", err)
	}
	b := m.Backbone
	c.Backbone = backbone.Config{Depth: b.Depth, Groups: b.Groups, WidthPerGroup: b.WidthPerGroup, Norm: norm, GNGroups: b.GNGroups,
		FreezeAt: b.FreezeAt, BaseWidth: b.BaseWidth, StrideInOneByOne: b.StrideInOneByOne, ZeroInitResidual: b.ZeroInitResidual}
	c.FPN = fpn.Config{OutChannels: m.FPN.OutChannels}
	c.KeepCrowd = m.KeepCrowd
	r := m.RPN
	setInt(&c.RPN.PreNMSTopN.Train, r.PreNMSTopKTrain)
	setInt(&c.RPN.PreNMSTopN.Test, r.PreNMSTopKTest)
	setInt(&c.RPN.PostNMSTopN.Train, r.PostNMSTopKTrain)
	setInt(&c.RPN.PostNMSTopN.Test, r.PostNMSTopKTest)
	setF64(&c.RPN.NMSThresh, r.NMSThresh)
	setInt(&c.RPN.BatchSizePerImage, r.BatchSizePerImage)
	setF64(&c.RPN.PositiveFraction, r.PositiveFraction)
	setF64(&c.RPN.FgIoU, r.FgIoUThresh)
	setF64(&c.RPN.BgIoU, r.BgIoUThresh)
	setF32(&c.RPN.SmoothL1Beta, r.SmoothL1Beta)
	h := m.RoIHeads
	setInt(&c.RoI.BatchSizePerImage, h.BatchSizePerImage)
	setF64(&c.RoI.PositiveFraction, h.PositiveFraction)
	if h.FgIoUThresh != nil {
		c.RoI.FgIoU, c.RoI.BgIoU = *h.FgIoUThresh, *h.FgIoUThresh
	}
	setInt(&c.RoI.Representation, h.FCDim)
	setF32(&c.RoI.SmoothL1Beta, h.SmoothL1Beta)
	setF32(&c.RoI.ScoreThresh, h.ScoreThresh)
	setF64(&c.RoI.NMSThresh, h.NMSThresh)
	setInt(&c.RoI.DetectionsPerImage, h.DetectionsPerImage)
	setInt(&c.BoxPooler.SamplingRatio, h.PoolerSamplingRatio)
	if h.PoolerAligned != nil {
		c.BoxPooler.Aligned = *h.PoolerAligned
	}
	if err := c.Validate(); err != nil {
		return c, fmt.Errorf("model: %v", err)
	}
	return c, nil
}

func setInt(dst *int, v *int) {
	if v != nil {
		*dst = *v
	}
}

func setF64(dst *float64, v *float64) {
	if v != nil {
		*dst = *v
	}
}

func setF32(dst *float32, v *float64) {
	if v != nil {
		*dst = float32(*v)
	}
}

// BuildModel builds the detector of cfg for numClasses classes, drawing
// its initial weights from rng.
func BuildModel(cfg *configs.Config, numClasses int, rng *rand.Rand) (*detector.GeneralizedRCNN, error) {
	dc, err := DetectorConfig(cfg.Model, numClasses)
	if err != nil {
		return nil, err
	}
	m, err := detector.New(rng, dc)
	if err != nil {
		return nil, fmt.Errorf("model: %v", err)
	}
	return m, nil
}

// Pixels maps input.pixels to the pixel format.
func Pixels(in configs.Input) coco.PixelFormat {
	if in.Pixels == "torchvision" {
		return coco.TorchvisionPixels()
	}
	return coco.Detectron2Pixels()
}

// Resize maps input.pixels to the resize rule: the torchvision pixel
// format comes with GeneralizedRCNNTransform's float32 size rounding, the
// detectron2 one with ResizeShortestEdge's, so a torchvision preset
// reproduces torchvision's input sizes exactly.
func Resize(in configs.Input) coco.ResizeMode {
	if in.Pixels == "torchvision" {
		return coco.ResizeTorchvision
	}
	return coco.ResizeDetectron2
}

// TrainTransform is the training augmentation of cfg.
func TrainTransform(in configs.Input) coco.TransformConfig {
	return coco.TransformConfig{MinSizes: append([]int(nil), in.MinSizeTrain...), MaxSize: in.MaxSizeTrain, FlipProb: in.FlipProb, Pixels: Pixels(in), Resize: Resize(in)}
}

// TestTransform is the inference transform of cfg.
func TestTransform(in configs.Input) coco.TransformConfig {
	return coco.TransformConfig{MinSizes: []int{in.MinSizeTest}, MaxSize: in.MaxSizeTest, Pixels: Pixels(in), Resize: Resize(in)}
}

// OptimizerConfig is the solver's optimizer with the learning rate scaled
// linearly from ReferenceBatch to ImsPerBatch images.
func OptimizerConfig(s configs.Solver) optim.Config {
	o := s.Optimizer
	if s.ReferenceBatch > 0 {
		o.LR *= float64(s.ImsPerBatch) / float64(s.ReferenceBatch)
	}
	return o
}

// ScheduleConfig is the solver's learning-rate schedule for a training set
// of numImages images (epoch-based schedules need it).
func ScheduleConfig(s configs.Solver, numImages int) (optim.ScheduleConfig, error) {
	ls := s.LRSchedule
	if s.Epochs > 0 {
		ipe := optim.ItersPerEpoch(numImages, s.ImsPerBatch)
		if ipe == 0 {
			return optim.ScheduleConfig{}, fmt.Errorf("solver.epochs: the training set has no images")
		}
		if ls.Policy == optim.PolicyMultiStep || ls.Policy == "" {
			sc, err := optim.EpochMultiStep(s.Epochs, s.StepEpochs, ipe, ls.Gamma, ls.Warmup)
			if err != nil {
				return sc, fmt.Errorf("solver: %v", err)
			}
			return sc, nil
		}
		sc := optim.ScheduleConfig{Policy: ls.Policy, MaxIter: s.Epochs * ipe, Gamma: ls.Gamma, MinFactor: ls.MinFactor, Warmup: ls.Warmup}
		_, err := optim.NewSchedule(sc)
		return sc, err
	}
	sc := optim.ScheduleConfig{Policy: ls.Policy, MaxIter: s.MaxIter, Milestones: append([]int(nil), ls.Milestones...),
		Gamma: ls.Gamma, MinFactor: ls.MinFactor, Warmup: ls.Warmup}
	if _, err := optim.NewSchedule(sc); err != nil {
		return sc, fmt.Errorf("solver.lr_schedule: %v", err)
	}
	return sc, nil
}
