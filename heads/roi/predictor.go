package roi

// Shapes: R RoIs, F representation size, K foreground classes (K+1 with
// background, class 0).
//
//	x [R, F] -> cls_score [R, K+1]
//	         -> bbox_pred [R, (K+1)*4]   (deltas of class k in columns 4k..4k+3)

import (
	"math/rand/v2"

	"github.com/gcdet/gcdet/nn"
	"github.com/gcdet/gcdet/tensor"
)

// Predictor is the box predictor (torchvision's FastRCNNPredictor,
// detectron2's FastRCNNOutputLayers): class logits and class-specific box
// deltas. Parameters "cls_score.weight", "bbox_pred.weight" and biases;
// bbox_pred has a (never used) background block, as torchvision's.
type Predictor struct {
	nn.Container
	ClsScore, BBoxPred *nn.Linear
}

// NewPredictor builds the predictor for numClasses foreground classes,
// drawing cls_score then bbox_pred from rng as init says.
func NewPredictor(rng *rand.Rand, inFeatures, numClasses int, init Init) *Predictor {
	p := &Predictor{}
	cls := nn.NewLinear(rng, inFeatures, numClasses+1, true)
	if init == Detectron2Init {
		nn.Normal(rng, cls.Weight.Value, 0, 0.01)
		nn.Constant(cls.Bias.Value, 0)
	}
	p.ClsScore = nn.Register(&p.Container, "cls_score", cls)
	reg := nn.NewLinear(rng, inFeatures, 4*(numClasses+1), true)
	if init == Detectron2Init {
		nn.Normal(rng, reg.Weight.Value, 0, 0.001)
		nn.Constant(reg.Bias.Value, 0)
	}
	p.BBoxPred = nn.Register(&p.Container, "bbox_pred", reg)
	return p
}

// NumClasses is K (foreground classes).
func (p *Predictor) NumClasses() int { return p.ClsScore.Weight.Value.Dim(0) - 1 }

// Forward returns the class logits [R, K+1] and box deltas [R, 4(K+1)].
func (p *Predictor) Forward(x *tensor.Tensor) (logits, deltas *tensor.Tensor) {
	return p.ClsScore.Forward(x), p.BBoxPred.Forward(x)
}
