package eval

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"math"
	"testing"
)

// edgeCase is one entry of testdata/edge_cases.json.gz, written by
// testdata/gen_edge.py with pycocotools as the oracle.
type edgeCase struct {
	Name    string          `json:"name"`
	IoUType IoUType         `json:"iou_type"`
	GT      json.RawMessage `json:"gt"`
	DT      json.RawMessage `json:"dt"`
	Params  struct {
		ImgIDs     []int64      `json:"imgIds"`
		CatIDs     []int64      `json:"catIds"`
		MaxDets    []int        `json:"maxDets"`
		UseCats    *int         `json:"useCats"`
		AreaRng    [][2]float64 `json:"areaRng"`
		AreaRngLbl []string     `json:"areaRngLbl"`
	} `json:"params"`
	Stats     Stats     `json:"stats"`
	PerCat    []float64 `json:"per_cat"`
	PrecSHA   string    `json:"precision_sha256"`
	RecallSHA string    `json:"recall_sha256"`
}

func digest(a []float64) string {
	b := make([]byte, 8*len(a))
	for i, v := range a {
		binary.LittleEndian.PutUint64(b[8*i:], math.Float64bits(v))
	}
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

func runEdgeCase(t *testing.T, c *edgeCase) *Result {
	t.Helper()
	gt, err := ParseGT(c.GT)
	if err != nil {
		t.Fatal(err)
	}
	dets, err := ParseResults(c.DT, gt)
	if err != nil {
		t.Fatal(err)
	}
	p := DefaultParams(c.IoUType)
	if c.Params.ImgIDs != nil {
		p.ImgIDs = c.Params.ImgIDs
	}
	if c.Params.CatIDs != nil {
		p.CatIDs = c.Params.CatIDs
	}
	if c.Params.MaxDets != nil {
		p.MaxDets = c.Params.MaxDets
	}
	if c.Params.UseCats != nil {
		p.UseCats = *c.Params.UseCats != 0
	}
	if c.Params.AreaRng != nil {
		p.AreaRng, p.AreaRngLbl = c.Params.AreaRng, c.Params.AreaRngLbl
	}
	res, err := Evaluate(gt, dets, p)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// TestEdgeCases compares every pycocotools output of every case: the 12
// stats, per-category AP, and the whole precision and recall arrays.
func TestEdgeCases(t *testing.T) {
	var cases []edgeCase
	if err := json.Unmarshal(readGz(t, "edge_cases.json.gz"), &cases); err != nil {
		t.Fatal(err)
	}
	if len(cases) < 15 {
		t.Fatalf("only %d cases", len(cases))
	}
	for i := range cases {
		c := &cases[i]
		t.Run(c.Name, func(t *testing.T) {
			res := runEdgeCase(t, c)
			if res.Stats != c.Stats {
				t.Errorf("stats\n got %v\nwant %v", res.Stats, c.Stats)
			}
			if len(res.PerCategory) != len(c.PerCat) {
				t.Fatalf("%d per-category APs, want %d", len(res.PerCategory), len(c.PerCat))
			}
			for k, want := range c.PerCat {
				if got := res.PerCategory[k].AP; got != want {
					t.Errorf("category %d AP %v want %v", res.PerCategory[k].ID, got, want)
				}
			}
			if d := digest(res.Precision); d != c.PrecSHA {
				t.Errorf("precision array differs (%d entries)", len(res.Precision))
			}
			if d := digest(res.Recall); d != c.RecallSHA {
				t.Errorf("recall array differs (%d entries)", len(res.Recall))
			}
		})
	}
}

func findCase(t *testing.T, name string) *edgeCase {
	var cases []edgeCase
	if err := json.Unmarshal(readGz(t, "edge_cases.json.gz"), &cases); err != nil {
		t.Fatal(err)
	}
	for i := range cases {
		if cases[i].Name == name {
			return &cases[i]
		}
	}
	t.Fatalf("no case %q", name)
	return nil
}

// TestEdgeCasesByHand argues a few of the oracle's numbers from first
// principles, so the fixtures are not only "what pycocotools says".
func TestEdgeCasesByHand(t *testing.T) {
	// crowd: the object is detected perfectly at the top score; the six
	// detections inside the crowd region match it (intersection over
	// detection area = 1) and are ignored, however many there are; the
	// late near-duplicate of the object (score .2) finds the object taken:
	// a false positive after recall reached 1, which the precision envelope
	// hides. So every precision sample is tp/(tp+fp+eps) = 1/(1+eps) and AP
	// is 1 up to the eps numpy adds; AR is exactly 1.
	res := runEdgeCase(t, findCase(t, "crowd"))
	for _, i := range []int{0, 1, 2, 3, 6, 7, 8, 9} {
		if math.Abs(res.Stats[i]-1) > 1e-15 {
			t.Errorf("crowd %s = %v, want 1", StatNames[i], res.Stats[i])
		}
	}
	// Every object is small (30x30): medium and large are -1.
	for _, i := range []int{4, 5, 10, 11} {
		if res.Stats[i] != -1 {
			t.Errorf("crowd %s = %v, want -1", StatNames[i], res.Stats[i])
		}
	}

	// empty_images: the top detection (0.95) is on an image without ground
	// truth: a false positive; then a true positive for one of two objects.
	// Precision at recall <= .5 is 1/2 (the envelope takes the max to the
	// right), recall never exceeds .5: 51 of 101 points hold .5, so AP =
	// 51*.5/101 at every threshold; AR = .5.
	res = runEdgeCase(t, findCase(t, "empty_images"))
	if want := 51 * 0.5 / 101; math.Abs(res.Stats[0]-want) > 1e-15 {
		t.Errorf("empty_images AP %v want %v", res.Stats[0], want)
	}
	if res.Stats[8] != .5 {
		t.Errorf("empty_images AR100 %v", res.Stats[8])
	}

	// gt_id_zero: the same shape as empty_images. The perfect match (score
	// .9) to annotation 0 is recorded as id 0, read as unmatched: a false
	// positive, and annotation 0 is never found; then a true positive for
	// annotation 5: precision .5 up to recall .5.
	res = runEdgeCase(t, findCase(t, "gt_id_zero"))
	if want := 51 * 0.5 / 101; math.Abs(res.Stats[0]-want) > 1e-15 {
		t.Errorf("gt_id_zero AP %v want %v", res.Stats[0], want)
	}

	// category_without_gt: category 1 is perfect, 2 and 3 have no ground
	// truth and are left out: AP 1, not 1/3; their per-category AP is -1.
	res = runEdgeCase(t, findCase(t, "category_without_gt"))
	if math.Abs(res.Stats[0]-1) > 1e-15 || res.PerCategory[1].AP != -1 || res.PerCategory[2].AP != -1 {
		t.Errorf("category_without_gt: %v %v", res.Stats, res.PerCategory)
	}

	// random_params: maxDets [2 5 20] has no 100, and stats[0] looks for
	// the literal 100, so it is -1 as in pycocotools.
	res = runEdgeCase(t, findCase(t, "random_params"))
	if res.Stats[0] != -1 || res.Stats[1] == -1 {
		t.Errorf("random_params: %v", res.Stats)
	}
}
