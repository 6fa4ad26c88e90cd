package train

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/gcdet/gcdet/configs"
)

// tinyYAML is a small, fast run on 8 synthetic images of at most 64 px: a
// ResNet-18 at base width 4 with GN, FPN 16, few proposals.
const tinyYAML = `_base_: synthetic_default.yaml
seed: 3
data:
  synthetic: {enabled: true, seed: 5, train: 8, val: 4, size: 64, max_objects: 2, format: png}
  workers: 2
input: {min_size_train: [64], max_size_train: 96, min_size_test: 64, max_size_test: 96}
model:
  backbone: {depth: 18, base_width: 4, norm: GN, gn_groups: 2, freeze_at: 0}
  fpn: {out_channels: 16}
  rpn: {pre_nms_topk_train: 100, pre_nms_topk_test: 50, post_nms_topk_train: 50, post_nms_topk_test: 50}
  roi_heads: {batch_size_per_image: 32, fc_dim: 32}
  mask: {num_convs: 2, conv_dim: 8}
solver:
  ims_per_batch: 2
  max_iter: 6
  lr_schedule: {milestones: [4], warmup: {method: linear, iters: 2, factor: 0.5}}
train: {log_period: 1, eval_period: 0, checkpoint_period: 0, keep_last: 2, vis_images: 1}
`

// tinyConfig writes tinyYAML into dir and loads it with overrides.
func tinyConfig(t testing.TB, dir string, overrides ...string) configs.Config {
	t.Helper()
	p := filepath.Join(dir, "tiny.yaml")
	if err := os.WriteFile(p, []byte(tinyYAML), 0o644); err != nil {
		t.Fatal(err)
	}
	c, _, err := configs.Load(p, overrides...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}
