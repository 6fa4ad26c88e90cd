package optim

import (
	"fmt"
	"math"
	"runtime"

	"github.com/gcdet/gcdet/nn"
)

// Options are run-time settings that do not belong in a YAML config.
type Options struct {
	// Warn receives each warning once (the trainer wires it to its logger).
	Warn func(msg string)
	// Workers is the number of goroutines of a step (GOMAXPROCS when 0).
	Workers int
}

// Optimizer updates a model's trainable parameters in place.
//
// Typical use by the trainer:
//
//	opt, err := optim.New(model.Params(), cfg, optim.Options{Warn: logWarn})
//	sched, err := optim.NewSchedule(schedCfg)
//	opt.SetSchedule(sched)
//	for ... {
//		opt.ZeroGrad()
//		loss.Backward()
//		stats, err := opt.Step()
//	}
//	st := opt.State()    // into the checkpoint; later: opt.LoadState(st)
type Optimizer struct {
	cfg      Config
	params   []*nn.Param
	groups   []Group
	eng      *engine[float32]
	sched    *Schedule
	iter     int64
	warnings []string
}

// Stats describes one Step.
type Stats struct {
	// Iter is the 0-based iteration this step ran as (the schedule's input).
	Iter int64
	// LR is the learning rate of the first group at this step.
	LR float64
	// GradNorm is the global L2 norm of the gradients before clipping; it
	// is computed only when clipping is on (NormComputed).
	GradNorm     float64
	NormComputed bool
	// ClipCoef is the factor the gradients were scaled by (1: not clipped).
	ClipCoef float64
	// Updated is the number of parameters that had a gradient.
	Updated int
}

// New makes an optimizer for the trainable parameters among params (frozen
// ones are ignored). Every parameter must live on the CPU backend: this
// version updates host memory.
func New(params []*nn.Param, cfg Config, opts Options) (*Optimizer, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	var train []*nn.Param
	var infos []ParamInfo
	for i, p := range params {
		if p == nil || p.Value == nil {
			return nil, fmt.Errorf("optim: parameter %d has no value", i)
		}
		if !p.Trainable {
			continue
		}
		if b := p.Value.Backend().Name(); b != "cpu" {
			return nil, fmt.Errorf("optim: parameter %s lives on backend %s; the optimizer updates host memory and needs the cpu backend", p.Name, b)
		}
		train = append(train, p)
		infos = append(infos, ParamInfo{Name: p.Name, Kind: p.Kind, Shape: append([]int(nil), p.Value.Shape()...), Groups: p.Groups})
	}
	pl, err := makePlan(&cfg, infos)
	if err != nil {
		return nil, err
	}
	w := opts.Workers
	if w <= 0 {
		w = runtime.GOMAXPROCS(0)
	}
	o := &Optimizer{cfg: cfg, params: train, groups: pl.groups, eng: newEngine[float32](cfg, pl, w), warnings: pl.warnings}
	if opts.Warn != nil {
		for _, m := range pl.warnings {
			opts.Warn(m)
		}
	}
	return o, nil
}

// Config returns the configuration the optimizer was built with.
func (o *Optimizer) Config() Config { return o.cfg }

// Warnings returns the warnings issued at construction (GC skipped for
// M = 1 parameters, rules or prefixes that matched nothing).
func (o *Optimizer) Warnings() []string { return append([]string(nil), o.warnings...) }

// Groups returns the parameter groups with their current learning rates.
func (o *Optimizer) Groups() []Group {
	out := make([]Group, len(o.groups))
	copy(out, o.groups)
	return out
}

// GCParams returns the names of the parameters GC applies to.
func (o *Optimizer) GCParams() []string {
	var out []string
	for _, s := range o.eng.slots {
		if s.layout.kind != layoutNone {
			out = append(out, s.name)
		}
	}
	return out
}

// SetSchedule sets the learning-rate schedule (nil: constant base rates).
func (o *Optimizer) SetSchedule(s *Schedule) { o.sched = s }

// Schedule returns the schedule set by SetSchedule.
func (o *Optimizer) Schedule() *Schedule { return o.sched }

// Iter is the number of steps taken (the next step's 0-based iteration).
func (o *Optimizer) Iter() int64 { return o.iter }

// LR is the first group's learning rate for the next step.
func (o *Optimizer) LR() float64 {
	if len(o.groups) == 0 {
		return 0
	}
	return o.groups[0].BaseLR * o.factor()
}

func (o *Optimizer) factor() float64 {
	if o.sched == nil {
		return 1
	}
	return o.sched.Factor(o.iter)
}

// ZeroGrad drops every trainable parameter's gradient (the next backward
// pass allocates fresh ones).
func (o *Optimizer) ZeroGrad() {
	for _, p := range o.params {
		p.Value.ZeroGrad()
	}
}

// Step updates every trainable parameter that has a gradient: clipping
// (when configured), weight decay, GC and the optimizer's update. It does
// not modify the gradients. Parameters without a gradient are skipped
// entirely (their step count does not advance), as in PyTorch.
//
// When clipping is on and the gradient norm is not finite, Step changes
// nothing and returns an error (PyTorch would write NaNs into the weights).
func (o *Optimizer) Step() (Stats, error) {
	st := Stats{Iter: o.iter, ClipCoef: 1}
	for i, p := range o.params {
		s := o.eng.slots[i]
		s.p = p.Value.Data()
		s.g = nil
		if g := p.Value.Grad; g != nil {
			if g.Numel() != s.n {
				panic(fmt.Sprintf("optim.Step: gradient of %s has shape %v, parameter has %v", p.Name, g.Shape(), s.shape))
			}
			s.g = g.Data()
		}
	}
	f := o.factor()
	lr := make([]float64, len(o.groups))
	wd := make([]float64, len(o.groups))
	for i := range o.groups {
		o.groups[i].LR = o.groups[i].BaseLR * f
		lr[i], wd[i] = o.groups[i].LR, o.groups[i].WeightDecay
	}
	if len(lr) > 0 {
		st.LR = lr[0]
	}
	if o.cfg.ClipNorm > 0 {
		norm := o.eng.gradNorm()
		st.GradNorm, st.NormComputed = norm, true
		if math.IsNaN(norm) || math.IsInf(norm, 0) {
			return st, fmt.Errorf("optim: gradient norm is %v at iteration %d; no parameter was updated", norm, o.iter)
		}
		st.ClipCoef = clipCoef(norm, o.cfg.ClipNorm)
	}
	st.Updated = o.eng.step(lr, wd, st.ClipCoef)
	o.iter++
	return st, nil
}
