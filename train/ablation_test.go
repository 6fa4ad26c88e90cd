package train

import (
	"bytes"
	"encoding/json"
	"github.com/gcdet/gcdet/coco"
	"github.com/gcdet/gcdet/coco/mask"
	"github.com/gcdet/gcdet/eval"
	"math"
	"path/filepath"
	"strings"
	"testing"
)

func near(a, b, tol float64) bool { return math.Abs(a-b) <= tol }

func TestTQuantileTable(t *testing.T) {
	// Student t 97.5% quantiles from statistical tables.
	for df, want := range map[float64]float64{1: 12.706204736, 2: 4.302652730, 3: 3.182446305, 10: 2.228138852, 30: 2.042272456} {
		if got := TQuantile(0.975, df); !near(got, want, 1e-8) {
			t.Errorf("t(0.975, %v) = %.9f, want %.9f", df, got, want)
		}
	}
}

func TestPairedDiffKnownInputs(t *testing.T) {
	x := []float64{0.31, 0.35, 0.33, 0.36}
	y := []float64{0.30, 0.31, 0.32, 0.33}
	d := PairedDiff(x, y, 0.95)
	// d = [0.01 0.04 0.01 0.03]: mean 0.0225, sd 0.015, half width
	// t(0.975, 3) * 0.015 / 2 = 0.0238683473.
	if d.N != 4 || !near(d.Mean, 0.0225, 1e-12) || !near(d.Lo, 0.0225-0.0238683473, 1e-9) || !near(d.Hi, 0.0225+0.0238683473, 1e-9) {
		t.Errorf("paired diff %+v", d)
	}
	// Unpaired entries (NaN) drop out of the pairs.
	d = PairedDiff([]float64{1, math.NaN(), 3, 5}, []float64{0, 0, 1, 2}, 0.95)
	// d = [1 2 3]: mean 2, sd 1, half 4.30265273/sqrt(3).
	if d.N != 3 || !near(d.Mean, 2, 1e-12) || !near(d.Hi-d.Mean, 4.302652730/math.Sqrt(3), 1e-8) {
		t.Errorf("with a missing pair %+v", d)
	}
	// One pair: no interval.
	d = PairedDiff([]float64{0.5}, []float64{0.25}, 0.95)
	if d.N != 1 || d.Mean != 0.25 || !math.IsNaN(d.Lo) || !math.IsNaN(d.Hi) {
		t.Errorf("single pair %+v", d)
	}
	s := Summarize([]float64{2, 4, 4, 4, 5, 5, 7, 9})
	if s.N != 8 || s.Mean != 5 || !near(s.SD, math.Sqrt(32.0/7), 1e-12) {
		t.Errorf("summary %+v", s)
	}
}

func TestAblationSummaryAndTable(t *testing.T) {
	runs := []AblationRun{
		{Name: "gc_off", Seed: 1, BoxAP: 0.30, MaskAP: math.NaN(), Loss: 0.5, Seconds: 10},
		{Name: "gc_off", Seed: 2, BoxAP: 0.31, MaskAP: math.NaN(), Loss: 0.6, Seconds: 12},
		{Name: "gc_off", Seed: 3, BoxAP: 0.32, MaskAP: math.NaN(), Loss: 0.7, Seconds: 11},
		{Name: "gc_all", Seed: 1, BoxAP: 0.31, MaskAP: math.NaN(), Loss: 0.4, Seconds: 10},
		{Name: "gc_all", Seed: 2, BoxAP: 0.33, MaskAP: math.NaN(), Loss: 0.5, Seconds: 13},
		{Name: "gc_all", Seed: 3, BoxAP: 0.35, MaskAP: math.NaN(), Loss: 0.6, Seconds: 12},
	}
	rows := summarizeAblation(runs, "gc_off", nil)
	if len(rows) != 2 || rows[0].Name != "gc_off" || rows[0].DiffBoxAP != nil {
		t.Fatalf("rows %+v", rows)
	}
	d := rows[1].DiffBoxAP
	// Differences 0.01 0.02 0.03: mean 0.02, sd 0.01, half 4.30265273*0.01/sqrt(3).
	if !near(d.Mean, 0.02, 1e-12) || !near(d.Hi-d.Mean, 0.0430265273/math.Sqrt(3), 1e-9) {
		t.Errorf("diff %+v", d)
	}
	if rows[1].MaskAP.N != 0 || rows[1].DiffMaskAP != nil {
		t.Errorf("mask AP without masks: %+v", rows[1])
	}
	rep := &AblationReport{Baseline: "gc_off", Seeds: []uint64{1, 2, 3}, Rows: rows, Runs: runs}
	var b bytes.Buffer
	rep.WriteTable(&b)
	for _, want := range []string{"gc_all", "33.00 ± 2.00", "+2.00 [-0.48, +4.48]", "(baseline)", "31.00 ± 1.00"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, b.String())
		}
	}
	js, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(js), `"mask_ap":null`) {
		t.Errorf("NaN mask AP should be null: %s", js)
	}
	var back AblationRun
	if err := json.Unmarshal([]byte(`{"name":"a","box_ap":0.5,"mask_ap":null}`), &back); err != nil || !math.IsNaN(back.MaskAP) || back.BoxAP != 0.5 {
		t.Errorf("read back %+v %v", back, err)
	}
}

func TestCategoriesInLabelOrder(t *testing.T) {
	d, err := coco.DecodeBytes([]byte(`{"images":[],"annotations":[],"categories":[{"id":7,"name":"b"},{"id":2,"name":"a"}]}`), "x")
	if err != nil {
		t.Fatal(err)
	}
	c := Categories(d)
	if len(c) != 2 || c[0].ID != 2 || c[0].Name != "a" || c[1].ID != 7 || c[1].Name != "b" {
		t.Errorf("categories %+v", c)
	}
}

// TestResultsFileReadsBack: a results file with masks is read by eval's
// own parser to the same detections.
func TestResultsFileReadsBack(t *testing.T) {
	gt, err := eval.ParseGT([]byte(`{"images":[{"id":1,"width":4,"height":3}],"annotations":[],"categories":[{"id":5,"name":"a"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	m, _ := mask.EncodeRowMajor([]byte{0, 1, 1, 0, 0, 1, 1, 0, 0, 0, 0, 0}, 3, 4)
	dets := []eval.Detection{{ImageID: 1, CategoryID: 5, BBox: []float64{1, 0, 2, 2}, Score: 0.75, Segmentation: &m}}
	p := filepath.Join(t.TempDir(), "r.json")
	if err := WriteResults(p, dets, true); err != nil {
		t.Fatal(err)
	}
	back, err := eval.LoadResults(p, gt)
	if err != nil {
		t.Fatal(err)
	}
	if len(back) != 1 || back[0].Score != 0.75 || back[0].Segmentation == nil || back[0].Segmentation.Area() != 4 {
		t.Fatalf("read back %+v", back)
	}
}
