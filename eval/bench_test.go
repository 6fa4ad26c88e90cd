package eval

import (
	"os"
	"testing"
)

// BenchmarkCocoEval is the whole pipeline on the committed coco-eval data
// (100 images, 734 results), without file reading: parse, evaluate,
// accumulate, summarize.
func BenchmarkCocoEval(b *testing.B) {
	gtJSON := readGz(b, "instances_val2014_100.json.gz")
	for _, typ := range []IoUType{BBox, Segm} {
		dtJSON := readGz(b, "instances_val2014_fake"+string(typ)+"100_results.json.gz")
		b.Run(string(typ), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				benchPipeline(b, gtJSON, dtJSON, typ)
			}
		})
	}
}

// BenchmarkLarge runs the pipeline on the benchmark workload written by
// bench/eval/gen_dets.py, when GCDET_EVAL_BENCH_GT and
// GCDET_EVAL_BENCH_DIR (holding bbox.json and segm.json) are set.
func BenchmarkLarge(b *testing.B) {
	gtPath, dir := os.Getenv("GCDET_EVAL_BENCH_GT"), os.Getenv("GCDET_EVAL_BENCH_DIR")
	if gtPath == "" || dir == "" {
		b.Skip("GCDET_EVAL_BENCH_GT / GCDET_EVAL_BENCH_DIR not set")
	}
	gtJSON, err := os.ReadFile(gtPath)
	if err != nil {
		b.Fatal(err)
	}
	for _, typ := range []IoUType{BBox, Segm} {
		dtJSON, err := os.ReadFile(dir + "/" + string(typ) + ".json")
		if err != nil {
			b.Fatal(err)
		}
		b.Run(string(typ), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				benchPipeline(b, gtJSON, dtJSON, typ)
			}
		})
	}
}

func benchPipeline(b *testing.B, gtJSON, dtJSON []byte, typ IoUType) {
	gt, err := ParseGT(gtJSON)
	if err != nil {
		b.Fatal(err)
	}
	dets, err := ParseResults(dtJSON, gt)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := Evaluate(gt, dets, DefaultParams(typ)); err != nil {
		b.Fatal(err)
	}
}
