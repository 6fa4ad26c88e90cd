package optim

import (
	"fmt"

	"github.com/gcdet/gcdet/nn"
)

// Float is the element type of the update kernels: float32 in training,
// float64 in the property tests, which run the same code.
type Float interface{ ~float32 | ~float64 }

// layoutKind says how a parameter's values split into GC units.
type layoutKind int

const (
	// layoutNone: no GC; the parameter is cut into plain chunks.
	layoutNone layoutKind = iota
	// layoutRows: unit u is the contiguous row [u*m, (u+1)*m): conv
	// (Cout, Cin/groups, kh, kw), linear (Cout, Cin), and conv-transpose in
	// the authors' per-axis-0 convention.
	layoutRows
	// layoutConvT: conv-transpose weight (Cin, Cout/groups, kh, kw)
	// centralized per output channel: unit (g, j) gathers, for each of the
	// Cin/groups input channels r of group g, the kh*kw values at
	// ((g*cinG + r)*coutG + j)*khw.
	layoutConvT
)

// gcLayout is the split of one parameter into GC units: each unit is one
// output unit's fan-in (M = m values), centralized on its own.
type gcLayout struct {
	kind  layoutKind
	m     int // values per unit
	units int // number of units
	// layoutConvT only.
	groups, cinG, coutG, khw int
}

// noGC is the layout of a parameter that GC leaves alone.
// Its units are plain chunks of at most noGCChunk values.
func noGC(n int) gcLayout {
	if n == 0 {
		return gcLayout{kind: layoutNone}
	}
	m := min(n, noGCChunk)
	return gcLayout{kind: layoutNone, m: m, units: (n + m - 1) / m}
}

// planGC decides the GC layout of one parameter. want says the parameter
// is in scope and of a centralized kind. The warning is non-empty when GC
// was wanted but cannot apply (M = 1 or a malformed shape).
func planGC(name string, kind nn.Kind, shape []int, want bool, convT string, groups int) (gcLayout, string) {
	n := 1
	for _, d := range shape {
		n *= d
	}
	if !want {
		return noGC(n), ""
	}
	if len(shape) < 2 || n == 0 {
		return noGC(n), fmt.Sprintf("optim: GC skipped for %s: a %s weight of shape %v has no output-unit rows", name, kind, shape)
	}
	if kind == nn.KindConvTranspose && convT != ConvTInput {
		if groups < 1 {
			groups = 1
		}
		cin, coutG := shape[0], shape[1]
		khw := n / (cin * coutG)
		if cin%groups != 0 {
			return noGC(n), fmt.Sprintf("optim: GC skipped for %s: %d input channels do not split into %d groups", name, cin, groups)
		}
		cinG := cin / groups
		l := gcLayout{kind: layoutConvT, m: cinG * khw, units: groups * coutG, groups: groups, cinG: cinG, coutG: coutG, khw: khw}
		if l.m == 1 {
			return noGC(n), m1Warning(name, shape)
		}
		return l, ""
	}
	m := n / shape[0]
	if m == 1 {
		return noGC(n), m1Warning(name, shape)
	}
	return gcLayout{kind: layoutRows, m: m, units: shape[0]}, ""
}

func m1Warning(name string, shape []int) string {
	return fmt.Sprintf("optim: GC skipped for %s (shape %v): each output unit has a single weight (M = 1), so centralizing would zero its gradient and it would never train", name, shape)
}

// forRuns calls fn(off, n) for each contiguous run of unit u.
func (l gcLayout) forRuns(u int, fn func(off, n int)) {
	switch l.kind {
	case layoutConvT:
		g, j := u/l.coutG, u%l.coutG
		for r := 0; r < l.cinG; r++ {
			fn(((g*l.cinG+r)*l.coutG+j)*l.khw, l.khw)
		}
	default:
		fn(u*l.m, l.m)
	}
}

// centralize subtracts from each GC unit of x its mean: the GC operator
// itself (the optimizers fuse it into their kernels; tests and diagnostics
// use this form).
func centralize[F Float](x []F, l gcLayout) {
	if l.kind == layoutNone {
		return
	}
	for u := 0; u < l.units; u++ {
		var s float64
		l.forRuns(u, func(off, n int) {
			for _, v := range x[off : off+n] {
				s += float64(v)
			}
		})
		mu := F(s / float64(l.m))
		l.forRuns(u, func(off, n int) {
			row := x[off : off+n]
			for i := range row {
				row[i] -= mu
			}
		})
	}
}
