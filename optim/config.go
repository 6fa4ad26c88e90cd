package optim

import (
	"fmt"
	"math"
	"strings"

	"github.com/gcdet/gcdet/nn"
)

// Algorithm names accepted in Config.Algorithm.
const (
	AlgoSGD   = "sgd"   // SGD with momentum; weight decay is coupled L2 (added to the gradient)
	AlgoSGDW  = "sgdw"  // SGD with decoupled decay: p -= lr*wd*p_old after the step
	AlgoAdam  = "adam"  // Adam; weight decay is coupled L2
	AlgoAdamW = "adamw" // AdamW as torch.optim.AdamW: p *= 1 - lr*wd, then the Adam step
)

// GC scopes accepted in GCConfig.Scope.
const (
	ScopeAll      = "all"      // every eligible parameter of the model (the default)
	ScopeBackbone = "backbone" // parameters whose name starts with BackbonePrefix
	ScopePrefixes = "prefixes" // parameters whose name starts with one of GCConfig.Prefixes
	ScopeOff      = "off"      // no GC at all
)

// BackbonePrefix is the name prefix of the backbone's body (torchvision's
// state_dict naming); ScopeBackbone centralizes only parameters under it.
const BackbonePrefix = "backbone.body."

// GC kinds accepted in GCConfig.Kinds.
const (
	KindsConvLinear = "conv+linear" // the authors' _GC: conv, conv-transpose and linear weights (default)
	KindsConv       = "conv"        // the authors' _GCC: conv and conv-transpose weights only
)

// GC placements accepted in GCConfig.Placement.
const (
	// PlacementGradient centralizes the gradient (after coupled L2 decay,
	// before momentum or the moment updates): the authors' SGD_GC, Adam_GC.
	PlacementGradient = "gradient"
	// PlacementUpdate centralizes the final parameter update, decoupled
	// decay included: the authors' Adam_GC2 / AdamW_GC2 ("GC2").
	PlacementUpdate = "update"
)

// Conv-transpose conventions accepted in GCConfig.ConvTranspose.
const (
	ConvTOutput = "output" // per output channel, the paper's definition (default)
	ConvTInput  = "input"  // per storage axis 0 (input channel), as the authors' code does
)

// GCConfig chooses where Gradient Centralization applies. The zero value
// means GC on the gradient of every conv and linear weight of the model.
type GCConfig struct {
	// Scope is "all" (also when empty), "backbone", "prefixes" or "off".
	Scope string `yaml:"scope" json:"scope"`
	// Prefixes are the parameter-name prefixes for Scope "prefixes".
	Prefixes []string `yaml:"prefixes,omitempty" json:"prefixes,omitempty"`
	// Kinds is "conv+linear" (also when empty) or "conv".
	Kinds string `yaml:"kinds" json:"kinds"`
	// Placement is "gradient" (also when empty) or "update".
	Placement string `yaml:"placement" json:"placement"`
	// ConvTranspose is "output" (also when empty) or "input".
	ConvTranspose string `yaml:"conv_transpose" json:"conv_transpose"`
	// ConvTransposeGroups overrides, by parameter name, the groups of a
	// conv-transpose weight, which otherwise come from nn.Param.Groups
	// (needed only for parameters built without it).
	ConvTransposeGroups map[string]int `yaml:"conv_transpose_groups,omitempty" json:"conv_transpose_groups,omitempty"`
}

// GroupRule puts the parameters it matches in a group with its own learning
// rate and weight decay. A parameter matches when its kind is one of Kinds
// (any kind when empty) and its name starts with one of Prefixes (any name
// when empty). Rules are tried in order; the first match wins; parameters
// matching none form the group "default" with Config.LR and
// Config.WeightDecay.
type GroupRule struct {
	Name string `yaml:"name" json:"name"`
	// Kinds are nn.Kind names: "conv", "conv-transpose", "linear", "norm",
	// "bias", "other".
	Kinds    []string `yaml:"kinds,omitempty" json:"kinds,omitempty"`
	Prefixes []string `yaml:"prefixes,omitempty" json:"prefixes,omitempty"`
	// LRFactor multiplies Config.LR (1 when nil).
	LRFactor *float64 `yaml:"lr_factor,omitempty" json:"lr_factor,omitempty"`
	// WeightDecay replaces Config.WeightDecay when not nil.
	WeightDecay *float64 `yaml:"weight_decay,omitempty" json:"weight_decay,omitempty"`
}

