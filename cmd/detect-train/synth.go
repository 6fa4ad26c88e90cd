package main

import (
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/gcdet/gcdet/coco"
)

func init() {
	register("synth", "write the synthetic shapes data set (COCO format)", runSynth)
}

// runSynth is `detect-train synth --out DIR [--seed N --train N --val N
// --size S --objects K --format jpeg|png]`. Exit 1 when writing fails, 2
// for bad flags.
func runSynth(args []string, stdout, stderr io.Writer) int {
	def := coco.DefaultSynth(0)
	fs := flag.NewFlagSet("synth", flag.ContinueOnError)
	fs.SetOutput(stderr)
	out := fs.String("out", "", "output folder (required)")
	seed := fs.Uint64("seed", def.Seed, "random seed: the same seed writes the same files")
	train := fs.Int("train", def.Train, "training images")
	val := fs.Int("val", def.Val, "validation images")
	size := fs.Int("size", def.Size, "longest image side in pixels (sides vary in [3/4 size, size])")
	objects := fs.Int("objects", def.MaxObjects, "at most this many shapes per image")
	format := fs.String("format", def.Format, "image format: jpeg or png")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *out == "" || fs.NArg() != 0 {
		fmt.Fprintln(stderr, "usage: detect-train synth --out DIR [--seed N] [--train N] [--val N] [--size S] [--objects K] [--format jpeg|png]")
		return 2
	}
	cfg := coco.SynthConfig{Seed: *seed, Train: *train, Val: *val, Size: *size, MaxObjects: *objects, Format: *format}
	start := time.Now()
	res, err := coco.GenerateSynth(*out, cfg)
	if err != nil {
		fmt.Fprintln(stderr, "detect-train synth:", err)
		return 1
	}
	fmt.Fprintf(stdout, "wrote %d train + %d val images in %.2fs\n", *train, *val, time.Since(start).Seconds())
	fmt.Fprintf(stdout, "train: --ann %s --images %s\n", res.Train.Annotations, res.Train.Images)
	fmt.Fprintf(stdout, "val:   --ann %s --images %s\n", res.Val.Annotations, res.Val.Images)
	return 0
}
