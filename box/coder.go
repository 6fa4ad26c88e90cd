package box

import (
	"fmt"
	"math"
)

// DefaultScaleClamp is the largest dw, dh that Decode exponentiates,
// log(1000/16) as in torchvision's BoxCoder and detectron2's
// Box2BoxTransform: it keeps exp() finite for wild predictions early in
// training.
var DefaultScaleClamp = math.Log(1000.0 / 16)

// Coder converts between boxes and the deltas (dx, dy, dw, dh) that the
// regression heads predict relative to reference boxes (anchors or
// proposals), scaled by per-coordinate weights: (1, 1, 1, 1) for the RPN,
// (10, 10, 5, 5) for the RoI box head.
//
//	dx = wx * (gx - px) / pw     dw = ww * log(gw / pw)
//	dy = wy * (gy - py) / ph     dh = wh * log(gh / ph)
//
// with (px, py, pw, ph) the reference box's center and size and g the
// target's. It matches torchvision's BoxCoder (and detectron2's
// Box2BoxTransform, which computes the same thing).
type Coder struct {
	Weights    [4]float32 // wx, wy, ww, wh
	ScaleClamp float32    // upper bound of dw/ww and dh/wh in Decode
}

// NewCoder returns a Coder with the given weights and DefaultScaleClamp.
func NewCoder(wx, wy, ww, wh float64) Coder {
	return Coder{
		Weights:    [4]float32{float32(wx), float32(wy), float32(ww), float32(wh)},
		ScaleClamp: float32(DefaultScaleClamp),
	}
}

// Encode returns the [N*4] deltas that map each reference box to its
// target: targets[i] is encoded relative to references[i]. Both must hold
// the same number of boxes (torchvision's encode_single(targets, references)).
func (c Coder) Encode(targets, references Boxes) []float32 {
	n := references.Len()
	if targets.Len() != n {
		panic(fmt.Sprintf("box.Coder.Encode: %d targets for %d reference boxes", targets.Len(), n))
	}
	wx, wy, ww, wh := c.Weights[0], c.Weights[1], c.Weights[2], c.Weights[3]
	out := make([]float32, 4*n)
	for i := range n {
		px1, py1, px2, py2 := references.At(i)
		pw, ph := px2-px1, py2-py1
		pcx, pcy := px1+float32(0.5*pw), py1+float32(0.5*ph)
		gx1, gy1, gx2, gy2 := targets.At(i)
		gw, gh := gx2-gx1, gy2-gy1
		gcx, gcy := gx1+float32(0.5*gw), gy1+float32(0.5*gh)
		out[4*i] = float32(wx*(gcx-pcx)) / pw
		out[4*i+1] = float32(wy*(gcy-pcy)) / ph
		out[4*i+2] = float32(ww * log32(gw/pw))
		out[4*i+3] = float32(wh * log32(gh/ph))
	}
	return out
}

// Decode applies deltas to reference boxes. deltas is [N, K*4] row-major
// (K = 1 for class-agnostic regression, K = number of classes for per-class
// regression, as the RoI box predictor outputs), references holds N boxes;
// the result is [N, K*4]: box k of row i is deltas[i, 4k:4k+4] applied to
// references[i]. dw and dh are clamped at ScaleClamp before exp.
func (c Coder) Decode(deltas []float32, references Boxes) []float32 {
	n := references.Len()
	if n == 0 {
		if len(deltas) != 0 {
			panic(fmt.Sprintf("box.Coder.Decode: %d delta values for 0 reference boxes", len(deltas)))
		}
		return []float32{}
	}
	if len(deltas)%(4*n) != 0 {
		panic(fmt.Sprintf("box.Coder.Decode: %d delta values is not N*K*4 for N=%d reference boxes", len(deltas), n))
	}
	k := len(deltas) / (4 * n)
	wx, wy, ww, wh := c.Weights[0], c.Weights[1], c.Weights[2], c.Weights[3]
	out := make([]float32, len(deltas))
	for i := range n {
		px1, py1, px2, py2 := references.At(i)
		pw, ph := px2-px1, py2-py1
		pcx, pcy := px1+float32(0.5*pw), py1+float32(0.5*ph)
		for j := range k {
			o := 4 * (i*k + j)
			dx := deltas[o] / wx
			dy := deltas[o+1] / wy
			dw := min(deltas[o+2]/ww, c.ScaleClamp)
			dh := min(deltas[o+3]/wh, c.ScaleClamp)
			cx := float32(dx*pw) + pcx
			cy := float32(dy*ph) + pcy
			w := float32(exp32(dw) * pw)
			h := float32(exp32(dh) * ph)
			hw, hh := float32(0.5*w), float32(0.5*h)
			out[o] = cx - hw
			out[o+1] = cy - hh
			out[o+2] = cx + hw
			out[o+3] = cy + hh
		}
	}
	return out
}

func log32(x float32) float32 { return float32(math.Log(float64(x))) }
func exp32(x float32) float32 { return float32(math.Exp(float64(x))) }
