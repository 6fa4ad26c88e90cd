package train

import (
	"fmt"
	"strings"

	"github.com/gcdet/gcdet/configs"
	"github.com/gcdet/gcdet/detector"
	"github.com/rs/zerolog"
)

// BodyPrefix is where a ResNet's keys live inside the detector.
const BodyPrefix = "backbone.body."

// InitWeights loads the pretrained weights the model section names:
// model.backbone.weights (an ImageNet ResNet, torchvision .pth or
// safetensors, torchvision's keys; its classifier "fc.*" is dropped) into
// the backbone body, then model.weights (a gcdet checkpoint or a state
// dict of the whole detector) over everything. Layers whose shape depends
// on the number of classes keep their fresh initialization, with a log
// line, when the file was trained for another number of classes.
func InitWeights(m *detector.GeneralizedRCNN, mc configs.Model, log zerolog.Logger) error {
	if p := mc.Backbone.Weights; p != "" {
		rep, err := LoadBackboneWeights(m, p)
		if err != nil {
			return fmt.Errorf("model.backbone.weights: %v", err)
		}
		log.Info().Str("file", p).Int("tensors", rep.Loaded).Strs("skipped", rep.Skipped).Msg("backbone weights loaded")
	}
	if p := mc.Weights; p != "" {
		rep, err := LoadDetectorWeights(m, p)
		if err != nil {
			return fmt.Errorf("model.weights: %v", err)
		}
		for _, k := range rep.Kept {
			log.Warn().Str("key", k).Int("classes", m.NumClasses()).Msg("re-initialized: the checkpoint was trained for another number of classes")
		}
		log.Info().Str("file", p).Int("tensors", rep.Loaded).Msg("detector weights loaded")
	}
	return nil
}

// LoadBackboneWeights loads an ImageNet ResNet state dict (torchvision's
// keys: conv1.weight, layer1.0.bn1.running_mean, ...) into the detector's
// body. Every body key must be in the file; the classifier is skipped.
func LoadBackboneWeights(m *detector.GeneralizedRCNN, path string) (AssignReport, error) {
	w, err := ReadWeights(path)
	if err != nil {
		return AssignReport{}, err
	}
	rep, err := Assign(m, w, AssignOptions{
		Prefix:       BodyPrefix,
		Skip:         func(k string) bool { return strings.HasPrefix(k, BodyPrefix+"fc.") },
		AllowMissing: true,
	})
	if err != nil {
		return rep, err
	}
	var missing []string
	for _, k := range rep.Missing {
		if strings.HasPrefix(k, BodyPrefix) {
			missing = append(missing, k)
		}
	}
	if len(missing) > 0 {
		return rep, fmt.Errorf("weights %s: the backbone keys %s are missing (another depth, norm or width?)", path, list(missing))
	}
	return rep, nil
}

// LoadDetectorWeights loads a whole detector: a gcdet checkpoint
// (optimizer tensors ignored) or a state dict with torchvision's keys.
// Class-specific layers of another shape keep their values (listed in
// AssignReport.Kept); any other difference is an error.
func LoadDetectorWeights(m *detector.GeneralizedRCNN, path string) (AssignReport, error) {
	w, err := ReadWeights(path)
	if err != nil {
		return AssignReport{}, err
	}
	return Assign(m, w, AssignOptions{
		Skip:   func(k string) bool { return strings.HasPrefix(k, OptimizerPrefix) },
		Reinit: classSpecific,
	})
}
