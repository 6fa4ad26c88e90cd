package eval

import (
	"math"
	"strings"
	"testing"

	"github.com/gcdet/gcdet/coco"
	"github.com/gcdet/gcdet/coco/mask"
)

const tinyGT = `{"images":[{"id":1,"width":40,"height":30,"file_name":"a.jpg"},{"id":2,"width":20,"height":10,"file_name":"b.jpg"}],
"annotations":[{"id":1,"image_id":1,"category_id":1,"bbox":[2,2,10,10],"area":100,"iscrowd":0,"segmentation":[[2,2,2,12,12,12,12,2]]},
{"id":2,"image_id":2,"category_id":2,"bbox":[0,0,5,5],"area":25,"iscrowd":0,"segmentation":[[0,0,0,5,5,5,5,0]]}],
"categories":[{"id":1,"name":"a"},{"id":2,"name":"b"}]}`

func tinyGTIndex(t *testing.T) *GT {
	t.Helper()
	gt, err := ParseGT([]byte(tinyGT))
	if err != nil {
		t.Fatal(err)
	}
	return gt
}

func wantErr(t *testing.T, what string, err error, contains ...string) {
	t.Helper()
	if err == nil {
		t.Errorf("%s: no error", what)
		return
	}
	for _, c := range contains {
		if !strings.Contains(err.Error(), c) {
			t.Errorf("%s: error %q does not mention %q", what, err, c)
		}
	}
}

func TestBadGroundTruth(t *testing.T) {
	_, err := ParseGT([]byte(`{"images": [`))
	wantErr(t, "truncated JSON", err, "ground truth")
	_, err = ParseGT([]byte(strings.Replace(tinyGT, `"id":2,"image_id":2`, `"id":1,"image_id":2`, 1)))
	wantErr(t, "duplicate annotation id", err, "annotation id 1 repeated")
	_, err = ParseGT([]byte(strings.Replace(tinyGT, `"id":2,"width"`, `"id":1,"width"`, 1)))
	wantErr(t, "duplicate image id", err, "image id 1 repeated")
	_, err = ParseGT([]byte(strings.Replace(tinyGT, `"id":2,"image_id":2`, `"id":2,"image_id":9`, 1)))
	wantErr(t, "unknown image", err, "annotation 2", "image 9")
	_, err = ParseGT([]byte(strings.Replace(tinyGT, `"bbox":[0,0,5,5]`, `"bbox":[0,0,5]`, 1)))
	wantErr(t, "short bbox", err, "annotation 2")
	_, err = LoadGT("testdata/no-such-file.json")
	wantErr(t, "missing file", err, "no-such-file")

	// A degenerate polygon only matters for segm, and is reported then.
	gt, err := ParseGT([]byte(strings.Replace(tinyGT, `[[0,0,0,5,5,5,5,0]]`, `[[0,0,5,5]]`, 1)))
	if err != nil {
		t.Fatal(err)
	}
	dets := []Detection{{ImageID: 1, CategoryID: 1, BBox: []float64{2, 2, 10, 10}, Score: 1}}
	if _, err := Evaluate(gt, dets, DefaultParams(BBox)); err != nil {
		t.Errorf("bbox evaluation needs no segmentation: %v", err)
	}
	_, err = Evaluate(gt, dets, DefaultParams(Segm))
	wantErr(t, "2-point polygon", err, "annotation 2", "polygon")
}

