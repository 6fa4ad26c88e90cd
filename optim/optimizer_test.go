package optim

import (
	"math"
	"strings"
	"testing"

	"github.com/gcdet/gcdet/nn"
	"github.com/gcdet/gcdet/tensor"
)

func smallModel() []*nn.Param {
	return []*nn.Param{
		newParam("backbone.body.conv1.weight", nn.KindConv, []int{8, 3, 3, 3}, 1),
		newParam("backbone.body.bn1.weight", nn.KindNorm, []int{8}, 2),
		newParam("backbone.body.bn1.bias", nn.KindNorm, []int{8}, 3),
		newParam("backbone.fpn.layer_blocks.0.weight", nn.KindConv, []int{4, 8, 3, 3}, 4),
		newParam("backbone.fpn.layer_blocks.0.bias", nn.KindBias, []int{4}, 5),
		newParam("roi_heads.box_head.fc6.weight", nn.KindLinear, []int{6, 36}, 6),
		newParam("roi_heads.box_head.fc6.bias", nn.KindBias, []int{6}, 7),
		newParam("roi_heads.mask_predictor.conv5_mask.weight", nn.KindConvTranspose, []int{4, 3, 2, 2}, 8),
		newParam("roi_heads.extra", nn.KindOther, []int{3, 3}, 9),
	}
}

