package optim

import (
	"math"
	"testing"
)

func TestEpochMultiStep(t *testing.T) {
	// "12 epochs, steps at 8 and 11" with 1000 iterations per epoch.
	cfg, err := EpochMultiStep(12, []int{8, 11}, 1000, 0.1, WarmupConfig{Method: WarmupLinear, Iters: 500, Factor: 1.0 / 3})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.MaxIter != 12000 || len(cfg.Milestones) != 2 || cfg.Milestones[0] != 8000 || cfg.Milestones[1] != 11000 {
		t.Fatalf("%+v", cfg)
	}
	s, _ := NewSchedule(cfg)
	for _, c := range []struct {
		it   int64
		want float64
	}{
		{0, 1.0 / 3}, {250, 1.0/3*0.5 + 0.5}, {499, 1.0/3*(1-499.0/500) + 499.0/500}, {500, 1}, {7999, 1},
		{8000, 0.1}, {10999, 0.1}, {11000, 0.01}, {11999, 0.01},
	} {
		if got := s.Factor(c.it); math.Abs(got-c.want) > 1e-15 {
			t.Errorf("factor(%d) = %.17g, want %.17g", c.it, got, c.want)
		}
	}
	// The paper's detection schedule on COCO train2017 at 16 images/step.
	p, err := PaperDetectionSchedule(117266, 16)
	if err != nil {
		t.Fatal(err)
	}
	if ipe := ItersPerEpoch(117266, 16); ipe != 7330 || p.MaxIter != 12*7330 || p.Milestones[0] != 8*7330 || p.Warmup.Iters != 500 {
		t.Errorf("paper schedule %+v (iters/epoch %d)", p, ipe)
	}
	if _, err := EpochMultiStep(12, []int{13}, 10, 0.1, WarmupConfig{}); err == nil {
		t.Error("step beyond the last epoch accepted")
	}
	if _, err := EpochMultiStep(12, []int{8}, 0, 0.1, WarmupConfig{}); err == nil {
		t.Error("zero iterations per epoch accepted")
	}
}

func TestScheduleShapes(t *testing.T) {
	cos, _ := NewSchedule(ScheduleConfig{Policy: PolicyCosine, MaxIter: 100, MinFactor: 0.05})
	if cos.Factor(0) != 1 || math.Abs(cos.Factor(50)-0.525) > 1e-15 || cos.Factor(100) != 0.05 || cos.Factor(150) != 0.05 {
		t.Errorf("cosine factors %v %v %v %v", cos.Factor(0), cos.Factor(50), cos.Factor(100), cos.Factor(150))
	}
	cw, _ := NewSchedule(ScheduleConfig{Policy: PolicyConstant, Warmup: WarmupConfig{Method: WarmupConstant, Iters: 10, Factor: 0.1}})
	if cw.Factor(9) != 0.1 || cw.Factor(10) != 1 {
		t.Errorf("constant warmup %v %v", cw.Factor(9), cw.Factor(10))
	}
	for name, c := range map[string]ScheduleConfig{
		"policy":     {Policy: "poly"},
		"gamma":      {Policy: PolicyMultiStep, Gamma: 0},
		"milestones": {Policy: PolicyMultiStep, Gamma: 0.1, Milestones: []int{5, 5}},
		"beyond":     {Policy: PolicyMultiStep, Gamma: 0.1, Milestones: []int{50}, MaxIter: 10},
		"cosine":     {Policy: PolicyCosine},
		"warmup":     {Policy: PolicyConstant, Warmup: WarmupConfig{Method: "exp", Iters: 3, Factor: 0.1}},
		"wfactor":    {Policy: PolicyConstant, Warmup: WarmupConfig{Method: WarmupLinear, Iters: 3, Factor: 0}},
	} {
		if _, err := NewSchedule(c); err == nil {
			t.Errorf("%s: bad schedule accepted", name)
		}
	}
}
