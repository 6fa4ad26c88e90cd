package optim

import (
	"math"
	"math/rand"
	"strings"
	"testing"

	"github.com/gcdet/gcdet/nn"
)

func randVec(r *rand.Rand, n int) []float64 {
	x := make([]float64, n)
	for i := range x {
		x[i] = r.NormFloat64() + 0.3 // a non-zero mean, so GC has work to do
	}
	return x
}

// unitSums returns the sum of x over each GC unit of l.
func unitSums(x []float64, l gcLayout) []float64 {
	out := make([]float64, l.units)
	for u := range out {
		l.forRuns(u, func(off, n int) {
			for _, v := range x[off : off+n] {
				out[u] += v
			}
		})
	}
	return out
}

var layoutCases = []struct {
	name   string
	kind   nn.Kind
	shape  []int
	convT  string
	groups int
	m      int
}{
	{"conv", nn.KindConv, []int{5, 3, 3, 3}, "", 0, 27},
	{"grouped conv", nn.KindConv, []int{6, 2, 3, 3}, "", 0, 18},
	{"linear", nn.KindLinear, []int{7, 11}, "", 0, 11},
	{"conv1d", nn.KindConv, []int{4, 3, 5}, "", 0, 15},
	{"convT output", nn.KindConvTranspose, []int{4, 3, 2, 2}, ConvTOutput, 1, 16},
	{"convT output groups", nn.KindConvTranspose, []int{6, 2, 3, 3}, ConvTOutput, 3, 18},
	{"convT input", nn.KindConvTranspose, []int{4, 3, 2, 2}, ConvTInput, 1, 12},
}

func TestGCOperatorProperties(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	for _, c := range layoutCases {
		l, warn := planGC("w", c.kind, c.shape, true, c.convT, c.groups)
		if warn != "" || l.kind == layoutNone || l.m != c.m || l.units*l.m != numel(c.shape) {
			t.Fatalf("%s: layout %+v, warning %q", c.name, l, warn)
		}
		n := numel(c.shape)
		g := randVec(r, n)
		pg := append([]float64(nil), g...)
		centralize(pg, l)
		for u, s := range unitSums(pg, l) {
			if math.Abs(s) > 1e-13 {
				t.Errorf("%s: unit %d sums to %g after GC", c.name, u, s)
			}
		}
		// Idempotent.
		ppg := append([]float64(nil), pg...)
		centralize(ppg, l)
		var dot, ng, npg float64
		for i := range g {
			if math.Abs(ppg[i]-pg[i]) > 1e-14 {
				t.Fatalf("%s: GC not idempotent at %d", c.name, i)
			}
			dot += pg[i] * (g[i] - pg[i])
			ng += g[i] * g[i]
			npg += pg[i] * pg[i]
		}
		// A projection: orthogonal residual, norm does not grow.
		if math.Abs(dot) > 1e-11 || npg > ng {
			t.Errorf("%s: <GC(g), g-GC(g)> = %g, |GC(g)|^2 = %g, |g|^2 = %g", c.name, dot, npg, ng)
		}
		// Linear, and blind to a per-unit constant shift.
		h := randVec(r, n)
		mix := make([]float64, n)
		for i := range mix {
			mix[i] = 2.5*g[i] - 0.75*h[i]
		}
		l.forRuns(1, func(off, k int) {
			for i := off; i < off+k; i++ {
				mix[i] += 3.25 // shift unit 1
			}
		})
		centralize(mix, l)
		ph := append([]float64(nil), h...)
		centralize(ph, l)
		for i := range mix {
			if want := 2.5*pg[i] - 0.75*ph[i]; math.Abs(mix[i]-want) > 1e-12 {
				t.Fatalf("%s: GC not linear/shift-blind at %d: %g vs %g", c.name, i, mix[i], want)
			}
		}
	}
}

// The conv-transpose layout must group exactly one output channel's
// fan-in: for (Cin, Cout/G, kh, kw) and groups G, output channel
// o = g*Cout/G + j gathers W[i, j, :, :] for the Cin/G input channels i of
// group g.
func TestConvTransposeUnitsAreOutputChannels(t *testing.T) {
	cin, coutG, kh, kw, groups := 6, 2, 3, 2, 3
	l, _ := planGC("w", nn.KindConvTranspose, []int{cin, coutG, kh, kw}, true, ConvTOutput, groups)
	owner := make([]int, cin*coutG*kh*kw)
	for i := range owner {
		owner[i] = -1
	}
	for u := 0; u < l.units; u++ {
		l.forRuns(u, func(off, n int) {
			for k := off; k < off+n; k++ {
				if owner[k] >= 0 {
					t.Fatalf("value %d in units %d and %d", k, owner[k], u)
				}
				owner[k] = u
			}
		})
	}
	for i := 0; i < cin; i++ {
		for j := 0; j < coutG; j++ {
			for s := 0; s < kh*kw; s++ {
				g := i / (cin / groups)
				want := g*coutG + j
				if got := owner[(i*coutG+j)*kh*kw+s]; got != want {
					t.Fatalf("W[%d,%d,%d] in unit %d, want output channel %d", i, j, s, got, want)
				}
			}
		}
	}
}

