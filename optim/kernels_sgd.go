package optim

// sgdKernel is torch.optim.SGD's update (coupled L2 weight decay wd) and,
// when decoupled, the authors' SGDW (p -= lr*d + lr*wd*p_old). Operation
// order follows torch so float32 results agree to rounding:
//
//	d   = clip*g + wd*p            (wd is 0 when decoupled)
//	buf = d on the first step, else momentum*buf + (1-dampening)*d
//	u   = d + momentum*buf (Nesterov) | buf | d (no momentum)
//	p   = p - lr*u [- lr*wd*p_old]
type sgdKernel[F Float] struct {
	clip, wd, lr, lrwd  F
	mom, damp1          F
	hasMom, first, nest bool
	decoupled           bool
}

func (k *sgdKernel[F]) sumGrad(s seg[F]) float64 { return gcRowSum(s.g, s.p, k.clip, k.wd) }

func (k *sgdKernel[F]) applyGrad(s seg[F], mu F) {
	p := s.p
	g := s.g[:len(p)]
	clip, wd, lr, lrwd, mom, damp1 := k.clip, k.wd, k.lr, k.lrwd, k.mom, k.damp1
	if !k.hasMom {
		for i := range p {
			d := clip*g[i] + wd*p[i] - mu
			old := p[i]
			np := old - lr*d
			if k.decoupled {
				np -= lrwd * old
			}
			p[i] = np
		}
		return
	}
	a := s.a[:len(p)]
	switch {
	case k.first:
		for i := range p {
			d := clip*g[i] + wd*p[i] - mu
			a[i] = d
			u := d
			if k.nest {
				u = d + mom*d
			}
			old := p[i]
			np := old - lr*u
			if k.decoupled {
				np -= lrwd * old
			}
			p[i] = np
		}
	case k.nest:
		for i := range p {
			d := clip*g[i] + wd*p[i] - mu
			b := mom*a[i] + damp1*d
			a[i] = b
			old := p[i]
			np := old - lr*(d+mom*b)
			if k.decoupled {
				np -= lrwd * old
			}
			p[i] = np
		}
	case k.decoupled:
		for i := range p {
			d := clip*g[i] - mu
			b := mom*a[i] + damp1*d
			a[i] = b
			old := p[i]
			p[i] = old - lr*b - lrwd*old
		}
	default: // the common case: SGD with momentum and coupled decay
		sgdMomentum(p, g, a, clip, wd, mu, mom, damp1, lr)
	}
}

// common reports whether the update is the common case: momentum, not
// the first step, no Nesterov, coupled decay (applyGrad's default branch).
func (k *sgdKernel[F]) common() bool { return k.hasMom && !k.first && !k.nest && !k.decoupled }

// upd is the update u (before lr) for value i once buffer a[i] holds the
// new momentum buffer.
func (k *sgdKernel[F]) upd(d, b F) F {
	switch {
	case !k.hasMom:
		return d
	case k.nest:
		return d + k.mom*b
	}
	return b
}

func (k *sgdKernel[F]) sumUpdate(s seg[F], out []F) float64 {
	p := s.p
	g := s.g[:len(p)]
	out = out[:len(p)]
	var a []F
	if k.hasMom {
		a = s.a[:len(p)]
	}
	for i := range p {
		d := k.clip*g[i] + k.wd*p[i]
		b := d
		if k.hasMom {
			if !k.first {
				b = k.mom*a[i] + k.damp1*d
			}
			a[i] = b
		}
		u := k.lr * k.upd(d, b)
		if k.decoupled {
			u += k.lrwd * p[i]
		}
		out[i] = u
	}
	return sumAXPBY(out, out, 1, 0)
}
