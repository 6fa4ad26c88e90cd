package optim

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/gcdet/gcdet/nn"
)

// roundTrip sends a State through JSON (meta) and fresh slices (tensors),
// as a checkpoint would.
func roundTrip(t *testing.T, st State) State {
	t.Helper()
	b, err := json.Marshal(st.Meta)
	if err != nil {
		t.Fatal(err)
	}
	var out State
	if err := json.Unmarshal(b, &out.Meta); err != nil {
		t.Fatal(err)
	}
	out.Tensors = map[string]StateTensor{}
	for k, v := range st.Tensors {
		out.Tensors[k] = StateTensor{Shape: append([]int(nil), v.Shape...), Data: append([]float32(nil), v.Data...)}
	}
	return out
}

// A restored optimizer continues bit for bit: run 6 steps straight, or 3,
// save, restore into a new optimizer over restored values, and 3 more.
func TestStateRoundTripContinuesBitIdentically(t *testing.T) {
	variants := map[string]func(c *Config){
		"sgd":        func(c *Config) {},
		"sgd-nomom":  func(c *Config) { c.Momentum = 0 },
		"sgdw-gc2":   func(c *Config) { c.Algorithm = AlgoSGDW; c.GC.Placement = PlacementUpdate },
		"adam":       func(c *Config) { c.Algorithm = AlgoAdam },
		"adamw-gc2":  func(c *Config) { c.Algorithm = AlgoAdamW; c.GC.Placement = PlacementUpdate },
		"adamw-conv": func(c *Config) { c.Algorithm = AlgoAdamW; c.GC.Kinds = KindsConv },
	}
	sched := ScheduleConfig{Policy: PolicyMultiStep, Milestones: []int{4}, Gamma: 0.1, Warmup: WarmupConfig{Method: WarmupLinear, Iters: 3, Factor: 0.2}}
	for name, v := range variants {
		cfg := DefaultConfig()
		cfg.ClipNorm = 2
		v(&cfg)
		grads := func(ps []*nn.Param, step int) {
			setGrads(ps, int64(step))
			if step == 1 {
				ps[2].Value.Grad = nil // one parameter lags a step behind
			}
		}
		straight := smallModel()
		o1, _ := New(straight, cfg, Options{})
		s1, _ := NewSchedule(sched)
		o1.SetSchedule(s1)
		var saved State
		var savedValues [][]float32
		for step := 0; step < 6; step++ {
			if step == 3 {
				saved = roundTrip(t, o1.State())
				for _, p := range straight {
					savedValues = append(savedValues, append([]float32(nil), p.Value.Data()...))
				}
			}
			grads(straight, step)
			if _, err := o1.Step(); err != nil {
				t.Fatal(err)
			}
		}
		resumed := smallModel()
		for i, p := range resumed {
			copy(p.Value.Data(), savedValues[i])
		}
		o2, _ := New(resumed, cfg, Options{})
		s2, _ := NewSchedule(sched)
		o2.SetSchedule(s2)
		if err := o2.LoadState(saved); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if o2.Iter() != 3 {
			t.Fatalf("%s: restored iteration %d", name, o2.Iter())
		}
		for step := 3; step < 6; step++ {
			grads(resumed, step)
			if _, err := o2.Step(); err != nil {
				t.Fatal(err)
			}
		}
		for i := range straight {
			if !sameBits(straight[i].Value.Data(), resumed[i].Value.Data()) {
				t.Errorf("%s: %s differs after resume", name, straight[i].Name)
			}
		}
		if saved.Meta.Schedule == nil || saved.Meta.ParamSteps[straight[2].Name] != 2 || saved.Meta.ParamSteps[straight[0].Name] != 3 {
			t.Errorf("%s: meta %+v", name, saved.Meta)
		}
	}
}

func TestStateKeysAndShapes(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Algorithm = AlgoAdamW
	ps := smallModel()
	o := runSteps(t, ps, cfg, 1, 0)
	st := o.State()
	if len(st.Tensors) != 2*len(ps) {
		t.Fatalf("%d tensors", len(st.Tensors))
	}
	e, ok := st.Tensors["exp_avg_sq/backbone.body.conv1.weight"]
	if !ok || len(e.Shape) != 4 || e.Shape[0] != 8 || len(e.Data) != 8*27 {
		t.Fatalf("exp_avg_sq tensor %v", e.Shape)
	}
	// The saved state is a copy.
	e.Data[0] = 123
	if o.State().Tensors["exp_avg_sq/backbone.body.conv1.weight"].Data[0] == 123 {
		t.Error("State aliases the optimizer's buffers")
	}
}

func TestLoadStateErrors(t *testing.T) {
	cfg := DefaultConfig()
	good := runSteps(t, smallModel(), cfg, 2, 0).State()
	cases := map[string]func(st *State){
		"format":        func(st *State) { st.Meta.Format = "other" },
		"algorithm":     func(st *State) { st.Meta.Algorithm = AlgoAdam },
		"unknown param": func(st *State) { st.Tensors["momentum_buffer/nope"] = StateTensor{Shape: []int{1}, Data: []float32{0}} },
		"bad key":       func(st *State) { st.Tensors["momentum_buffer"] = StateTensor{} },
		"wrong buffer":  func(st *State) { st.Tensors["exp_avg/roi_heads.extra"] = st.Tensors["momentum_buffer/roi_heads.extra"] },
		"shape": func(st *State) {
			st.Tensors["momentum_buffer/roi_heads.extra"] = StateTensor{Shape: []int{9}, Data: make([]float32, 9)}
		},
		"missing": func(st *State) { delete(st.Tensors, "momentum_buffer/roi_heads.extra") },
		"steps":   func(st *State) { st.Meta.ParamSteps["ghost"] = 1 },
	}
	for name, f := range cases {
		st := roundTrip(t, good)
		f(&st)
		o, _ := New(smallModel(), cfg, Options{})
		if err := o.LoadState(st); err == nil || !strings.HasPrefix(err.Error(), "optim: ") {
			t.Errorf("%s: err %v", name, err)
		} else if o.Iter() != 0 || len(o.State().Tensors) != 0 {
			t.Errorf("%s: a failed LoadState changed the optimizer", name)
		}
	}
	o, _ := New(smallModel(), cfg, Options{})
	if err := o.LoadState(roundTrip(t, good)); err != nil {
		t.Fatal(err)
	}
}