func TestGCEligibility(t *testing.T) {
	type pc struct {
		name  string
		kind  nn.Kind
		shape []int
	}
	params := []pc{
		{"backbone.body.conv1.weight", nn.KindConv, []int{4, 3, 3, 3}},
		{"backbone.body.bn1.weight", nn.KindNorm, []int{4}},
		{"backbone.body.layer1.0.conv1.bias", nn.KindBias, []int{4}},
		{"backbone.fpn.inner.0.weight", nn.KindConv, []int{4, 4, 1, 1}},
		{"rpn.head.conv.weight", nn.KindConv, []int{4, 4, 3, 3}},
		{"roi_heads.box_head.fc6.weight", nn.KindLinear, []int{8, 16}},
		{"roi_heads.mask_predictor.conv5_mask.weight", nn.KindConvTranspose, []int{4, 4, 2, 2}},
		{"roi_heads.something.weight", nn.KindOther, []int{4, 4}},
		{"roi_heads.norm2d.weight", nn.KindNorm, []int{4, 4}}, // 2-D norm weight: still never
	}
	cases := []struct {
		gc   GCConfig
		want string
	}{
		{GCConfig{}, "backbone.body.conv1.weight backbone.fpn.inner.0.weight rpn.head.conv.weight roi_heads.box_head.fc6.weight roi_heads.mask_predictor.conv5_mask.weight"},
		{GCConfig{Kinds: KindsConv}, "backbone.body.conv1.weight backbone.fpn.inner.0.weight rpn.head.conv.weight roi_heads.mask_predictor.conv5_mask.weight"},
		{GCConfig{Scope: ScopeBackbone}, "backbone.body.conv1.weight"},
		{GCConfig{Scope: ScopePrefixes, Prefixes: []string{"backbone.", "roi_heads.box_head."}}, "backbone.body.conv1.weight backbone.fpn.inner.0.weight roi_heads.box_head.fc6.weight"},
		{GCConfig{Scope: ScopeOff}, ""},
	}
	for _, c := range cases {
		cfg := DefaultConfig()
		cfg.GC = c.gc
		var infos []ParamInfo
		for _, p := range params {
			infos = append(infos, ParamInfo{Name: p.name, Kind: p.kind, Shape: p.shape})
		}
		pl, err := makePlan(&cfg, infos)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, p := range pl.params {
			if p.layout.kind != layoutNone {
				got = append(got, p.Name)
			}
		}
		if strings.Join(got, " ") != c.want {
			t.Errorf("gc %+v: centralized %v, want %v", c.gc, got, c.want)
		}
	}
}

func TestSingleValueRowsSkippedWithWarning(t *testing.T) {
	cfg := DefaultConfig()
	cfg.ClipNorm = 0
	params := []*nn.Param{
		newParam("roi_heads.box_predictor.cls_score.weight", nn.KindLinear, []int{3, 1}, 1),
		newParam("backbone.body.dw.weight", nn.KindConv, []int{4, 1, 1, 1}, 2),
		newParam("rpn.head.conv.weight", nn.KindConv, []int{2, 2, 1, 1}, 3),
	}
	var got []string
	opt, err := New(params, cfg, Options{Warn: func(m string) { got = append(got, m) }})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || !strings.Contains(got[0], "cls_score.weight") || !strings.Contains(got[1], "dw.weight") || !strings.Contains(got[0], "M = 1") {
		t.Fatalf("warnings %q", got)
	}
	if w := opt.Warnings(); len(w) != 2 {
		t.Fatalf("Warnings() = %q", w)
	}
	if g := opt.GCParams(); len(g) != 1 || g[0] != "rpn.head.conv.weight" {
		t.Fatalf("GC params %v", g)
	}
	// The skipped parameters still train, exactly as without GC.
	ref := cloneParams(params)
	cfgOff := cfg
	cfgOff.GC.Scope = ScopeOff
	optOff, _ := New(ref, cfgOff, Options{})
	for step := 0; step < 3; step++ {
		setGrads(params, int64(step))
		setGrads(ref, int64(step))
		opt.Step()
		optOff.Step()
	}
	for i := 0; i < 2; i++ {
		if !sameBits(params[i].Value.Data(), ref[i].Value.Data()) {
			t.Errorf("%s: skipped GC should leave the plain update", params[i].Name)
		}
		if sameBits(params[i].Value.Data(), initValues(params[i], i+1)) {
			t.Errorf("%s did not train", params[i].Name)
		}
	}
	if len(got) != 2 {
		t.Errorf("warnings repeated during steps: %q", got)
	}
}

// A grouped conv-transpose weight built by package nn carries its groups in
// nn.Param.Groups: GC must centralize each output channel over the input
// channels of its own group without any configuration.
func TestGroupedConvTransposeFromParam(t *testing.T) {
	const cin, coutG, khw, groups = 6, 2, 9, 3
	cinG := cin / groups
	mk := func() *nn.Param {
		p := newParam("w", nn.KindConvTranspose, []int{cin, coutG, 3, 3}, 5)
		p.Groups = groups
		return p
	}
	cfg := DefaultConfig()
	cfg.LR, cfg.WeightDecay, cfg.Momentum, cfg.ClipNorm = 1, 0, 0, 0
	p := mk()
	before := append([]float32(nil), p.Value.Data()...)
	runSteps(t, []*nn.Param{p}, cfg, 1, 3)
	after := p.Value.Data()
	for g := 0; g < groups; g++ {
		for j := 0; j < coutG; j++ {
			var s float64
			for r := 0; r < cinG; r++ {
				off := ((g*cinG+r)*coutG + j) * khw
				for k := off; k < off+khw; k++ {
					s += float64(before[k]) - float64(after[k])
				}
			}
			if math.Abs(s) > 1e-5 {
				t.Errorf("group %d output channel %d: update sums to %g, want 0 (centralized within the group)", g, j, s)
			}
		}
	}
	// The config override gives the same layout.
	q := mk()
	q.Groups = 0
	cfg.GC.ConvTransposeGroups = map[string]int{"w": groups}
	runSteps(t, []*nn.Param{q}, cfg, 1, 3)
	if !sameBits(q.Value.Data(), after) {
		t.Error("conv_transpose_groups override and nn.Param.Groups disagree")
	}
}
