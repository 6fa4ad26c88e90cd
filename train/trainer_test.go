package train

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func runTiny(t *testing.T, dir string, o Options) (*Result, error) {
	t.Helper()
	o.OutDir = dir
	return Run(context.Background(), o)
}

// equalCheckpoints compares every tensor and the resumable state of two
// checkpoints bit for bit.
func equalCheckpoints(t *testing.T, a, b string) {
	t.Helper()
	ca, err := LoadCheckpoint(a)
	if err != nil {
		t.Fatal(err)
	}
	cb, err := LoadCheckpoint(b)
	if err != nil {
		t.Fatal(err)
	}
	if len(ca.Model.Names) != len(cb.Model.Names) || len(ca.Optimizer.Tensors) != len(cb.Optimizer.Tensors) {
		t.Fatalf("different key sets: %d/%d model, %d/%d optimizer", len(ca.Model.Names), len(cb.Model.Names), len(ca.Optimizer.Tensors), len(cb.Optimizer.Tensors))
	}
	for _, n := range ca.Model.Names {
		x, y := ca.Model.Tensors[n], cb.Model.Tensors[n]
		for i := range x.Float {
			if x.Float[i] != y.Float[i] {
				t.Fatalf("model tensor %s differs at %d: %v vs %v", n, i, x.Float[i], y.Float[i])
			}
		}
		for i := range x.Int {
			if x.Int[i] != y.Int[i] {
				t.Fatalf("model counter %s differs", n)
			}
		}
	}
	for k, x := range ca.Optimizer.Tensors {
		y := cb.Optimizer.Tensors[k]
		for i := range x.Data {
			if x.Data[i] != y.Data[i] {
				t.Fatalf("optimizer tensor %s differs at %d", k, i)
			}
		}
	}
	if !bytes.Equal(ca.Meta.RNG, cb.Meta.RNG) || ca.Meta.Iter != cb.Meta.Iter || ca.Meta.Optimizer.Iter != cb.Meta.Optimizer.Iter {
		t.Fatalf("state differs: rng %x vs %x, iter %d vs %d", ca.Meta.RNG, cb.Meta.RNG, ca.Meta.Iter, cb.Meta.Iter)
	}
	if ca.Meta.Data.Draws != cb.Meta.Data.Draws || ca.Meta.Data.Epoch != cb.Meta.Data.Epoch || ca.Meta.Data.Pos != cb.Meta.Data.Pos {
		t.Fatalf("data position differs: %+v vs %+v", ca.Meta.Data, cb.Meta.Data)
	}
}

