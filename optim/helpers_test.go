package optim

import (
	"math"
	"math/rand"
	"testing"

	"github.com/gcdet/gcdet/nn"
	"github.com/gcdet/gcdet/tensor"
)

func initValues(p *nn.Param, seed int) []float32 {
	r := rand.New(rand.NewSource(int64(seed)))
	out := make([]float32, p.Value.Numel())
	for i := range out {
		out[i] = float32(r.NormFloat64()*0.2 + 0.1)
	}
	return out
}

// newParam makes a trainable CPU parameter with seeded values.
func newParam(name string, kind nn.Kind, shape []int, seed int) *nn.Param {
	p := nn.NewParam(name, kind, tensor.Zeros(shape...), true)
	copy(p.Value.Data(), initValues(p, seed))
	return p
}

func cloneParams(ps []*nn.Param) []*nn.Param {
	out := make([]*nn.Param, len(ps))
	for i, p := range ps {
		out[i] = nn.NewParam(p.Name, p.Kind, p.Value.Clone(), p.Trainable)
	}
	return out
}

// setGrads gives every parameter a gradient that depends on the seed, the
// parameter's index and its values (so trajectories interact).
func setGrads(ps []*nn.Param, seed int64) {
	for i, p := range ps {
		r := rand.New(rand.NewSource(seed*1000 + int64(i)))
		v := p.Value.Data()
		g := make([]float32, len(v))
		for j := range g {
			g[j] = float32(r.NormFloat64()*0.5+0.2) + 0.3*v[j]
		}
		p.Value.Grad = tensor.FromSlice(g, p.Value.Shape()...)
	}
}

func sameBits(a, b []float32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
			return false
		}
	}
	return true
}

// sim runs the engine in float64 on a parameter list, with seeded
// gradients: the property tests' float64 path through the same kernels.
type sim struct {
	t    *testing.T
	e    *engine[float64]
	pl   *plan
	cfg  Config
	rng  *rand.Rand
	vals [][]float64
}

func newSim(t *testing.T, cfg Config, infos []ParamInfo, seed int64) *sim {
	t.Helper()
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	pl, err := makePlan(&cfg, infos)
	if err != nil {
		t.Fatal(err)
	}
	s := &sim{t: t, e: newEngine[float64](cfg, pl, 2), pl: pl, cfg: cfg, rng: rand.New(rand.NewSource(seed))}
	for _, sl := range s.e.slots {
		v := randVec(s.rng, sl.n)
		s.vals = append(s.vals, v)
		sl.p = v
	}
	return s
}

// step draws gradients (noise plus a pull towards 0.5*values, and a
// per-parameter offset so means matter) and applies one update with the
// group rates times factor.
func (s *sim) step(factor, clip float64) {
	for i, sl := range s.e.slots {
		g := make([]float64, sl.n)
		for j := range g {
			g[j] = s.rng.NormFloat64() + 0.5*s.vals[i][j] + 0.2*float64(i+1)
		}
		sl.g = g
	}
	lr := make([]float64, len(s.pl.groups))
	wd := make([]float64, len(s.pl.groups))
	for i, g := range s.pl.groups {
		lr[i], wd[i] = g.BaseLR*factor, g.WeightDecay
	}
	s.e.step(lr, wd, clip)
}

// unitMeans returns the mean of each GC unit of parameter i.
func (s *sim) unitMeans(i int) []float64 {
	l := s.e.slots[i].layout
	sums := unitSums(s.vals[i], l)
	for u := range sums {
		sums[u] /= float64(l.m)
	}
	return sums
}