func TestBadResults(t *testing.T) {
	gt := tinyGTIndex(t)
	for _, c := range []struct {
		name, json string
		contains   []string
	}{
		{"malformed", `[{"image_id": 1,`, []string{"results"}},
		{"not a list", `{"image_id": 1}`, []string{"list"}},
		{"NaN token", `[{"image_id":1,"category_id":1,"bbox":[1,2,3,4],"score":NaN}]`, []string{"results"}},
		{"missing score", `[{"image_id":1,"category_id":1,"bbox":[1,2,3,4]}]`, []string{"result 0", "score"}},
		{"missing image", `[{"category_id":1,"bbox":[1,2,3,4],"score":1}]`, []string{"result 0", "image_id"}},
		{"string id", `[{"image_id":"1","category_id":1,"bbox":[1,2,3,4],"score":1}]`, []string{"results"}},
		{"wrong size", `[{"image_id":1,"category_id":1,"score":1,"segmentation":{"size":[10,20],"counts":"0` + "`" + `3"}}]`, []string{"result 0", "image 1", "size"}},
		{"bad counts", `[{"image_id":2,"category_id":1,"score":1,"segmentation":{"size":[10,20],"counts":"!!"}}]`, []string{"result 0", "image 2"}},
		{"unknown image segm", `[{"image_id":7,"category_id":1,"score":1,"segmentation":{"size":[10,20],"counts":"d3"}}]`, []string{"result 0", "image 7"}},
	} {
		_, err := ParseResults([]byte(c.json), gt)
		wantErr(t, c.name, err, c.contains...)
	}
	// Parsed fine, rejected by Evaluate.
	for _, c := range []struct {
		name     string
		dets     []Detection
		typ      IoUType
		contains []string
	}{
		{"unknown image", []Detection{{ImageID: 1, BBox: []float64{0, 0, 1, 1}, Score: 1}, {ImageID: 5, BBox: []float64{0, 0, 1, 1}, Score: 1}}, BBox, []string{"result 1", "image 5"}},
		{"NaN score", []Detection{{ImageID: 1, BBox: []float64{0, 0, 1, 1}, Score: math.NaN()}}, BBox, []string{"result 0", "score"}},
		{"Inf score", []Detection{{ImageID: 1, BBox: []float64{0, 0, 1, 1}, Score: math.Inf(-1)}}, BBox, []string{"result 0", "score"}},
		{"NaN box", []Detection{{ImageID: 1, BBox: []float64{0, math.NaN(), 1, 1}, Score: 1}}, BBox, []string{"result 0", "bbox"}},
		{"short box", []Detection{{ImageID: 1, BBox: []float64{0, 1, 1}, Score: 1}}, BBox, []string{"result 0", "bbox"}},
		{"mixed kinds", []Detection{{ImageID: 1, BBox: []float64{0, 0, 1, 1}, Score: 1}, {ImageID: 1, Segmentation: &mask.RLE{H: 30, W: 40, Counts: []uint32{1200}}, Score: 1}}, Segm, []string{"result 1", "no bbox"}},
		{"nothing", []Detection{{ImageID: 1, Score: 1}}, Segm, []string{"result 0", "neither"}},
		{"mask size", []Detection{{ImageID: 2, Segmentation: &mask.RLE{H: 30, W: 40, Counts: []uint32{1200}}, Score: 1}}, Segm, []string{"result 0", "image 2", "30x40"}},
		{"mask counts", []Detection{{ImageID: 1, Segmentation: &mask.RLE{H: 30, W: 40, Counts: []uint32{1199}}, Score: 1}}, Segm, []string{"result 0", "image 1"}},
	} {
		_, err := Evaluate(gt, c.dets, DefaultParams(c.typ))
		wantErr(t, c.name, err, c.contains...)
	}
}

func TestBadParams(t *testing.T) {
	gt := tinyGTIndex(t)
	dets := []Detection{{ImageID: 1, CategoryID: 1, BBox: []float64{2, 2, 10, 10}, Score: 1}}
	for name, mod := range map[string]func(p *Params){
		"iou type":     func(p *Params) { p.IoUType = "keypoints" },
		"maxDets dup":  func(p *Params) { p.MaxDets = []int{10, 10, 100} },
		"maxDets none": func(p *Params) { p.MaxDets = nil },
		"labels":       func(p *Params) { p.AreaRngLbl = p.AreaRngLbl[:2] },
		"no cats dup":  func(p *Params) { p.UseCats = false; p.CatIDs = []int64{1, 1} },
		"no thresh":    func(p *Params) { p.IoUThrs = nil },
	} {
		p := DefaultParams(BBox)
		mod(&p)
		_, err := Evaluate(gt, dets, p)
		wantErr(t, name, err, "eval")
	}
}

