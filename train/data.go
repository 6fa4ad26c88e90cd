package train

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"

	"github.com/gcdet/gcdet/coco"
	"github.com/gcdet/gcdet/configs"
	"github.com/rs/zerolog"
)

// Data are a run's training and validation sets.
type Data struct {
	Train, Val *coco.Dataset
	// Categories are the training set's categories in label order: label
	// k is Categories[k-1].
	Categories []coco.Category
}

// Categories lists d's categories in label order.
func Categories(d *coco.Dataset) []coco.Category {
	names := d.ClassNames()
	out := make([]coco.Category, d.NumClasses())
	for k := 1; k <= d.NumClasses(); k++ {
		id, _ := d.CategoryID(k)
		out[k-1] = coco.Category{ID: id, Name: names[k]} // names[0] is the background
	}
	return out
}

// synthConfig maps data.synthetic.
func synthConfig(s configs.Synthetic) coco.SynthConfig {
	return coco.SynthConfig{Seed: s.Seed, Train: s.Train, Val: s.Val, Size: s.Size, MaxObjects: s.MaxObjects, Format: s.Format}
}

// ensureSynth generates the synthetic data set under dir unless the same
// configuration was generated there before.
func ensureSynth(dir string, sc coco.SynthConfig, log zerolog.Logger) (*coco.SynthResult, error) {
	stamp := filepath.Join(dir, "synth.json")
	res := &coco.SynthResult{
		Train: coco.SynthSplit{Annotations: filepath.Join(dir, "annotations", "instances_train.json"), Images: filepath.Join(dir, "train")},
		Val:   coco.SynthSplit{Annotations: filepath.Join(dir, "annotations", "instances_val.json"), Images: filepath.Join(dir, "val")},
	}
	if b, err := os.ReadFile(stamp); err == nil {
		var old coco.SynthConfig
		if json.Unmarshal(b, &old) == nil && reflect.DeepEqual(old, sc) {
			if _, err := os.Stat(res.Val.Annotations); err == nil {
				log.Info().Str("dir", dir).Msg("synthetic data set already generated")
				return res, nil
			}
		}
	}
	log.Info().Str("dir", dir).Int("train", sc.Train).Int("val", sc.Val).Int("size", sc.Size).Msg("generating the synthetic shapes data set")
	r, err := coco.GenerateSynth(dir, sc)
	if err != nil {
		return nil, fmt.Errorf("data.synthetic: %v", err)
	}
	b, _ := json.Marshal(sc)
	if err := os.WriteFile(stamp, b, 0o644); err != nil {
		return nil, err
	}
	return r, nil
}

// PrepareData generates (data.synthetic, into synthDir) or opens the data
// sets of cfg, and logs the training set's validation report.
func PrepareData(cfg *configs.Config, synthDir string, log zerolog.Logger) (*Data, error) {
	trainAnn, trainImg := cfg.DataPath(cfg.Data.Train.Annotations), cfg.DataPath(cfg.Data.Train.Images)
	valAnn, valImg := cfg.DataPath(cfg.Data.Val.Annotations), cfg.DataPath(cfg.Data.Val.Images)
	if cfg.Data.Synthetic.Enabled {
		r, err := ensureSynth(synthDir, synthConfig(cfg.Data.Synthetic), log)
		if err != nil {
			return nil, err
		}
		trainAnn, trainImg, valAnn, valImg = r.Train.Annotations, r.Train.Images, r.Val.Annotations, r.Val.Images
	}
	for _, p := range []struct{ key, path string }{
		{"data.train.annotations", trainAnn}, {"data.train.images", trainImg},
		{"data.val.annotations", valAnn}, {"data.val.images", valImg},
	} {
		if _, err := os.Stat(p.path); err != nil {
			return nil, fmt.Errorf("%s: %s: %v", p.key, p.path, unwrapPath(err))
		}
	}
	tr, err := coco.LoadFile(trainAnn, trainImg)
	if err != nil {
		return nil, fmt.Errorf("data.train: %v", err)
	}
	va, err := coco.LoadFile(valAnn, valImg)
	if err != nil {
		return nil, fmt.Errorf("data.val: %v", err)
	}
	if tr.NumClasses() == 0 {
		return nil, fmt.Errorf("data.train: %s has no categories", trainAnn)
	}
	for _, x := range []struct {
		name string
		d    *coco.Dataset
	}{{"train", tr}, {"val", va}} {
		rep := x.d.Validate(coco.ValidateOptions{})
		s := rep.Summary
		ev := log.Info()
		if rep.Errors > 0 {
			ev = log.Warn()
		}
		ev.Str("split", x.name).Str("file", rep.File).Int("images", s.Images).Int("annotations", s.Annotations).
			Int("categories", s.Categories).Int("errors", rep.Errors).Int("warnings", rep.Warnings).Msg("data set")
		coco.SortProblems(rep.Problems)
		for i, p := range rep.Problems {
			if i == 5 {
				log.Warn().Msgf("... %d more problems (detect-train data --ann %s lists them)", len(rep.Problems)-5, rep.File)
				break
			}
			log.Warn().Str("split", x.name).Msg(p.String())
		}
	}
	return &Data{Train: tr, Val: va, Categories: Categories(tr)}, nil
}

func unwrapPath(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}
