package optim

import (
	"math"
	"sync"
	"sync/atomic"
)

// The engine is the host (CPU) driver of the kernels: it owns each
// parameter's buffers and step count, cuts the parameters into work items
// of whole GC units and runs them on all cores. It is generic over the
// element type so the property tests run the very same code in float64.

const (
	// itemTarget is the number of values one work item aims at: large
	// enough to amortize scheduling, small enough to balance two to a few
	// dozen cores over a ResNet-50-FPN.
	itemTarget = 1 << 16
	// minItemRows is the fewest GC rows in a work item: the assembly row
	// loops prefetch the next row of the item, so the first row of each
	// item goes unprefetched; with rows of thousands of values (fc6: 12544,
	// 3x3 convs over 512 channels: 4608) itemTarget alone would put only
	// 5 to 14 rows in an item.
	minItemRows = 16
	// noGCChunk is the unit size of a parameter without GC.
	noGCChunk = 1 << 14
	// rowBlock is the number of values whose GC rows the generic path
	// sums before it applies them (about 32 KiB per array: the block stays
	// in L2); the assembly row loops take a whole item.
	rowBlock = 1 << 13
)

// slot is one parameter as the engine sees it.
type slot[F Float] struct {
	name   string
	shape  []int
	n      int
	group  int
	layout gcLayout
	// p and g are bound before each step (g nil: no gradient, skipped).
	p, g []F
	// a and b are the optimizer buffers (momentum, or exp_avg and
	// exp_avg_sq), allocated on the parameter's first step.
	a, b  []F
	steps int64
}

// item is a range of units [u0, u1) of one slot; for the gradient-norm
// pass it is a range of values.
type item struct{ slot, u0, u1 int }

type engine[F Float] struct {
	cfg       Config // algorithm and its coefficients
	gcUpdate  bool   // GC placement "update"
	slots     []*slot[F]
	items     []item
	normItems []item
	workers   int
	scratch   []scratch[F] // per worker
	maxM      int          // largest GC unit
}

// scratch is a worker's room for one block of rows: their means and, for
// placement "update", their updates.
type scratch[F Float] struct{ mus, upd []F }

func newEngine[F Float](cfg Config, plan *plan, workers int) *engine[F] {
	if workers < 1 {
		workers = 1
	}
	e := &engine[F]{cfg: cfg, gcUpdate: cfg.GC.Placement == PlacementUpdate, workers: workers}
	for i, pp := range plan.params {
		s := &slot[F]{name: pp.Name, shape: pp.Shape, n: numel(pp.Shape), group: pp.group, layout: pp.layout}
		e.slots = append(e.slots, s)
		if s.layout.kind != layoutNone {
			e.maxM = max(e.maxM, s.layout.m)
		}
		per := 1
		switch {
		case s.layout.kind == layoutRows:
			per = max(minItemRows, itemTarget/s.layout.m)
		case s.layout.m > 0:
			per = max(1, itemTarget/s.layout.m)
		}
		for u := 0; u < s.layout.units; u += per {
			e.items = append(e.items, item{i, u, min(u+per, s.layout.units)})
		}
		for lo := 0; lo < s.n; lo += itemTarget {
			e.normItems = append(e.normItems, item{i, lo, min(lo+itemTarget, s.n)})
		}
	}
	return e
}

func numel(shape []int) int {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return n
}

// parallel runs f(w, i) for i in [0, n) on the engine's workers; w is the
// worker's index in [0, workers).
func (e *engine[F]) parallel(n int, f func(w, i int)) {
	nw := min(e.workers, n)
	if nw <= 1 {
		for i := 0; i < n; i++ {
			f(0, i)
		}
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	wg.Add(nw)
	for w := range nw {
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				f(w, i)
			}
		}()
	}
	wg.Wait()
}

// gradNorm is the global L2 norm of the bound gradients, summed in float64
// in a fixed order (the result does not depend on scheduling).
func (e *engine[F]) gradNorm() float64 {
	part := make([]float64, len(e.normItems))
	e.parallel(len(e.normItems), func(_, i int) {
		it := e.normItems[i]
		g := e.slots[it.slot].g
		if g == nil {
			return
		}
		part[i] = sumSquares(g[it.u0:it.u1])
	})
	var s float64
	for _, v := range part {
		s += v
	}
	return math.Sqrt(s)
}

// step applies one update to every slot with a gradient: lr and wd are
// per group (after the schedule), clip scales every gradient.
func (e *engine[F]) step(lr, wd []float64, clip float64) int {
	ks := make([]kernel[F], len(e.slots))
	updated := 0
	for i, s := range e.slots {
		if s.g == nil {
			continue
		}
		if len(s.g) != s.n || len(s.p) != s.n {
			panic("optim: engine bound slices do not match the shape of " + s.name)
		}
		ks[i] = e.kernelFor(s, lr[s.group], wd[s.group], clip)
		updated++
	}
	if len(e.scratch) == 0 {
		e.scratch = make([]scratch[F], e.workers)
		for w := range e.scratch {
			e.scratch[w].mus = make([]F, rowBlock)
			if e.gcUpdate {
				e.scratch[w].upd = make([]F, max(rowBlock, e.maxM))
			}
		}
	}
	e.parallel(len(e.items), func(w, i int) {
		it := e.items[i]
		if k := ks[it.slot]; k != nil {
			e.runItem(e.slots[it.slot], it, k, &e.scratch[w])
		}
	})
	return updated
}