// TestInProcess uses the Go API as the trainer does: detections with boxes
// and row-major masks, no JSON.
func TestInProcess(t *testing.T) {
	gt := tinyGTIndex(t)
	// A perfect box and mask for each object.
	m1 := make([]byte, 30*40)
	for y := 2; y < 12; y++ {
		for x := 2; x < 12; x++ {
			m1[y*40+x] = 1
		}
	}
	r1, _ := mask.EncodeRowMajor(m1, 30, 40)
	m2 := make([]byte, 10*20)
	for y := 0; y < 5; y++ {
		for x := 0; x < 5; x++ {
			m2[y*20+x] = 1
		}
	}
	r2, _ := mask.EncodeRowMajor(m2, 10, 20)
	dets := []Detection{
		{ImageID: 1, CategoryID: 1, BBox: []float64{2, 2, 10, 10}, Score: .9, Segmentation: &r1},
		{ImageID: 2, CategoryID: 2, BBox: []float64{0, 0, 5, 5}, Score: .8, Segmentation: &r2},
	}
	for _, typ := range []IoUType{BBox, Segm} {
		res, err := Evaluate(gt, dets, DefaultParams(typ))
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(res.Stats[0]-1) > 1e-15 || res.Stats[8] != 1 {
			t.Errorf("%s: perfect detections give %v", typ, res.Stats)
		}
		if len(res.PerCategory) != 2 || res.PerCategory[0].Name != "a" {
			t.Errorf("per category %v", res.PerCategory)
		}
	}
	// No detections at all (pycocotools' loadRes cannot take an empty
	// list): every category with ground truth has precision 0 at every
	// recall point and recall 0, so AP = AR = 0; medium/large have no
	// ground truth: -1.
	res, err := Evaluate(gt, nil, DefaultParams(BBox))
	if err != nil {
		t.Fatal(err)
	}
	want := Stats{0, 0, 0, 0, -1, -1, 0, 0, 0, 0, -1, -1}
	if res.Stats != want {
		t.Errorf("no detections: %v want %v", res.Stats, want)
	}
	// The GT index is reused across calls and goroutines (the trainer
	// evaluates the same ground truth every epoch).
	done := make(chan error, 4)
	for i := 0; i < 4; i++ {
		go func() {
			_, err := Evaluate(gt, dets, DefaultParams(Segm))
			done <- err
		}()
	}
	for i := 0; i < 4; i++ {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	// NewGT on an in-memory file.
	f := gt.File()
	if _, err := NewGT(&coco.File{Images: f.Images, Annotations: f.Annotations, Categories: f.Categories}); err != nil {
		t.Fatal(err)
	}
}

func TestStatsJSON(t *testing.T) {
	s := Stats{0.5045806987249628, -1, 0, 1, 1e-7, 0.25, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6}
	got := string(s.JSON())
	want := `{"AP": 0.5045806987249628, "AP50": -1.0, "AP75": 0.0, "APs": 1.0, "APm": 1e-07, "APl": 0.25, "AR1": 0.1, "AR10": 0.2, "AR100": 0.3, "ARs": 0.4, "ARm": 0.5, "ARl": 0.6}`
	if got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

func TestLinspaceMatchesNumpy(t *testing.T) {
	// repr(np.linspace(.5, .95, 10)) and a few of np.linspace(0, 1, 101).
	want := []float64{0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.8999999999999999, 0.95}
	got := Linspace(.5, .95, 10)
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("iouThrs[%d] = %v want %v", i, got[i], want[i])
		}
	}
	r := Linspace(0, 1, 101)
	if r[3] != 0.03 || r[7] != 0.07 || r[29] != 0.29 || r[57] != 0.5700000000000001 || r[100] != 1 {
		t.Errorf("recThrs %v %v %v %v", r[3], r[7], r[29], r[57])
	}
}
