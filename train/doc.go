// Package train is gcdet's trainer: it turns a configs.Config into a
// detector, data pipeline, optimizer and schedule, runs the training loop
// (data -> loss -> backward -> clip -> GC optimizer step -> schedule),
// evaluates with package eval in process, and writes what a user wants to
// see: readable and JSON-lines logs, metrics.jsonl, PNG plots, images with
// predictions drawn, COCO results files and checkpoints.
//
// Reproducibility: everything random derives from the config's seed
// through separate generators (weight initialization, anchor and RoI
// sampling, and the loader's per-draw augmentation), and a checkpoint
// holds the model, the optimizer and schedule state, the iteration, the
// sampling generator's state and the data sampler's position. On the CPU
// a run resumed from a checkpoint is bit-identical to one that never
// stopped (the tests check it).
//
// Files: build.go (config -> detector, transforms, optimizer, schedule),
// data.go (data sets, synthetic generation, validation report),
// trainer.go (the loop, interrupts, NaN guard), checkpoint.go (format,
// atomic writes, keep-last-K), weights.go and finetune.go (loading .pth
// and safetensors weights, class-count changes), evaluate.go, plots.go,
// predict.go (a checkpoint as a predictor), draw.go and masks.go, metrics.go,
// logging.go, progress.go, ablation.go and ablation_stats.go (GC ablation
// runs, paired t-intervals, table, files, plots). Package train/pth reads
// torch .pth files.
package train