// NoDecayNormBias is the common rule "no weight decay on norm parameters
// and biases".
func NoDecayNormBias() GroupRule {
	zero := 0.0
	return GroupRule{Name: "no_decay", Kinds: []string{"norm", "bias"}, WeightDecay: &zero}
}

// Config is the declarative optimizer configuration, filled by the trainer
// from YAML (field tags give the keys).
type Config struct {
	Algorithm   string  `yaml:"algorithm" json:"algorithm"`
	LR          float64 `yaml:"lr" json:"lr"`
	WeightDecay float64 `yaml:"weight_decay" json:"weight_decay"`
	// SGD and SGDW.
	Momentum  float64 `yaml:"momentum" json:"momentum"`
	Dampening float64 `yaml:"dampening" json:"dampening"`
	Nesterov  bool    `yaml:"nesterov" json:"nesterov"`
	// Adam and AdamW.
	Beta1 float64 `yaml:"beta1" json:"beta1"`
	Beta2 float64 `yaml:"beta2" json:"beta2"`
	Eps   float64 `yaml:"eps" json:"eps"`
	// ClipNorm > 0 clips gradients to this global L2 norm before GC.
	ClipNorm float64     `yaml:"clip_grad_norm" json:"clip_grad_norm"`
	GC       GCConfig    `yaml:"gc" json:"gc"`
	Groups   []GroupRule `yaml:"groups,omitempty" json:"groups,omitempty"`
}

// DefaultConfig is the setup behind the published GC detection results:
// SGD_GC on every conv and linear weight, lr 0.02 (16 images per batch),
// momentum 0.9, weight decay 1e-4 on everything, gradient clipping at
// global norm 35. Adam fields hold torch's defaults.
func DefaultConfig() Config {
	return Config{
		Algorithm:   AlgoSGD,
		LR:          0.02,
		WeightDecay: 1e-4,
		Momentum:    0.9,
		Beta1:       0.9,
		Beta2:       0.999,
		Eps:         1e-8,
		ClipNorm:    35,
		GC:          GCConfig{Scope: ScopeAll, Kinds: KindsConvLinear, Placement: PlacementGradient, ConvTranspose: ConvTOutput},
	}
}

func isAdam(algo string) bool    { return algo == AlgoAdam || algo == AlgoAdamW }
func decoupled(algo string) bool { return algo == AlgoSGDW || algo == AlgoAdamW }

func finiteNonNeg(x float64) bool { return x >= 0 && !math.IsInf(x, 0) && !math.IsNaN(x) }