func runSteps(t *testing.T, ps []*nn.Param, cfg Config, steps int, seed0 int64) *Optimizer {
	t.Helper()
	o, err := New(ps, cfg, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < steps; i++ {
		setGrads(ps, seed0+int64(i))
		if _, err := o.Step(); err != nil {
			t.Fatal(err)
		}
	}
	return o
}

// Parameters outside the GC scope or of excluded kinds get exactly the
// update they would get with GC off.
func TestParamsOutsideGCAreUntouchedByGC(t *testing.T) {
	for _, algo := range []string{AlgoSGD, AlgoSGDW, AlgoAdam, AlgoAdamW} {
		for _, place := range []string{PlacementGradient, PlacementUpdate} {
			cfg := DefaultConfig()
			cfg.Algorithm, cfg.LR = algo, 0.01
			cfg.GC = GCConfig{Scope: ScopeBackbone, Kinds: KindsConv, Placement: place}
			on, off := smallModel(), smallModel()
			runSteps(t, on, cfg, 4, 1)
			cfg.GC.Scope = ScopeOff
			runSteps(t, off, cfg, 4, 1)
			for i := range on {
				same := sameBits(on[i].Value.Data(), off[i].Value.Data())
				wantSame := on[i].Name != "backbone.body.conv1.weight"
				if same != wantSame {
					t.Errorf("%s/%s %s: identical to GC-off = %v, want %v", algo, place, on[i].Name, same, wantSame)
				}
			}
		}
	}
}

func TestParameterGroups(t *testing.T) {
	cfg := DefaultConfig()
	cfg.ClipNorm = 0
	two := 2.0
	cfg.Groups = []GroupRule{
		{Name: "heads_bias", Kinds: []string{"bias"}, Prefixes: []string{"roi_heads."}, LRFactor: &two},
		NoDecayNormBias(),
		{Name: "unused", Prefixes: []string{"nothing."}},
	}
	ps := smallModel()
	o, err := New(ps, cfg, Options{})
	if err != nil {
		t.Fatal(err)
	}
	gs := o.Groups()
	byName := map[string]Group{}
	for _, g := range gs {
		byName[g.Name] = g
	}
	if g := byName["heads_bias"]; g.BaseLR != 0.04 || g.WeightDecay != 1e-4 || strings.Join(g.Params, ",") != "roi_heads.box_head.fc6.bias" {
		t.Errorf("heads_bias group %+v", g)
	}
	if g := byName["no_decay"]; g.BaseLR != 0.02 || g.WeightDecay != 0 || len(g.Params) != 3 {
		t.Errorf("no_decay group %+v", g)
	}
	if g := byName["default"]; len(g.Params) != 5 || g.WeightDecay != 1e-4 {
		t.Errorf("default group %+v", g)
	}
	if _, ok := byName["unused"]; ok || len(o.Warnings()) != 1 || !strings.Contains(o.Warnings()[0], `"unused"`) {
		t.Errorf("groups %v, warnings %q", gs, o.Warnings())
	}
	// A norm parameter in no_decay moves exactly as with weight decay 0.
	setGrads(ps, 1)
	o.Step()
	ref := smallModel()
	cfg0 := DefaultConfig()
	cfg0.ClipNorm, cfg0.WeightDecay = 0, 0
	runSteps(t, ref, cfg0, 1, 1)
	if !sameBits(ps[1].Value.Data(), ref[1].Value.Data()) {
		t.Error("norm weight in no_decay group was decayed")
	}
	if sameBits(ps[0].Value.Data(), ref[0].Value.Data()) {
		t.Error("conv weight in default group was not decayed")
	}
}

func TestConfigValidation(t *testing.T) {
	neg := -1.0
	bad := map[string]func(c *Config){
		"algorithm":   func(c *Config) { c.Algorithm = "rmsprop" },
		"lr":          func(c *Config) { c.LR = math.NaN() },
		"wd":          func(c *Config) { c.WeightDecay = -1 },
		"nesterov":    func(c *Config) { c.Nesterov, c.Dampening = true, 0.1 },
		"beta":        func(c *Config) { c.Algorithm, c.Beta2 = AlgoAdam, 1 },
		"scope":       func(c *Config) { c.GC.Scope = "heads" },
		"prefixes":    func(c *Config) { c.GC.Scope = ScopePrefixes },
		"kinds":       func(c *Config) { c.GC.Kinds = "linear" },
		"placement":   func(c *Config) { c.GC.Placement = "after" },
		"convT":       func(c *Config) { c.GC.ConvTranspose = "both" },
		"group name":  func(c *Config) { c.Groups = []GroupRule{{Kinds: []string{"bias"}}} },
		"group dup":   func(c *Config) { c.Groups = []GroupRule{{Name: "default"}} },
		"group kind":  func(c *Config) { c.Groups = []GroupRule{{Name: "x", Kinds: []string{"bn"}}} },
		"group wd":    func(c *Config) { c.Groups = []GroupRule{{Name: "x", WeightDecay: &neg}} },
		"clip":        func(c *Config) { c.ClipNorm = -3 },
		"convT group": func(c *Config) { c.GC.ConvTransposeGroups = map[string]int{"w": 0} },
	}
	for name, f := range bad {
		c := DefaultConfig()
		f(&c)
		if _, err := New(smallModel(), c, Options{}); err == nil || !strings.HasPrefix(err.Error(), "optim: ") {
			t.Errorf("%s: error %v", name, err)
		}
	}
	ps := smallModel()
	ps[1].Name = ps[0].Name
	if _, err := New(ps, DefaultConfig(), Options{}); err == nil || !strings.Contains(err.Error(), "twice") {
		t.Errorf("duplicate names: %v", err)
	}
}

func TestClippingFusedEqualsClipGradNorm(t *testing.T) {
	cfg := DefaultConfig()
	cfg.ClipNorm = 1.5
	fused := smallModel()
	o, _ := New(fused, cfg, Options{})
	cfg.ClipNorm = 0
	manual := smallModel()
	m, _ := New(manual, cfg, Options{})
	for i := 0; i < 3; i++ {
		setGrads(fused, int64(i))
		setGrads(manual, int64(i))
		want := GradNorm(manual)
		norm, err := ClipGradNorm(manual, 1.5)
		if err != nil || norm != want || norm < 3 {
			t.Fatalf("ClipGradNorm = %v, %v (norm %v)", norm, err, want)
		}
		if after := GradNorm(manual); math.Abs(after-1.5) > 1e-5 {
			t.Fatalf("clipped norm %v", after)
		}
		st, err := o.Step()
		if err != nil || !st.NormComputed || math.Abs(st.GradNorm-norm) > 1e-12*norm || st.ClipCoef >= 1 {
			t.Fatalf("stats %+v, err %v, norm %v", st, err, norm)
		}
		m.Step()
	}
	for i := range fused {
		if !sameBits(fused[i].Value.Data(), manual[i].Value.Data()) {
			t.Errorf("%s: fused clipping differs from ClipGradNorm + step", fused[i].Name)
		}
	}
}

func TestNonFiniteGradientNormStopsTheStep(t *testing.T) {
	ps := smallModel()
	o, _ := New(ps, DefaultConfig(), Options{})
	setGrads(ps, 1)
	ps[3].Value.Grad.Data()[5] = float32(math.Inf(1))
	before := ps[0].Value.Clone().Data()
	if _, err := o.Step(); err == nil || !strings.Contains(err.Error(), "iteration 0") {
		t.Fatalf("err %v", err)
	}
	if !sameBits(before, ps[0].Value.Data()) || o.Iter() != 0 {
		t.Error("a failed step changed the parameters or the iteration")
	}
}

func TestFrozenIgnoredAndMissingGradientsSkipped(t *testing.T) {
	ps := smallModel()
	ps[0].SetTrainable(false)
	cfg := DefaultConfig()
	cfg.Algorithm = AlgoAdam
	o, _ := New(ps, cfg, Options{})
	frozen := ps[0].Value.Clone().Data()
	for i := 0; i < 3; i++ {
		setGrads(ps[1:], int64(i))
		if i == 1 {
			ps[2].Value.Grad = nil
		}
		st, err := o.Step()
		if err != nil {
			t.Fatal(err)
		}
		if want := 8 - boolInt(i == 1); st.Updated != want {
			t.Errorf("step %d updated %d, want %d", i, st.Updated, want)
		}
	}
	if !sameBits(frozen, ps[0].Value.Data()) {
		t.Error("a frozen parameter moved")
	}
	steps := o.State().Meta.ParamSteps
	if _, ok := steps[ps[0].Name]; ok || steps[ps[2].Name] != 2 || steps[ps[1].Name] != 3 {
		t.Errorf("param steps %v", steps)
	}
	o.ZeroGrad()
	for _, p := range ps {
		if p.Value.Grad != nil {
			t.Errorf("%s still has a gradient after ZeroGrad", p.Name)
		}
	}
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func TestResultsDoNotDependOnWorkers(t *testing.T) {
	// A large conv so several work items exist.
	mk := func() []*nn.Param {
		return append(smallModel(), newParam("backbone.body.layer4.0.conv2.weight", nn.KindConv, []int{64, 64, 3, 3}, 10),
			newParam("roi_heads.box_head.fc7.weight", nn.KindLinear, []int{100, 1500}, 11))
	}
	var ref []*nn.Param
	for _, w := range []int{1, 2, 7} {
		for _, algo := range []string{AlgoSGD, AlgoAdamW} {
			cfg := DefaultConfig()
			cfg.Algorithm = algo
			ps := mk()
			o, _ := New(ps, cfg, Options{Workers: w})
			for i := 0; i < 2; i++ {
				setGrads(ps, int64(i))
				o.Step()
			}
			if algo != AlgoSGD {
				continue
			}
			if ref == nil {
				ref = ps
				continue
			}
			for i := range ps {
				if !sameBits(ps[i].Value.Data(), ref[i].Value.Data()) {
					t.Errorf("workers %d: %s differs from workers 1", w, ps[i].Name)
				}
			}
		}
	}
}

func TestScheduleDrivesGroupRates(t *testing.T) {
	ps := smallModel()
	cfg := DefaultConfig()
	half := 0.5
	cfg.Groups = []GroupRule{{Name: "heads", Prefixes: []string{"roi_heads."}, LRFactor: &half}}
	o, _ := New(ps, cfg, Options{})
	s, err := NewSchedule(ScheduleConfig{Policy: PolicyMultiStep, Milestones: []int{2}, Gamma: 0.1, Warmup: WarmupConfig{Method: WarmupLinear, Iters: 2, Factor: 0.5}})
	if err != nil {
		t.Fatal(err)
	}
	o.SetSchedule(s)
	want := []float64{0.01, 0.015, 0.002, 0.002}
	for i, w := range want {
		if got := o.LR(); math.Abs(got-w) > 1e-15 {
			t.Errorf("LR() before step %d = %v, want %v", i, got, w)
		}
		setGrads(ps, int64(i))
		st, _ := o.Step()
		if st.Iter != int64(i) || math.Abs(st.LR-w) > 1e-15 {
			t.Errorf("step %d: stats %+v, want lr %v", i, st, w)
		}
		for _, g := range o.Groups() {
			if g.Name == "heads" && math.Abs(g.LR-w/2) > 1e-15 {
				t.Errorf("step %d: heads lr %v", i, g.LR)
			}
		}
	}
}

func TestParamsMustBeOnCPU(t *testing.T) {
	// The only backend available here is the CPU; a nil value is the user
	// error we can provoke.
	if _, err := New([]*nn.Param{{Name: "x"}}, DefaultConfig(), Options{}); err == nil {
		t.Error("nil value accepted")
	}
	p := nn.NewParam("w", nn.KindLinear, tensor.Zeros(2, 2), true)
	if _, err := New([]*nn.Param{p}, DefaultConfig(), Options{}); err != nil {
		t.Error(err)
	}
}