// kernelFor advances s's step count, allocates its buffers on first use
// and returns its kernel for this step.
func (e *engine[F]) kernelFor(s *slot[F], lr, wd, clip float64) kernel[F] {
	c := &e.cfg
	s.steps++
	if isAdam(c.Algorithm) {
		if s.a == nil {
			s.a, s.b = make([]F, s.n), make([]F, s.n)
		}
		t := float64(s.steps)
		bc1 := 1 - math.Pow(c.Beta1, t)
		bc2 := 1 - math.Pow(c.Beta2, t)
		k := &adamKernel[F]{
			clip: F(clip), b1: F(c.Beta1), b2: F(c.Beta2), omb1: F(1 - c.Beta1), omb2: F(1 - c.Beta2),
			bc2sqrt: F(math.Sqrt(bc2)), eps: F(c.Eps), negStep: F(-lr / bc1), stepSize: F(lr / bc1),
			decay: 1, decoupled: decoupled(c.Algorithm),
		}
		if k.decoupled {
			k.decay, k.lrwd = F(1-lr*wd), F(lr*wd)
		} else {
			k.wd = F(wd)
		}
		return k
	}
	k := &sgdKernel[F]{clip: F(clip), lr: F(lr), mom: F(c.Momentum), damp1: F(1 - c.Dampening),
		hasMom: c.Momentum != 0, nest: c.Nesterov, decoupled: decoupled(c.Algorithm)}
	if k.decoupled {
		k.lrwd = F(wd * lr)
	} else {
		k.wd = F(wd)
	}
	if k.hasMom && s.a == nil {
		s.a = make([]F, s.n)
		k.first = true
	}
	return k
}

// fusedRows runs GC on the gradient over the rows of s in [lo, hi) with
// an assembly row loop (all of the item's rows in one call) when one fits
// the kernel and its case, and reports whether it did.
func (e *engine[F]) fusedRows(s *slot[F], lo, hi, m int, k kernel[F]) bool {
	switch kk := k.(type) {
	case *sgdKernel[F]:
		return kk.common() && sgdGCRows(s.p[lo:hi], s.g[lo:hi], s.a[lo:hi], m, kk.clip, kk.wd, kk.mom, kk.damp1, kk.lr)
	case *adamKernel[F]:
		return adamGCRows(s.p[lo:hi], s.g[lo:hi], s.a[lo:hi], s.b[lo:hi], m, kk)
	}
	return false
}

func (e *engine[F]) runItem(s *slot[F], it item, k kernel[F], sc *scratch[F]) {
	full := seg[F]{p: s.p, g: s.g, a: s.a, b: s.b}
	l := s.layout
	switch l.kind {
	case layoutNone:
		k.applyGrad(full.slice(it.u0*l.m, min(it.u1*l.m, s.n)), 0)
	case layoutRows:
		if !e.gcUpdate && e.fusedRows(s, it.u0*l.m, it.u1*l.m, l.m, k) {
			return
		}
		// The generic path takes rows in blocks of about rowBlock values:
		// the sum pass streams the block in, the apply pass finds it in
		// cache, and both passes stream long contiguous runs (short rows
		// alone would restart the hardware prefetchers at every row).
		fm := float64(l.m)
		nr := max(1, rowBlock/l.m)
		for u := it.u0; u < it.u1; u += nr {
			ue := min(u+nr, it.u1)
			mus := sc.mus[:ue-u]
			if e.gcUpdate {
				for r := u; r < ue; r++ {
					mus[r-u] = F(k.sumUpdate(full.slice(r*l.m, (r+1)*l.m), sc.upd[(r-u)*l.m:(r-u+1)*l.m]) / fm)
				}
				for r := u; r < ue; r++ {
					applyUpdate(s.p[r*l.m:(r+1)*l.m], sc.upd[(r-u)*l.m:(r-u+1)*l.m], mus[r-u])
				}
				continue
			}
			for r := u; r < ue; r++ {
				mus[r-u] = F(k.sumGrad(full.slice(r*l.m, (r+1)*l.m)) / fm)
			}
			for r := u; r < ue; r++ {
				k.applyGrad(full.slice(r*l.m, (r+1)*l.m), mus[r-u])
			}
		}
	case layoutConvT:
		fm := float64(l.m)
		for u := it.u0; u < it.u1; u++ {
			var sum float64
			pos := 0
			l.forRuns(u, func(off, n int) {
				if e.gcUpdate {
					sum += k.sumUpdate(full.slice(off, off+n), sc.upd[pos:pos+n])
					pos += n
				} else {
					sum += k.sumGrad(full.slice(off, off+n))
				}
			})
			mu := F(sum / fm)
			pos = 0
			l.forRuns(u, func(off, n int) {
				if e.gcUpdate {
					applyUpdate(s.p[off:off+n], sc.upd[pos:pos+n], mu)
					pos += n
				} else {
					k.applyGrad(full.slice(off, off+n), mu)
				}
			})
		}
	}
}
