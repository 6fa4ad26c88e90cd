package configs

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func write(t *testing.T, dir, name, text string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestEveryPresetLoads(t *testing.T) {
	names := PresetNames()
	if len(names) < 9 {
		t.Fatalf("presets: %v", names)
	}
	for _, n := range names {
		c, info, err := Load(n)
		if err != nil {
			t.Errorf("%s: %v", n, err)
			continue
		}
		if !strings.HasSuffix(info.Files[len(info.Files)-1], n) {
			t.Errorf("%s: files %v", n, info.Files)
		}
		// Round trip through the rendered YAML.
		y, err := c.YAML()
		if err != nil {
			t.Fatal(err)
		}
		back, err := Parse(y, n+" (rendered)")
		if err != nil {
			t.Fatalf("%s: parse rendered: %v\n%s", n, err, y)
		}
		y2, _ := back.YAML()
		if string(y) != string(y2) {
			t.Errorf("%s: rendered YAML does not read back the same config:\n%s\n%s", n, y, y2)
		}
	}
}

func TestPresetValues(t *testing.T) {
	c, info, err := Load("gc_paper_R50_FPN_1x.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if got := info.Files; len(got) != 2 || !strings.HasSuffix(got[0], "faster_rcnn_R50_FPN_1x.yaml") {
		t.Errorf("chain %v", got)
	}
	o := c.Solver.Optimizer
	if o.Algorithm != "sgd" || o.LR != 0.02 || o.Momentum != 0.9 || o.WeightDecay != 1e-4 || o.ClipNorm != 35 || o.GC.Scope != "all" {
		t.Errorf("paper optimizer %+v", o)
	}
	s := c.Solver
	if s.Epochs != 12 || !reflect.DeepEqual(s.StepEpochs, []int{8, 11}) || s.LRSchedule.Warmup.Iters != 500 || s.ReferenceBatch != 16 {
		t.Errorf("paper schedule %+v", s)
	}
	if !reflect.DeepEqual(c.Input.MinSizeTrain, []int{800}) || c.Input.MaxSizeTrain != 1333 || c.Input.FlipProb != 0.5 {
		t.Errorf("paper input %+v", c.Input)
	}
	// Inherited unchanged from the base.
	if c.Data.Train.Images != "train2017" || c.Model.Backbone.Depth != 50 {
		t.Errorf("base values lost: %+v", c.Data)
	}
	m, _, err := Load("mask_rcnn_R50_FPN_1x.yaml")
	if err != nil || m.Model.Arch != "mask_rcnn" || m.Solver.MaxIter != 90000 {
		t.Fatalf("mask preset: %v %+v", err, m.Model)
	}
	tv, _, err := Load("torchvision_R50_FPN.yaml")
	if err != nil || tv.Model.Preset != "torchvision" || tv.Solver.Optimizer.GC.Scope != "off" {
		t.Fatalf("torchvision preset: %v %+v", err, tv.Model)
	}
}

// The ablation configs differ only in solver.optimizer.gc.
func TestAblationConfigsDifferOnlyInGC(t *testing.T) {
	var ref *Config
	scopes := map[string][2]string{"gc_off": {"off", "conv+linear"}, "gc_backbone": {"backbone", "conv+linear"},
		"gc_all": {"all", "conv+linear"}, "gc_conv_only": {"all", "conv"}}
	for name, want := range scopes {
		c, _, err := Load("ablation/" + name + ".yaml")
		if err != nil {
			t.Fatal(err)
		}
		if c.Solver.Optimizer.GC.Scope != want[0] || c.Solver.Optimizer.GC.Kinds != want[1] {
			t.Errorf("%s: gc %+v", name, c.Solver.Optimizer.GC)
		}
		c.Solver.Optimizer.GC.Scope, c.Solver.Optimizer.GC.Kinds = "", ""
		if ref == nil {
			ref = &c
		} else if !reflect.DeepEqual(*ref, c) {
			t.Errorf("%s differs from the others outside gc", name)
		}
	}
}

func TestInheritanceAndOverrides(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "a.yaml", "seed: 1\nsolver:\n  max_iter: 100\n  ims_per_batch: 2\ninput:\n  min_size_train: [100, 200]\n")
	write(t, dir, "b.yaml", "seed: 2\ndata:\n  workers: 3\n")
	p := write(t, dir, "sub/c.yaml", "_base_: [../a.yaml, ../b.yaml]\nsolver:\n  max_iter: 50\ninput:\n  min_size_train: [300]\ndata:\n  synthetic:\n    enabled: true\n")
	c, info, err := Load(p, "solver.optimizer.lr=0.5", "model.backbone.norm=GN", "input.min_size_train=[1, 2, 3]", "model.rpn.nms_thresh=0.6", "model.backbone.weights=123")
	if err != nil {
		t.Fatal(err)
	}
	if len(info.Files) != 3 || len(info.Overrides) != 5 {
		t.Errorf("info %+v", info)
	}
	if c.Seed != 2 || c.Data.Workers != 3 || c.Solver.MaxIter != 50 || c.Solver.ImsPerBatch != 2 {
		t.Errorf("merge: seed %d workers %d max_iter %d ims %d", c.Seed, c.Data.Workers, c.Solver.MaxIter, c.Solver.ImsPerBatch)
	}
	if c.Solver.Optimizer.LR != 0.5 || c.Model.Backbone.Norm != "GN" || !reflect.DeepEqual(c.Input.MinSizeTrain, []int{1, 2, 3}) {
		t.Errorf("overrides: %+v %+v", c.Solver.Optimizer, c.Input)
	}
	if c.Model.RPN.NMSThresh == nil || *c.Model.RPN.NMSThresh != 0.6 || c.Model.RPN.PreNMSTopKTest != nil {
		t.Errorf("pointer override %+v", c.Model.RPN)
	}
	if c.Model.Backbone.Weights != "123" {
		t.Errorf("a string override stays a string: %q", c.Model.Backbone.Weights)
	}
	// Defaults fill what no file sets.
	if c.Train.KeepLast != Defaults().Train.KeepLast {
		t.Errorf("defaults lost")
	}
	// A user file may build on an embedded preset by name.
	q := write(t, dir, "user.yaml", "_base_: synthetic_default.yaml\nsolver:\n  max_iter: 7\n")
	u, info, err := Load(q)
	if err != nil || u.Solver.MaxIter != 7 || !u.Data.Synthetic.Enabled || info.Files[0] != "embedded:synthetic_default.yaml" {
		t.Fatalf("preset base: %v %+v %v", err, u.Solver, info.Files)
	}
}

