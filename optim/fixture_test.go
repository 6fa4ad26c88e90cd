package optim

import (
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"math"
	"os"
	"testing"

	"github.com/gcdet/gcdet/nn"
	"github.com/gcdet/gcdet/tensor"
)

// The fixture comes from testdata/gen_gc.py (PyTorch re-implementation of
// the reference SGD_GC/Adam_GC family, and torch.optim itself for the cases
// without GC).

type f32s []float32

func (f *f32s) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	raw, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return err
	}
	out := make([]float32, len(raw)/4)
	for i := range out {
		out[i] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:]))
	}
	*f = out
	return nil
}

type fixture struct {
	Params []struct {
		Name  string `json:"name"`
		Kind  string `json:"kind"`
		Shape []int  `json:"shape"`
		Init  f32s   `json:"init"`
	} `json:"params"`
	Cases []struct {
		Name       string `json:"name"`
		TorchOptim bool   `json:"torch_optim"`
		Config     struct {
			Config
			Schedule *ScheduleConfig `json:"schedule"`
		} `json:"config"`
		Steps []struct {
			Grads    map[string]f32s `json:"grads"`
			Params   map[string]f32s `json:"params"`
			GradNorm *float64        `json:"grad_norm"`
		} `json:"steps"`
	} `json:"cases"`
	Schedules []struct {
		Name    string         `json:"name"`
		Config  ScheduleConfig `json:"config"`
		Factors []float64      `json:"factors"`
	} `json:"schedules"`
}

func loadFixture(t *testing.T) *fixture {
	t.Helper()
	b, err := os.ReadFile("testdata/gc_fixture.json")
	if err != nil {
		t.Fatal(err)
	}
	var fx fixture
	if err := json.Unmarshal(b, &fx); err != nil {
		t.Fatal(err)
	}
	return &fx
}

func (fx *fixture) model(t *testing.T) []*nn.Param {
	var ps []*nn.Param
	for _, p := range fx.Params {
		k, err := parseKind(p.Kind)
		if err != nil {
			t.Fatal(err)
		}
		ps = append(ps, nn.NewParam(p.Name, k, tensor.FromSlice(append([]float32(nil), p.Init...), p.Shape...), true))
	}
	return ps
}

func TestAgreesWithPyTorchReference(t *testing.T) {
	fx := loadFixture(t)
	if len(fx.Cases) < 15 {
		t.Fatalf("fixture has %d cases", len(fx.Cases))
	}
	for _, c := range fx.Cases {
		t.Run(c.Name, func(t *testing.T) {
			params := fx.model(t)
			opt, err := New(params, c.Config.Config, Options{Workers: 2})
			if err != nil {
				t.Fatal(err)
			}
			if len(opt.Warnings()) != 0 {
				t.Fatalf("unexpected warnings %v", opt.Warnings())
			}
			if c.Config.Schedule != nil {
				s, err := NewSchedule(*c.Config.Schedule)
				if err != nil {
					t.Fatal(err)
				}
				opt.SetSchedule(s)
			}
			worst := 0.0
			for si, st := range c.Steps {
				for _, p := range params {
					p.Value.Grad = tensor.FromSlice(st.Grads[p.Name], p.Value.Shape()...)
				}
				stats, err := opt.Step()
				if err != nil {
					t.Fatal(err)
				}
				if st.GradNorm != nil {
					if !stats.NormComputed || math.Abs(stats.GradNorm-*st.GradNorm) > 1e-6**st.GradNorm {
						t.Fatalf("step %d: grad norm %v, torch %v", si, stats.GradNorm, *st.GradNorm)
					}
					if stats.ClipCoef >= 1 {
						t.Fatalf("step %d: clipping did not engage (norm %v)", si, stats.GradNorm)
					}
				}
				for _, p := range params {
					got, want := p.Value.Data(), st.Params[p.Name]
					for i := range want {
						d := math.Abs(float64(got[i]) - float64(want[i]))
						tol := 2e-7 + 2e-6*math.Abs(float64(want[i]))
						if d > tol {
							t.Fatalf("step %d %s[%d]: got %.9g, reference %.9g", si, p.Name, i, got[i], want[i])
						}
						worst = math.Max(worst, d/(1e-7+math.Abs(float64(want[i]))))
					}
				}
				opt.ZeroGrad()
			}
			t.Logf("worst relative difference %.2g", worst)
		})
	}
}

func TestSchedulesAgreeWithTorchSchedulers(t *testing.T) {
	fx := loadFixture(t)
	for _, c := range fx.Schedules {
		s, err := NewSchedule(c.Config)
		if err != nil {
			t.Fatalf("%s: %v", c.Name, err)
		}
		for it, want := range c.Factors {
			if got := s.Factor(int64(it)); math.Abs(got-want) > 1e-12+1e-9*math.Abs(want) {
				t.Errorf("%s: factor at iter %d = %.15g, torch %.15g", c.Name, it, got, want)
			}
		}
	}
}

// The fixture must tell the variants apart, or agreeing with it proves
// little: replaying a case under a different setting must move the
// parameters well beyond the tolerance.
func TestFixtureDistinguishesVariants(t *testing.T) {
	fx := loadFixture(t)
	mutate := map[string]func(c *Config){
		"sgd_gc":             func(c *Config) { c.GC.ConvTranspose = ConvTInput },
		"sgd_gc_convt_input": func(c *Config) { c.GC.ConvTranspose = ConvTOutput },
		"sgd_gcc_conv_only":  func(c *Config) { c.GC.Kinds = KindsConvLinear },
		"sgd_gc_backbone":    func(c *Config) { c.GC.Scope = ScopeAll },
		"adam_gc":            func(c *Config) { c.GC.Placement = PlacementUpdate },
		"adamw_gc2_update":   func(c *Config) { c.GC.Scope = ScopeOff },
		"sgdw_gc":            func(c *Config) { c.Algorithm = AlgoSGD },
	}
	for _, c := range fx.Cases {
		m, ok := mutate[c.Name]
		if !ok {
			continue
		}
		cfg := c.Config.Config
		m(&cfg)
		params := fx.model(t)
		opt, err := New(params, cfg, Options{})
		if err != nil {
			t.Fatal(err)
		}
		worst := 0.0
		for _, st := range c.Steps {
			for _, p := range params {
				p.Value.Grad = tensor.FromSlice(st.Grads[p.Name], p.Value.Shape()...)
			}
			if _, err := opt.Step(); err != nil {
				t.Fatal(err)
			}
			for _, p := range params {
				for i, w := range st.Params[p.Name] {
					worst = math.Max(worst, math.Abs(float64(p.Value.Data()[i]-w)))
				}
			}
		}
		if worst < 1e-4 {
			t.Errorf("%s with a changed setting still matches the fixture (max diff %.2g)", c.Name, worst)
		}
	}
}