// TestResumeIsBitIdentical trains 6 iterations in one go, and 3 + 3 with
// an interruption and --resume in between: the final checkpoints (model,
// optimizer, generator, data position) and the logged losses agree bit for
// bit.
func TestResumeIsBitIdentical(t *testing.T) {
	base := t.TempDir()
	var sets []string
	if s := os.Getenv("GCDET_RESUME_SET"); s != "" { // e.g. model.arch=faster_rcnn
		sets = append(sets, s)
	}
	cfg := tinyConfig(t, base, sets...)
	whole, split := filepath.Join(base, "whole"), filepath.Join(base, "split")
	ra, err := runTiny(t, whole, Options{Config: cfg})
	if err != nil {
		t.Fatal(err)
	}
	rb, err := runTiny(t, split, Options{Config: cfg, StopAfter: 3})
	if !errors.Is(err, ErrInterrupted) || rb.Iter != 3 {
		t.Fatalf("stop after 3: %v, %+v", err, rb)
	}
	if _, err := os.Stat(CheckpointPath(filepath.Join(split, "checkpoints"), 3)); err != nil {
		t.Fatalf("interrupt left no checkpoint: %v", err)
	}
	rc, err := runTiny(t, split, Options{Config: cfg, Resume: true})
	if err != nil {
		t.Fatal(err)
	}
	if rc.Iter != 6 || ra.Iter != 6 {
		t.Fatalf("iterations %d, %d", ra.Iter, rc.Iter)
	}
	equalCheckpoints(t, filepath.Join(whole, "checkpoints", FinalName), filepath.Join(split, "checkpoints", FinalName))
	if ra.Eval.BBox.Stats != rc.Eval.BBox.Stats {
		t.Errorf("final AP differs: %v vs %v", ra.Eval.BBox.Stats, rc.Eval.BBox.Stats)
	}
	// metrics.jsonl of the resumed run holds each iteration once, with the
	// same losses as the uninterrupted run.
	ma, err := ReadMetrics(filepath.Join(whole, "metrics.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	mb, err := ReadMetrics(filepath.Join(split, "metrics.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	lossesA, lossesB := trainLosses(ma), trainLosses(mb)
	if len(lossesA) != 6 || len(lossesB) != 6 {
		t.Fatalf("%d and %d training records", len(lossesA), len(lossesB))
	}
	for i := range lossesA {
		for k, v := range lossesA[i] {
			if lossesB[i][k] != v {
				t.Errorf("iteration %d %s: %v vs %v", i+1, k, v, lossesB[i][k])
			}
		}
	}
	// The outputs a user wants are there.
	for _, f := range []string{"config.yaml", "log.jsonl", "plots/losses.png", "plots/lr.png", "plots/ap.png", "results/bbox_val.json"} {
		if _, err := os.Stat(filepath.Join(whole, f)); err != nil {
			t.Errorf("missing output %s", f)
		}
	}
	vis, _ := filepath.Glob(filepath.Join(whole, "vis", "*.png"))
	if len(vis) != 1 {
		t.Errorf("vis images: %v", vis)
	}
}

func trainLosses(rs []Record) []map[string]float64 {
	var out []map[string]float64
	for _, r := range rs {
		if r.Losses != nil {
			out = append(out, r.Losses)
		}
	}
	return out
}

// TestNaNGuard: an absurd learning rate makes the loss or the weights
// non-finite; training stops with an error naming the iteration and the
// loss terms, and the checkpoint written before stays loadable.
func TestNaNGuard(t *testing.T) {
	base := t.TempDir()
	cfg := tinyConfig(t, base, "solver.optimizer.algorithm=sgd", "solver.optimizer.lr=1e12", "solver.optimizer.clip_grad_norm=0",
		"solver.max_iter=20", "solver.lr_schedule.milestones=[15]", "solver.lr_schedule.warmup.method=none",
		"train.checkpoint_period=1", "train.keep_last=0")
	// A first checkpoint with sane weights: one iteration at a normal rate.
	cfg.Solver.Optimizer.LR = 0
	_, err := runTiny(t, base, Options{Config: cfg, StopAfter: 1})
	if !errors.Is(err, ErrInterrupted) {
		t.Fatal(err)
	}
	cfg.Solver.Optimizer.LR = 1e12
	_, err = runTiny(t, base, Options{Config: cfg, Resume: true})
	if err == nil {
		t.Fatal("training with lr 1e12 did not stop")
	}
	msg := err.Error()
	if !strings.Contains(msg, "iteration ") || !strings.Contains(msg, "finite") || !strings.Contains(msg, "(losses: loss_box_reg=") {
		t.Fatalf("error %q should name the iteration and the loss terms or parameter", msg)
	}
	if !strings.Contains(msg, "last good checkpoint is") {
		t.Errorf("error %q should name the last good checkpoint", msg)
	}
	list, _ := ListCheckpoints(filepath.Join(base, "checkpoints"))
	if len(list) == 0 {
		t.Fatal("no checkpoint left")
	}
	ck, err := LoadCheckpoint(list[len(list)-1].Path)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range ck.Model.Names {
		for _, v := range ck.Model.Tensors[n].Float {
			if v != v || v > 3e38 || v < -3e38 {
				t.Fatalf("checkpoint %s holds a non-finite %s", list[len(list)-1].Path, n)
			}
		}
	}
	t.Logf("stopped with: %s", msg)
}

func TestRunErrors(t *testing.T) {
	base := t.TempDir()
	cfg := tinyConfig(t, base, "device=cuda")
	if _, err := runTiny(t, base, Options{Config: cfg}); err == nil || !strings.Contains(err.Error(), "device cuda") {
		t.Errorf("cuda: %v", err)
	}
	cfg = tinyConfig(t, base, "data.synthetic.enabled=false", "data.train.annotations=/nonexistent/a.json",
		"data.train.images=/x", "data.val.annotations=/y.json", "data.val.images=/z")
	_, err := runTiny(t, base, Options{Config: cfg})
	if err == nil || !strings.Contains(err.Error(), "data.train.annotations: /nonexistent/a.json: no such file") {
		t.Errorf("missing data: %v", err)
	}
	cfg = tinyConfig(t, base, "model.num_classes=80")
	if _, err := runTiny(t, base, Options{Config: cfg}); err == nil || !strings.Contains(err.Error(), "4 categories") {
		t.Errorf("class count: %v", err)
	}
}

// TestCancelSavesCheckpoint: a cancelled context (Ctrl-C) stops the run
// with ErrInterrupted after writing a checkpoint that --resume reads.
func TestCancelSavesCheckpoint(t *testing.T) {
	base := t.TempDir()
	cfg := tinyConfig(t, base)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	res, err := Run(ctx, Options{Config: cfg, OutDir: base})
	if !errors.Is(err, ErrInterrupted) || res.Iter != 0 {
		t.Fatalf("%v %+v", err, res)
	}
	ck, err := LoadCheckpoint(res.Checkpoint)
	if err != nil || ck.Meta.Iter != 0 {
		t.Fatalf("checkpoint %v %+v", err, ck)
	}
}

func TestProgressLine(t *testing.T) {
	got := progressLine(50, 0, 100, 10*time.Second, 0.5, 0.02, 10)
	want := "[=====>    ] 50/100  50% loss 0.5000 lr 2.00e-02 ETA 10s"
	if got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
	if got := progressLine(10, 10, 100, time.Second, 1, 1, 4); !strings.Contains(got, "ETA ?") {
		t.Errorf("no iterations yet: %q", got)
	}
}
