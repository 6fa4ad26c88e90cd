package detector

import (
	"github.com/gcdet/gcdet/heads/roi"
	"github.com/gcdet/gcdet/heads/rpn"
	"github.com/gcdet/gcdet/tensor"
)

// Losses are a Faster R-CNN's training losses, each a scalar tensor on the
// autograd tape.
type Losses struct {
	RPN rpn.Losses
	RoI roi.Losses
}

// Term is one named loss.
type Term struct {
	Name  string
	Value *tensor.Tensor
}

// Terms lists the losses under torchvision's names, in a fixed order:
// loss_classifier, loss_box_reg, (loss_mask for Mask R-CNN,)
// loss_objectness, loss_rpn_box_reg.
func (l Losses) Terms() []Term {
	terms := []Term{
		{"loss_classifier", l.RoI.Classifier},
		{"loss_box_reg", l.RoI.BoxReg},
		{"loss_objectness", l.RPN.Objectness},
		{"loss_rpn_box_reg", l.RPN.BoxReg},
	}
	if l.RoI.Mask != nil { // Mask R-CNN: torchvision's order
		terms = append(terms[:2], append([]Term{{"loss_mask", l.RoI.Mask}}, terms[2:]...)...)
	}
	return terms
}

// Total is the sum of the terms, the value to call Backward on.
func (l Losses) Total() *tensor.Tensor {
	var total *tensor.Tensor
	for _, t := range l.Terms() {
		if total == nil {
			total = t.Value
		} else {
			total = tensor.Add(total, t.Value)
		}
	}
	return total
}

// Values returns the terms' values by name (for logging).
func (l Losses) Values() map[string]float32 {
	out := map[string]float32{}
	for _, t := range l.Terms() {
		out[t.Name] = t.Value.Item()
	}
	return out
}
