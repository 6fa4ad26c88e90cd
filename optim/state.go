package optim

import (
	"fmt"
	"slices"
	"sort"
	"strings"
)

// StateFormat names the layout of State; LoadState refuses others.
const StateFormat = "gcdet-optim/1"

// Buffer names in State.Tensors keys.
const (
	BufMomentum = "momentum_buffer" // SGD, SGDW with momentum
	BufExpAvg   = "exp_avg"         // Adam, AdamW
	BufExpAvgSq = "exp_avg_sq"      // Adam, AdamW
)

// StateTensor is one saved buffer with the shape of its parameter.
type StateTensor struct {
	Shape []int
	Data  []float32
}

// StateMeta is the JSON-able part of the optimizer state.
type StateMeta struct {
	Format    string `json:"format"`
	Algorithm string `json:"algorithm"`
	// Iter is the number of optimizer steps taken: the schedule's state.
	Iter int64 `json:"iter"`
	// ParamSteps is each parameter's own step count (Adam's bias
	// correction; a parameter without gradient does not advance).
	ParamSteps map[string]int64 `json:"param_steps"`
	// Groups and Schedule record the settings in force, for the record and
	// for checks by the caller; LoadState does not apply them (the config
	// given to New does).
	Groups   []GroupMeta     `json:"groups"`
	Schedule *ScheduleConfig `json:"schedule,omitempty"`
}

// GroupMeta records a parameter group's settings.
type GroupMeta struct {
	Name        string  `json:"name"`
	BaseLR      float64 `json:"base_lr"`
	WeightDecay float64 `json:"weight_decay"`
	Params      int     `json:"params"`
}

// State is the optimizer's state for a checkpoint: named float32 tensors
// (a safetensors file holds them as they are) and a small JSON-able Meta
// (the safetensors "__metadata__" or a side file). Tensor keys are
// "<buffer>/<parameter name>", e.g. "exp_avg/backbone.body.conv1.weight".
type State struct {
	Meta    StateMeta
	Tensors map[string]StateTensor
}

// TensorKey is the State.Tensors key of a buffer of a parameter.
func TensorKey(buffer, param string) string { return buffer + "/" + param }

func (o *Optimizer) bufferNames() []string {
	if isAdam(o.cfg.Algorithm) {
		return []string{BufExpAvg, BufExpAvgSq}
	}
	if o.cfg.Momentum != 0 {
		return []string{BufMomentum}
	}
	return nil
}

// State returns a copy of the optimizer's state.
func (o *Optimizer) State() State {
	st := State{
		Meta:    StateMeta{Format: StateFormat, Algorithm: o.cfg.Algorithm, Iter: o.iter, ParamSteps: map[string]int64{}},
		Tensors: map[string]StateTensor{},
	}
	for _, g := range o.groups {
		st.Meta.Groups = append(st.Meta.Groups, GroupMeta{Name: g.Name, BaseLR: g.BaseLR, WeightDecay: g.WeightDecay, Params: len(g.Params)})
	}
	if o.sched != nil {
		c := o.sched.Config()
		c.Milestones = append([]int(nil), c.Milestones...)
		st.Meta.Schedule = &c
	}
	names := o.bufferNames()
	for _, s := range o.eng.slots {
		if s.steps == 0 {
			continue
		}
		st.Meta.ParamSteps[s.name] = s.steps
		for i, b := range [][]float32{s.a, s.b} {
			if b == nil || i >= len(names) {
				continue
			}
			st.Tensors[TensorKey(names[i], s.name)] = StateTensor{Shape: append([]int(nil), s.shape...), Data: append([]float32(nil), b...)}
		}
	}
	return st
}

// LoadState restores a state saved by State (from an optimizer with the
// same algorithm over parameters of the same names and shapes; the
// parameters' values come from the model checkpoint). A restored optimizer
// continues bit for bit. Parameters absent from the state start fresh;
// entries naming unknown parameters, wrong shapes or missing buffers are
// errors, and on error the optimizer is unchanged.
func (o *Optimizer) LoadState(st State) error {
	m := &st.Meta
	if m.Format != StateFormat {
		return fmt.Errorf("optim: optimizer state has format %q, want %q", m.Format, StateFormat)
	}
	if m.Algorithm != o.cfg.Algorithm {
		return fmt.Errorf("optim: optimizer state is for %q, the optimizer is %q", m.Algorithm, o.cfg.Algorithm)
	}
	if m.Iter < 0 {
		return fmt.Errorf("optim: optimizer state has iteration %d", m.Iter)
	}
	bySlot := map[string]int{}
	for i, s := range o.eng.slots {
		bySlot[s.name] = i
	}
	names := o.bufferNames()
	keys := make([]string, 0, len(st.Tensors))
	for k := range st.Tensors {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		buf, param, ok := strings.Cut(k, "/")
		if !ok {
			return fmt.Errorf("optim: optimizer state tensor %q is not <buffer>/<parameter>", k)
		}
		known := false
		for _, n := range names {
			known = known || n == buf
		}
		if !known {
			return fmt.Errorf("optim: optimizer state tensor %q: buffer %q does not belong to %s (momentum %v)", k, buf, o.cfg.Algorithm, o.cfg.Momentum)
		}
		i, ok := bySlot[param]
		if !ok {
			return fmt.Errorf("optim: optimizer state tensor %q names no trainable parameter", k)
		}
		s, t := o.eng.slots[i], st.Tensors[k]
		if len(t.Data) != s.n || !slices.Equal(t.Shape, s.shape) {
			return fmt.Errorf("optim: optimizer state tensor %q has shape %v (%d values), parameter has %v", k, t.Shape, len(t.Data), s.shape)
		}
		if m.ParamSteps[param] <= 0 {
			return fmt.Errorf("optim: optimizer state tensor %q belongs to a parameter with no recorded steps", k)
		}
	}
	for param, n := range m.ParamSteps {
		if _, ok := bySlot[param]; !ok {
			return fmt.Errorf("optim: optimizer state has steps for %q, which is no trainable parameter", param)
		}
		if n < 0 {
			return fmt.Errorf("optim: optimizer state has %d steps for %q", n, param)
		}
		for _, b := range names {
			if _, ok := st.Tensors[TensorKey(b, param)]; n > 0 && !ok {
				return fmt.Errorf("optim: optimizer state lacks tensor %q", TensorKey(b, param))
			}
		}
	}
	for _, s := range o.eng.slots {
		s.steps = m.ParamSteps[s.name]
		s.a, s.b = nil, nil
		if s.steps == 0 {
			continue
		}
		for i, b := range names {
			d := append([]float32(nil), st.Tensors[TensorKey(b, s.name)].Data...)
			if i == 0 {
				s.a = d
			} else {
				s.b = d
			}
		}
	}
	o.iter = m.Iter
	return nil
}
