package optim

import "math"

// adamKernel is torch.optim.Adam's update (coupled L2 weight decay wd) and,
// when decoupled, torch.optim.AdamW's (p *= 1 - lr*wd before the step). With
// t the parameter's step count, bc1 = 1 - beta1^t, bc2 = 1 - beta2^t:
//
//	d     = clip*g + wd*p          (wd is 0 for AdamW)
//	m     = beta1*m + (1-beta1)*d
//	v     = beta2*v + (1-beta2)*d*d
//	denom = sqrt(v)/sqrt(bc2) + eps
//	p     = p*(1 - lr*wd_decoupled) - (lr/bc1)*m/denom
//
// (Adam runs the same loop with decay 1, AdamW with wd 0: x*1 and x + 0*p
// are exact for finite values.)
//
// The authors' AdamW_GC2 scales its decay by lr/bc1 instead of lr; gcdet
// follows torch's AdamW.
type adamKernel[F Float] struct {
	clip, wd        F // wd: coupled L2 coefficient (0 for AdamW)
	b1, b2          F
	omb1, omb2      F // 1 - beta
	bc2sqrt, eps    F
	negStep         F // -lr/bc1
	stepSize, decay F // lr/bc1; 1 - lr*wd (AdamW)
	lrwd            F // lr*wd (AdamW)
	decoupled       bool
}

func sqrtF[F Float](x F) F { return F(math.Sqrt(float64(x))) }

func (k *adamKernel[F]) sumGrad(s seg[F]) float64 { return gcRowSum(s.g, s.p, k.clip, k.wd) }

func (k *adamKernel[F]) applyGrad(s seg[F], mu F) { adamUpdate(s.p, s.g, s.a, s.b, k, mu) }

func (k *adamKernel[F]) sumUpdate(s seg[F], out []F) float64 {
	adamUpdateOut(s.p, s.g, s.a, s.b, out, k)
	return sumAXPBY(out, out, 1, 0)
}