// Validate reports the first problem with the configuration.
func (c *Config) Validate() error {
	switch c.Algorithm {
	case AlgoSGD, AlgoSGDW, AlgoAdam, AlgoAdamW:
	default:
		return fmt.Errorf("optim: unknown algorithm %q (want sgd, sgdw, adam or adamw)", c.Algorithm)
	}
	if !finiteNonNeg(c.LR) {
		return fmt.Errorf("optim: lr %v must be finite and >= 0", c.LR)
	}
	if !finiteNonNeg(c.WeightDecay) {
		return fmt.Errorf("optim: weight_decay %v must be finite and >= 0", c.WeightDecay)
	}
	if !finiteNonNeg(c.ClipNorm) {
		return fmt.Errorf("optim: clip_grad_norm %v must be finite and >= 0 (0 = off)", c.ClipNorm)
	}
	if isAdam(c.Algorithm) {
		if !(c.Beta1 >= 0 && c.Beta1 < 1) || !(c.Beta2 >= 0 && c.Beta2 < 1) {
			return fmt.Errorf("optim: betas (%v, %v) must lie in [0, 1)", c.Beta1, c.Beta2)
		}
		if !finiteNonNeg(c.Eps) {
			return fmt.Errorf("optim: eps %v must be finite and >= 0", c.Eps)
		}
	} else {
		if !finiteNonNeg(c.Momentum) {
			return fmt.Errorf("optim: momentum %v must be finite and >= 0", c.Momentum)
		}
		if !(c.Dampening >= 0 && c.Dampening <= 1) {
			return fmt.Errorf("optim: dampening %v must lie in [0, 1]", c.Dampening)
		}
		if c.Nesterov && (c.Momentum <= 0 || c.Dampening != 0) {
			return fmt.Errorf("optim: nesterov needs momentum > 0 and dampening 0 (have %v, %v)", c.Momentum, c.Dampening)
		}
	}
	switch c.GC.Scope {
	case "", ScopeAll, ScopeBackbone, ScopeOff:
		if len(c.GC.Prefixes) > 0 {
			return fmt.Errorf("optim: gc.prefixes given with scope %q (use scope %q)", c.GC.Scope, ScopePrefixes)
		}
	case ScopePrefixes:
		if len(c.GC.Prefixes) == 0 {
			return fmt.Errorf("optim: gc scope %q needs gc.prefixes", ScopePrefixes)
		}
	default:
		return fmt.Errorf("optim: unknown gc.scope %q (want all, backbone, prefixes or off)", c.GC.Scope)
	}
	switch c.GC.Kinds {
	case "", KindsConvLinear, KindsConv:
	default:
		return fmt.Errorf("optim: unknown gc.kinds %q (want conv+linear or conv)", c.GC.Kinds)
	}
	switch c.GC.Placement {
	case "", PlacementGradient, PlacementUpdate:
	default:
		return fmt.Errorf("optim: unknown gc.placement %q (want gradient or update)", c.GC.Placement)
	}
	switch c.GC.ConvTranspose {
	case "", ConvTOutput, ConvTInput:
	default:
		return fmt.Errorf("optim: unknown gc.conv_transpose %q (want output or input)", c.GC.ConvTranspose)
	}
	for name, g := range c.GC.ConvTransposeGroups {
		if g < 1 {
			return fmt.Errorf("optim: gc.conv_transpose_groups[%q] = %d must be >= 1", name, g)
		}
	}
	seen := map[string]bool{"default": true}
	for i, r := range c.Groups {
		if r.Name == "" {
			return fmt.Errorf("optim: groups[%d] has no name", i)
		}
		if seen[r.Name] {
			return fmt.Errorf("optim: groups[%d]: duplicate group name %q (\"default\" is reserved)", i, r.Name)
		}
		seen[r.Name] = true
		for _, k := range r.Kinds {
			if _, err := parseKind(k); err != nil {
				return fmt.Errorf("optim: group %q: %v", r.Name, err)
			}
		}
		if r.LRFactor != nil && !finiteNonNeg(*r.LRFactor) {
			return fmt.Errorf("optim: group %q: lr_factor %v must be finite and >= 0", r.Name, *r.LRFactor)
		}
		if r.WeightDecay != nil && !finiteNonNeg(*r.WeightDecay) {
			return fmt.Errorf("optim: group %q: weight_decay %v must be finite and >= 0", r.Name, *r.WeightDecay)
		}
	}
	return nil
}

func parseKind(s string) (nn.Kind, error) {
	for _, k := range []nn.Kind{nn.KindOther, nn.KindConv, nn.KindConvTranspose, nn.KindLinear, nn.KindNorm, nn.KindBias} {
		if strings.EqualFold(s, k.String()) {
			return k, nil
		}
	}
	return 0, fmt.Errorf("unknown parameter kind %q (want conv, conv-transpose, linear, norm, bias or other)", s)
}
