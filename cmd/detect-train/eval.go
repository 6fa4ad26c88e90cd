package main

import (
	"bytes"
	"flag"
	"fmt"
	"io"

	"github.com/gcdet/gcdet/eval"
)

func init() {
	register("eval", "COCO box/mask AP of a results file (or of a model: --weights), exactly as pycocotools", runEval)
}

// runEval implements
//
//	detect-train eval --gt GT.json --dt RESULTS.json --iou-type bbox|segm [--json]
//
// It prints pycocotools' 12-line summary and a per-category AP table, or
// with --json exactly one JSON object with the 12 stats and nothing else.
// Errors go to stderr with a non-zero exit and nothing on stdout.
func runEval(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("eval", flag.ContinueOnError)
	fs.SetOutput(stderr)
	gtPath := fs.String("gt", "", "ground truth COCO instances JSON")
	dtPath := fs.String("dt", "", "results JSON: a list of {image_id, category_id, bbox|segmentation, score}")
	iouType := fs.String("iou-type", "bbox", "bbox or segm")
	asJSON := fs.Bool("json", false, "print only a JSON object with the 12 stats")
	noCats := fs.Bool("no-cats", false, "ignore categories (pycocotools useCats=0)")
	weights := fs.String("weights", "", "evaluate a trained model (checkpoint) on its config's validation split instead of --gt/--dt")
	config := fs.String("config", "", "with --weights: the config (default: the one stored in the checkpoint)")
	var sets setFlags
	fs.Var(&sets, "set", "with --weights: override a config key (repeatable)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: detect-train eval --gt GT.json --dt RESULTS.json --iou-type bbox|segm [--json] [--no-cats]")
		fmt.Fprintln(stderr, "       detect-train eval --weights CKPT [--config FILE] [--set key=value] [--json]")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return 0
		}
		return 2
	}
	fail := func(code int, format string, a ...any) int {
		fmt.Fprintf(stderr, "detect-train eval: "+format+"\n", a...)
		return code
	}
	if fs.NArg() > 0 {
		return fail(2, "unexpected arguments %q", fs.Args())
	}
	if *weights != "" {
		return evalModel(*config, *weights, sets, *asJSON, stdout, stderr)
	}
	if *gtPath == "" || *dtPath == "" {
		fs.Usage()
		return fail(2, "--gt and --dt are required")
	}
	typ := eval.IoUType(*iouType)
	if typ != eval.BBox && typ != eval.Segm {
		return fail(2, "--iou-type must be bbox or segm, got %q", *iouType)
	}
	gt, err := eval.LoadGT(*gtPath)
	if err != nil {
		return fail(1, "%v", err)
	}
	dets, err := eval.LoadResults(*dtPath, gt)
	if err != nil {
		return fail(1, "%v", err)
	}
	p := eval.DefaultParams(typ)
	p.UseCats = !*noCats
	res, err := eval.Evaluate(gt, dets, p)
	if err != nil {
		return fail(1, "%v", err)
	}
	// Everything is formatted before anything is written.
	var out bytes.Buffer
	if *asJSON {
		out.Write(res.Stats.JSON())
		out.WriteByte('\n')
	} else {
		res.WriteSummary(&out)
		if len(res.PerCategory) > 0 {
			out.WriteByte('\n')
			res.WritePerCategory(&out)
		}
	}
	if _, err := stdout.Write(out.Bytes()); err != nil {
		return fail(1, "writing output: %v", err)
	}
	return 0
}
