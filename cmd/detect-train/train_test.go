package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// tinyConfig is a small run on 8 synthetic 64-px images (seconds).
const tinyConfig = `_base_: synthetic_default.yaml
data:
  synthetic: {enabled: true, seed: 5, train: 8, val: 4, size: 64, max_objects: 2, format: png}
input: {min_size_train: [64], max_size_train: 96, min_size_test: 64, max_size_test: 96}
model:
  backbone: {depth: 18, base_width: 4, norm: GN, gn_groups: 2, freeze_at: 0}
  fpn: {out_channels: 16}
  rpn: {pre_nms_topk_train: 100, pre_nms_topk_test: 50, post_nms_topk_train: 50, post_nms_topk_test: 50}
  roi_heads: {batch_size_per_image: 32, fc_dim: 32}
  mask: {num_convs: 2, conv_dim: 8}
solver:
  ims_per_batch: 2
  max_iter: 4
  lr_schedule: {milestones: [3], warmup: {method: linear, iters: 1, factor: 0.5}}
train: {log_period: 2, eval_period: 2, checkpoint_period: 2, keep_last: 1, vis_images: 2}
`

func writeTiny(t *testing.T, dir string) string {
	t.Helper()
	p := filepath.Join(dir, "tiny.yaml")
	if err := os.WriteFile(p, []byte(tinyConfig), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestTrainPredictEvalEndToEnd runs the CLI on a tiny config: train
// (outputs, checkpoint, printed summary), predict on a folder (drawn PNGs,
// results JSON), eval --weights.
func TestTrainPredictEvalEndToEnd(t *testing.T) {
	dir := t.TempDir()
	cfg := writeTiny(t, dir)
	out := filepath.Join(dir, "run")
	var o, e bytes.Buffer
	if code := run([]string{"train", "--config", cfg, "--out", out, "--seed", "4", "--set", "train.vis_score_thresh=0"}, &o, &e); code != 0 {
		t.Fatalf("train exit %d:\n%s", code, e.String())
	}
	for _, want := range []string{"Average Precision  (AP) @[ IoU=0.50:0.95 | area=   all | maxDets=100 ] =", "box AP", "after 4 iterations"} {
		if !strings.Contains(o.String(), want) {
			t.Errorf("stdout lacks %q:\n%s", want, o.String())
		}
	}
	for _, want := range []string{"model and solver", "evaluation", "checkpoint"} {
		if !strings.Contains(e.String(), want) {
			t.Errorf("log lacks %q", want)
		}
	}
	for _, f := range []string{"checkpoints/model_final.safetensors", "checkpoints/model_0000002.safetensors", "metrics.jsonl",
		"plots/losses.png", "plots/ap.png", "results/bbox_val.json", "config.yaml"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Errorf("missing %s", f)
		}
	}
	ckpt := filepath.Join(out, "checkpoints", "model_final.safetensors")

	// predict on the validation images.
	pred := filepath.Join(dir, "pred")
	o.Reset()
	e.Reset()
	if code := run([]string{"predict", "--weights", ckpt, "--input", filepath.Join(out, "data", "val"), "--out", pred, "--score-threshold", "0"}, &o, &e); code != 0 {
		t.Fatalf("predict exit %d:\n%s", code, e.String())
	}
	pngs, _ := filepath.Glob(filepath.Join(pred, "*_pred.png"))
	if len(pngs) != 4 {
		t.Errorf("drawn images %v", pngs)
	}
	var results []map[string]any
	b, _ := os.ReadFile(filepath.Join(pred, "results.json"))
	if err := json.Unmarshal(b, &results); err != nil {
		t.Fatalf("results.json: %v", err)
	}
	for _, r := range results {
		if r["bbox"] == nil || r["category_id"] == nil || r["image_id"] == nil {
			t.Fatalf("result %v", r)
		}
	}

	// eval --weights with the stored config.
	o.Reset()
	e.Reset()
	if code := run([]string{"eval", "--weights", ckpt, "--json"}, &o, &e); code != 0 {
		t.Fatalf("eval exit %d:\n%s", code, e.String())
	}
	var stats map[string]float64
	if err := json.Unmarshal(o.Bytes(), &stats); err != nil {
		t.Fatalf("eval --json output %q: %v", o.String(), err)
	}

	// Resume of a finished run is a no-op that still evaluates.
	o.Reset()
	if code := run([]string{"train", "--config", cfg, "--out", out, "--seed", "4", "--resume"}, &o, &e); code != 0 {
		t.Fatalf("resume exit %d:\n%s", code, e.String())
	}
}

func TestTrainErrorsAreOneLine(t *testing.T) {
	dir := t.TempDir()
	cfg := writeTiny(t, dir)
	cases := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"train", "--config", filepath.Join(dir, "absent.yaml")}, 1, "no such file"},
		{[]string{"train", "--config", cfg, "--device", "cuda", "--out", dir}, 1, "device cuda"},
		{[]string{"train", "--config", cfg, "--set", "solver.mx_iter=3"}, 1, `unknown key "solver.mx_iter"`},
		{[]string{"train", "--seed", "x"}, 2, "--seed"},
		{[]string{"train", "stray"}, 2, "unexpected arguments"},
		{[]string{"predict", "--weights", filepath.Join(dir, "none.safetensors"), "--input", dir, "--out", dir}, 1, ""},
	}
	for _, c := range cases {
		var o, e bytes.Buffer
		code := run(c.args, &o, &e)
		if code != c.code || !strings.Contains(e.String(), c.want) {
			t.Errorf("%v: exit %d, stderr %q", c.args, code, e.String())
		}
		if c.code == 1 && strings.Count(strings.TrimSpace(e.String()), "\n") > 0 && !strings.Contains(e.String(), "INF") {
			t.Errorf("%v: error is not one line: %q", c.args, e.String())
		}
	}
}

// TestAblateCommand runs two tiny configs for two seeds.
func TestAblateCommand(t *testing.T) {
	dir := t.TempDir()
	cfg := writeTiny(t, dir)
	off := filepath.Join(dir, "off.yaml")
	os.WriteFile(off, []byte("_base_: tiny.yaml\nsolver:\n  optimizer:\n    gc: {scope: \"off\"}\n"), 0o644)
	out := filepath.Join(dir, "abl")
	var o, e bytes.Buffer
	args := []string{"ablate", off, cfg, "--seeds", "2", "--out", out, "--set", "train.eval_period=0", "--set", "train.checkpoint_period=0", "--set", "train.vis_images=0"}
	if code := run(args, &o, &e); code != 0 {
		t.Fatalf("ablate exit %d:\n%s", code, e.String())
	}
	for _, want := range []string{"baseline off", "(baseline)", "tiny", "all/conv+linear"} {
		if !strings.Contains(o.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, o.String())
		}
	}
	for _, f := range []string{"ablation.json", "ablation.csv", "ablation.txt", "ablation_loss.png"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Errorf("missing %s", f)
		}
	}
	// A second invocation reuses the finished runs.
	e.Reset()
	if code := run(args, &o, &e); code != 0 || strings.Count(e.String(), "done before") != 4 {
		t.Fatalf("rerun: exit %d:\n%s", code, e.String())
	}
}
