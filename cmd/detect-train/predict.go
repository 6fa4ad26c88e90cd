package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"sort"
	"strings"

	"github.com/gcdet/gcdet/eval"
	"github.com/gcdet/gcdet/train"
	"github.com/rs/zerolog"
)

func init() {
	register("predict", "draw a trained model's detections on images and write COCO results JSON", runPredict)
}

var imageExts = map[string]bool{".jpg": true, ".jpeg": true, ".png": true}

// runPredict is
//
//	detect-train predict --weights CKPT --input IMAGE|DIR --out DIR [--score-threshold T] [--config FILE]
//
// It writes <name>_pred.png per image, results.json (COCO results, image
// ids 1..N in the order of images.json) and images.json. Exit 1 on
// errors, 2 on bad flags.
func runPredict(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("predict", flag.ContinueOnError)
	fs.SetOutput(stderr)
	weights := fs.String("weights", "", "gcdet checkpoint (or a state dict with --config)")
	input := fs.String("input", "", "an image file or a folder of .jpg/.png images")
	out := fs.String("out", "", "output folder")
	thresh := fs.Float64("score-threshold", 0.5, "draw detections scoring at least this")
	config := fs.String("config", "", "config to build the model from (default: the one stored in the checkpoint)")
	var sets setFlags
	fs.Var(&sets, "set", "override a config key (repeatable)")
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return 0
		}
		return 2
	}
	if *weights == "" || *input == "" || *out == "" || fs.NArg() > 0 {
		fmt.Fprintln(stderr, "usage: detect-train predict --weights CKPT --input IMAGE|DIR --out DIR [--score-threshold T] [--config FILE] [--set key=value]")
		return 2
	}
	fail := func(err error) int {
		fmt.Fprintln(stderr, "detect-train predict:", err)
		return 1
	}
	files, err := imageFiles(*input)
	if err != nil {
		return fail(err)
	}
	p, err := train.LoadPredictor(*weights, *config, sets...)
	if err != nil {
		return fail(err)
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return fail(err)
	}
	type imageEntry struct {
		ID       int64  `json:"id"`
		FileName string `json:"file_name"`
		Width    int    `json:"width"`
		Height   int    `json:"height"`
	}
	var images []imageEntry
	var results []eval.Detection
	for i, f := range files {
		img, dets, err := p.PredictImage(f)
		if err != nil {
			return fail(err)
		}
		id := int64(i + 1)
		images = append(images, imageEntry{ID: id, FileName: f, Width: img.W, Height: img.H})
		for k := 0; k < dets.Len(); k++ {
			l := int(dets.Labels[k])
			x1, y1, x2, y2 := dets.Boxes.At(k)
			r := eval.Detection{ImageID: id, CategoryID: p.Categories[l-1].ID,
				BBox: []float64{float64(x1), float64(y1), float64(x2 - x1), float64(y2 - y1)}, Score: float64(dets.Scores[k])}
			if k < len(dets.Masks) {
				r.Segmentation = &dets.Masks[k]
			}
			results = append(results, r)
		}
		canvas, n := train.DrawDetections(img.Image(), dets, p.Names(), *thresh)
		base := strings.TrimSuffix(filepath.Base(f), filepath.Ext(f))
		dst := filepath.Join(*out, base+"_pred.png")
		if err := train.SavePNG(dst, canvas); err != nil {
			return fail(err)
		}
		fmt.Fprintf(stdout, "%s: %d detections >= %.2f -> %s\n", f, n, *thresh, dst)
	}
	if err := train.WriteResults(filepath.Join(*out, "results.json"), results, p.Model.HasMasks()); err != nil {
		return fail(err)
	}
	b, _ := json.MarshalIndent(map[string]any{"images": images, "categories": p.Categories}, "", "  ")
	if err := os.WriteFile(filepath.Join(*out, "images.json"), b, 0o644); err != nil {
		return fail(err)
	}
	fmt.Fprintf(stdout, "%d images, %d detections: %s\n", len(files), len(results), filepath.Join(*out, "results.json"))
	return 0
}

// imageFiles lists the input: one file, or a folder's images sorted.
func imageFiles(input string) ([]string, error) {
	st, err := os.Stat(input)
	if err != nil {
		return nil, err
	}
	if !st.IsDir() {
		return []string{input}, nil
	}
	ents, err := os.ReadDir(input)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range ents {
		if !e.IsDir() && imageExts[strings.ToLower(filepath.Ext(e.Name()))] {
			out = append(out, filepath.Join(input, e.Name()))
		}
	}
	sort.Strings(out)
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no .jpg or .png images", input)
	}
	return out, nil
}

// evalModel is `detect-train eval --weights CKPT [--config FILE]`: the
// model's box AP on its config's validation split, with pycocotools'
// summary. A synthetic data set is looked for next to the checkpoint's
// folder (OUT/data for OUT/checkpoints/CKPT), as train writes it.
func evalModel(config, weights string, sets []string, asJSON bool, stdout, stderr io.Writer) int {
	fail := func(err error) int {
		fmt.Fprintln(stderr, "detect-train eval:", err)
		return 1
	}
	p, err := train.LoadPredictor(weights, config, sets...)
	if err != nil {
		return fail(err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	synth := filepath.Join(filepath.Dir(filepath.Dir(weights)), "data")
	log := zerolog.New(zerolog.ConsoleWriter{Out: stderr, NoColor: true}).With().Timestamp().Logger()
	res, err := train.EvaluateModel(ctx, p, synth, log)
	if err != nil {
		return fail(err)
	}
	if asJSON {
		stdout.Write(res.BBox.Stats.JSON())
		fmt.Fprintln(stdout)
		return 0
	}
	fmt.Fprintf(stdout, "Box AP on %d validation images:\n", res.Images)
	res.BBox.WriteSummary(stdout)
	if res.Segm != nil {
		fmt.Fprintln(stdout, "Mask AP:")
		res.Segm.WriteSummary(stdout)
	}
	return 0
}