func TestErrors(t *testing.T) {
	dir := t.TempDir()
	good := write(t, dir, "good.yaml", "_base_: synthetic_default.yaml\n")
	cases := []struct {
		name, file string
		sets       []string
		want       []string
	}{
		{"unknown top key", "seed: 1\nsede: 2\n", nil, []string{"bad.yaml", "line 2", `unknown key "sede"`, "known keys at the top level", "seed"}},
		{"unknown nested key", "model:\n  backbone:\n    dpeth: 50\n", nil, []string{"bad.yaml", "line 3", `unknown key "model.backbone.dpeth"`, "under model.backbone", "depth"}},
		{"unknown optimizer key", "solver:\n  optimizer:\n    learning_rate: 1\n", nil, []string{`unknown key "solver.optimizer.learning_rate"`}},
		{"wrong type", "solver:\n  max_iter: many\n", nil, []string{"bad.yaml", "line 2", "many"}},
		{"not a mapping", "model: 3\n", nil, []string{`"model" must be a mapping`}},
		{"missing base", "_base_: nope.yaml\n", nil, []string{"bad.yaml", `_base_ "nope.yaml"`, "no such file"}},
		{"invalid value", "_base_: synthetic_default.yaml\nmodel:\n  arch: yolo\n", nil, []string{"model.arch", "yolo"}},
		{"invalid optimizer", "_base_: synthetic_default.yaml\nsolver:\n  optimizer:\n    gc:\n      scope: most\n", nil, []string{"solver.optimizer", "gc.scope"}},
		{"syntax", "seed: [1\n", nil, []string{"bad.yaml", "line"}},
		{"paths needed", "seed: 1\n", nil, []string{"data.train.annotations", "is empty"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := write(t, dir, "bad.yaml", tc.file)
			_, _, err := Load(p, tc.sets...)
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
	sets := []struct {
		set  string
		want []string
	}{
		{"solver.max_iter=abc", []string{"--set solver.max_iter", `"abc" is not an integer`}},
		{"solver.mx_iter=3", []string{"--set", `unknown key "solver.mx_iter"`, "max_iter"}},
		{"model.backbone.depth.x=3", []string{"is a value, not a mapping"}},
		{"input.min_size_train=[a]", []string{"is not a list like [integer, ...]"}},
		{"train.log_period", []string{"want key=value"}},
		{"model.roi_heads.pooler_aligned=maybe", []string{"is not true or false"}},
		{"solver.optimizer.gc={scop: all}", []string{`unknown key "solver.optimizer.gc.scop"`}},
	}
	for _, s := range sets {
		_, _, err := Load(good, s.set)
		if err == nil {
			t.Errorf("--set %s: no error", s.set)
			continue
		}
		for _, w := range s.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("--set %s: error %q lacks %q", s.set, err, w)
			}
		}
	}
	// Cycles.
	write(t, dir, "x.yaml", "_base_: y.yaml\n")
	write(t, dir, "y.yaml", "_base_: x.yaml\n")
	if _, _, err := Load(filepath.Join(dir, "x.yaml")); err == nil || !strings.Contains(err.Error(), "loops") {
		t.Errorf("cycle: %v", err)
	}
	if _, _, err := Load(filepath.Join(dir, "absent.yaml")); err == nil || !strings.Contains(err.Error(), "no such file") {
		t.Errorf("absent: %v", err)
	}
}
