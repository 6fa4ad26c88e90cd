package optim

import (
	"fmt"
	"math"

	"github.com/gcdet/gcdet/nn"
)

// clipCoef is torch.nn.utils.clip_grad_norm_'s factor: maxNorm/(norm+1e-6)
// when that is below 1, else 1. Computed in float32 like torch.
func clipCoef(norm, maxNorm float64) float64 {
	c := float32(maxNorm) / (float32(norm) + 1e-6)
	if c < 1 {
		return float64(c)
	}
	return 1
}

// GradNorm is the global L2 norm of the gradients of params (trainable
// ones with a gradient), accumulated in float64.
func GradNorm(params []*nn.Param) float64 {
	var s float64
	for _, p := range params {
		if !p.Trainable || p.Value.Grad == nil {
			continue
		}
		for _, v := range p.Value.Grad.Data() {
			s += float64(v) * float64(v)
		}
	}
	return math.Sqrt(s)
}

// ClipGradNorm scales the gradients of params in place so that their
// global L2 norm is at most maxNorm, like torch.nn.utils.clip_grad_norm_,
// and returns the norm before clipping. Optimizer.Step does the same
// without touching the gradients when Config.ClipNorm is set; this form is
// for callers that want the clipped gradients themselves. The gradients
// must live on the CPU backend (they are scaled in host memory). A
// non-finite norm is returned with an error and nothing is scaled.
func ClipGradNorm(params []*nn.Param, maxNorm float64) (float64, error) {
	for _, p := range params {
		if p.Trainable && p.Value.Grad != nil && p.Value.Grad.Backend().Name() != "cpu" {
			return 0, fmt.Errorf("optim: ClipGradNorm: gradient of %s lives on backend %s, not cpu", p.Name, p.Value.Grad.Backend().Name())
		}
	}
	norm := GradNorm(params)
	if math.IsNaN(norm) || math.IsInf(norm, 0) {
		return norm, fmt.Errorf("optim: ClipGradNorm: gradient norm is %v", norm)
	}
	c := float32(clipCoef(norm, maxNorm))
	if c == 1 {
		return norm, nil
	}
	for _, p := range params {
		if !p.Trainable || p.Value.Grad == nil {
			continue
		}
		g := p.Value.Grad.Data()
		for i := range g {
			g[i] *= c
		}
	}
	return norm, nil
}
