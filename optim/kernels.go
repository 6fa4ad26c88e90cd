package optim

// seg is a contiguous stretch of one parameter: values p, gradient g and
// the optimizer buffers a (momentum buffer or Adam's exp_avg) and b
// (Adam's exp_avg_sq). Unused buffers are nil.
type seg[F Float] struct{ p, g, a, b []F }

func (s seg[F]) slice(lo, hi int) seg[F] {
	out := seg[F]{p: s.p[lo:hi], g: s.g[lo:hi]}
	if s.a != nil {
		out.a = s.a[lo:hi]
	}
	if s.b != nil {
		out.b = s.b[lo:hi]
	}
	return out
}

// kernel is one optimizer's update of one parameter for one step, split
// so GC can sit in between. A GC unit is processed as sum* then apply* over
// the same values (which are still in cache):
//
//   - placement "gradient": mu = sumGrad/M, then applyGrad(mu) updates the
//     buffers and the values with the centralized gradient g' - mu.
//   - placement "update": mu = sumUpdate/M (this pass also updates the
//     buffers and writes U into a per-worker scratch row), then
//     applyUpdate(mu) writes p -= U - mu from the scratch.
//   - no GC: applyGrad(0).
//
// sumGrad's sums are gcRowSum's (float32 lanes over runs of 64 values,
// float64 totals); sumUpdate's are accumulated in float64.
type kernel[F Float] interface {
	// sumGrad returns the sum of the gradient as the buffers will see it
	// (clipped, plus coupled L2 decay).
	sumGrad(s seg[F]) float64
	// applyGrad updates buffers and values with that gradient minus mu.
	applyGrad(s seg[F], mu F)
	// sumUpdate updates the buffers, stores the update U (p_new = p - U)
	// in u and returns its sum, without touching the values.
	sumUpdate(s seg[F], u []F) float64
}
