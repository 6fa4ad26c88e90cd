package optim

import (
	"fmt"
	"math"
)

// Schedule policies accepted in ScheduleConfig.Policy.
const (
	PolicyMultiStep = "multistep" // factor gamma^(number of milestones <= iter)
	PolicyCosine    = "cosine"    // half cosine from 1 to MinFactor over MaxIter
	PolicyConstant  = "constant"  // factor 1 (warmup still applies)
)

// Warmup methods accepted in WarmupConfig.Method.
const (
	WarmupLinear   = "linear"   // factor rises linearly from Factor at iter 0 to 1 at Iters
	WarmupConstant = "constant" // factor Factor for iter < Iters
	WarmupNone     = "none"     // also when empty
)

// WarmupConfig is the learning-rate warmup at the start of training.
type WarmupConfig struct {
	Method string  `yaml:"method" json:"method"`
	Iters  int     `yaml:"iters" json:"iters"`
	Factor float64 `yaml:"factor" json:"factor"`
}

// ScheduleConfig describes an iteration-based learning-rate schedule: the
// learning rate at iteration t (0-based, the t-th optimizer step) is each
// group's base learning rate times Factor(t) = warmup(t) * policy(t), as in
// detectron2 and mmdetection (warmup multiplies the decayed rate).
type ScheduleConfig struct {
	Policy string `yaml:"policy" json:"policy"`
	// MaxIter is the training length (cosine needs it; multistep uses it
	// to check milestones).
	MaxIter int `yaml:"max_iter" json:"max_iter"`
	// Milestones are iterations at which the factor is multiplied by Gamma
	// (it applies from that iteration on), strictly increasing.
	Milestones []int        `yaml:"milestones,omitempty" json:"milestones,omitempty"`
	Gamma      float64      `yaml:"gamma" json:"gamma"`
	MinFactor  float64      `yaml:"min_factor" json:"min_factor"`
	Warmup     WarmupConfig `yaml:"warmup" json:"warmup"`
}

// Schedule maps an iteration to a learning-rate factor. It is a pure
// function of the iteration, so its state is the optimizer's iteration
// count (saved with the optimizer state).
type Schedule struct{ cfg ScheduleConfig }

// NewSchedule checks cfg and returns its schedule.
func NewSchedule(cfg ScheduleConfig) (*Schedule, error) {
	switch cfg.Policy {
	case PolicyMultiStep:
		if !(cfg.Gamma > 0) || math.IsInf(cfg.Gamma, 0) {
			return nil, fmt.Errorf("optim: schedule gamma %v must be > 0", cfg.Gamma)
		}
		for i, m := range cfg.Milestones {
			if m < 0 || (i > 0 && m <= cfg.Milestones[i-1]) {
				return nil, fmt.Errorf("optim: schedule milestones %v must be increasing and >= 0", cfg.Milestones)
			}
			if cfg.MaxIter > 0 && m > cfg.MaxIter {
				return nil, fmt.Errorf("optim: schedule milestone %d lies beyond max_iter %d", m, cfg.MaxIter)
			}
		}
	case PolicyCosine:
		if cfg.MaxIter <= 0 {
			return nil, fmt.Errorf("optim: cosine schedule needs max_iter > 0 (have %d)", cfg.MaxIter)
		}
		if !(cfg.MinFactor >= 0 && cfg.MinFactor <= 1) {
			return nil, fmt.Errorf("optim: cosine min_factor %v must lie in [0, 1]", cfg.MinFactor)
		}
	case PolicyConstant:
	default:
		return nil, fmt.Errorf("optim: unknown schedule policy %q (want multistep, cosine or constant)", cfg.Policy)
	}
	switch cfg.Warmup.Method {
	case "", WarmupNone:
	case WarmupLinear, WarmupConstant:
		if cfg.Warmup.Iters < 0 {
			return nil, fmt.Errorf("optim: warmup iters %d must be >= 0", cfg.Warmup.Iters)
		}
		if !(cfg.Warmup.Factor > 0 && cfg.Warmup.Factor <= 1) {
			return nil, fmt.Errorf("optim: warmup factor %v must lie in (0, 1]", cfg.Warmup.Factor)
		}
	default:
		return nil, fmt.Errorf("optim: unknown warmup method %q (want linear, constant or none)", cfg.Warmup.Method)
	}
	return &Schedule{cfg: cfg}, nil
}

// Config returns the schedule's configuration.
func (s *Schedule) Config() ScheduleConfig { return s.cfg }

// Factor is the learning-rate multiplier at iteration iter (0-based).
func (s *Schedule) Factor(iter int64) float64 {
	c := &s.cfg
	f := 1.0
	switch c.Policy {
	case PolicyMultiStep:
		for _, m := range c.Milestones {
			if iter >= int64(m) {
				f *= c.Gamma
			}
		}
	case PolicyCosine:
		t := math.Min(float64(iter)/float64(c.MaxIter), 1)
		f = c.MinFactor + (1-c.MinFactor)*0.5*(1+math.Cos(math.Pi*t))
	}
	if w := c.Warmup; iter < int64(w.Iters) {
		switch w.Method {
		case WarmupLinear:
			a := float64(iter) / float64(w.Iters)
			f *= w.Factor*(1-a) + a
		case WarmupConstant:
			f *= w.Factor
		}
	}
	return f
}

// ItersPerEpoch is the number of optimizer steps in one pass over
// numImages with imagesPerBatch images per step (the last, partial batch
// counts, as in mmdetection's epoch runner).
func ItersPerEpoch(numImages, imagesPerBatch int) int {
	if numImages <= 0 || imagesPerBatch <= 0 {
		return 0
	}
	return (numImages + imagesPerBatch - 1) / imagesPerBatch
}

// EpochMultiStep converts an epoch schedule such as "12 epochs, steps at 8
// and 11" (mmdetection's 1x: the factor drops at the start of the 0-based
// epochs 8 and 11) into an iteration schedule with the given warmup.
func EpochMultiStep(epochs int, stepEpochs []int, itersPerEpoch int, gamma float64, warmup WarmupConfig) (ScheduleConfig, error) {
	if epochs <= 0 || itersPerEpoch <= 0 {
		return ScheduleConfig{}, fmt.Errorf("optim: epoch schedule needs epochs > 0 and iterations per epoch > 0 (have %d, %d)", epochs, itersPerEpoch)
	}
	ms := make([]int, len(stepEpochs))
	for i, e := range stepEpochs {
		if e <= 0 || e > epochs {
			return ScheduleConfig{}, fmt.Errorf("optim: step epoch %d must lie in [1, %d]", e, epochs)
		}
		ms[i] = e * itersPerEpoch
	}
	cfg := ScheduleConfig{Policy: PolicyMultiStep, MaxIter: epochs * itersPerEpoch, Milestones: ms, Gamma: gamma, Warmup: warmup}
	if _, err := NewSchedule(cfg); err != nil {
		return ScheduleConfig{}, err
	}
	return cfg, nil
}

// PaperDetectionSchedule is the 1x schedule behind the published GC
// detection numbers for a dataset of numImages at imagesPerBatch: 12
// epochs, x0.1 at epochs 8 and 11, linear warmup over 500 iterations from
// 1/3.
func PaperDetectionSchedule(numImages, imagesPerBatch int) (ScheduleConfig, error) {
	return EpochMultiStep(12, []int{8, 11}, ItersPerEpoch(numImages, imagesPerBatch), 0.1,
		WarmupConfig{Method: WarmupLinear, Iters: 500, Factor: 1.0 / 3})
}
