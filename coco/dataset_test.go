package coco

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const miniAnn = "testdata/mini/instances.json"
const miniImages = "testdata/mini/images"

func loadMini(t testing.TB) *Dataset {
	t.Helper()
	d, err := LoadFile(miniAnn, miniImages)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestLoadMini(t *testing.T) {
	d := loadMini(t)
	var exp struct {
		Images, Annotations, Categories, Crowd, RLE int
		PerImage                                    map[string]int `json:"per_image"`
		PolygonPoints                               int            `json:"polygon_points"`
	}
	b, err := os.ReadFile("testdata/mini/expected.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &exp); err != nil {
		t.Fatal(err)
	}
	if len(d.Images) != exp.Images || len(d.Annotations) != exp.Annotations || len(d.Categories) != exp.Categories {
		t.Fatalf("counts %d/%d/%d, want %d/%d/%d", len(d.Images), len(d.Annotations), len(d.Categories), exp.Images, exp.Annotations, exp.Categories)
	}
	crowd, rle, pts := 0, 0, 0
	for _, a := range d.Annotations {
		crowd += a.IsCrowd
		if a.Segmentation.IsRLE {
			rle++
		}
		for _, p := range a.Segmentation.Polygons {
			pts += len(p) / 2
		}
	}
	if crowd != exp.Crowd || rle != exp.RLE || pts != exp.PolygonPoints {
		t.Fatalf("crowd %d rle %d points %d, want %d %d %d", crowd, rle, pts, exp.Crowd, exp.RLE, exp.PolygonPoints)
	}
	for i, im := range d.Images {
		if got, want := len(d.ImageAnnotations(i)), exp.PerImage[itoa(im.ID)]; got != want {
			t.Errorf("image %d: %d annotations, want %d", im.ID, got, want)
		}
		for _, ai := range d.ImageAnnotations(i) {
			if d.Annotations[ai].ImageID != im.ID {
				t.Fatalf("annotation %d grouped under image %d", d.Annotations[ai].ID, im.ID)
			}
		}
		if j, ok := d.ImageIndex(im.ID); !ok || j != i {
			t.Fatalf("ImageIndex(%d) = %d, %v", im.ID, j, ok)
		}
	}
	for i, a := range d.Annotations {
		if j, ok := d.AnnotationIndex(a.ID); !ok || j != i {
			t.Fatalf("AnnotationIndex(%d) = %d, %v", a.ID, j, ok)
		}
	}
	// COCO's 80 categories have ids 1..90 with gaps: labels are 1..80 in id order.
	if d.NumClasses() != 80 {
		t.Fatalf("NumClasses %d", d.NumClasses())
	}
	prev := int64(-1)
	for k := 1; k <= 80; k++ {
		id, ok := d.CategoryID(k)
		if !ok || id <= prev {
			t.Fatalf("label %d -> %d, %v (prev %d)", k, id, ok, prev)
		}
		if l, ok := d.Label(id); !ok || l != k {
			t.Fatalf("Label(%d) = %d", id, l)
		}
		prev = id
	}
	if id, _ := d.CategoryID(80); id != 90 {
		t.Fatalf("label 80 is category %d, want 90", id)
	}
	if _, ok := d.CategoryID(0); ok {
		t.Fatal("label 0 must not map to a category")
	}
	if names := d.ClassNames(); names[1] != "person" || len(names) != 81 {
		t.Fatalf("class names %v", names[:2])
	}
	if got := d.TrainImages(true); len(got) != 3 {
		t.Fatalf("TrainImages = %v", got)
	}
}

func itoa(v int64) string { b, _ := json.Marshal(v); return string(b) }

func TestDecodeErrors(t *testing.T) {
	good, err := os.ReadFile(miniAnn)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []int{0, 1, 100, len(good) / 2, len(good) - 1} {
		_, err := DecodeBytes(good[:n], "cut.json")
		if err == nil || !strings.Contains(err.Error(), "cut.json") {
			t.Fatalf("cut at %d: err %v", n, err)
		}
		if n > 0 && !strings.Contains(err.Error(), "truncated") {
			t.Errorf("cut at %d: %v should say truncated", n, err)
		}
	}
	cases := map[string]string{
		`{"images": 5}`:                         "wrong JSON type",
		`{"images": [}`:                         "invalid JSON at byte",
		`{"images": []} x`:                      "invalid JSON",
		`{"annotations":[{"segmentation": 3}]}`: "segmentation must be",
		`{"annotations":[{"segmentation": {"size": [1]}}]}`:                  "size must be",
		`{"annotations":[{"segmentation": {"size": [1, 2]}}]}`:               "without counts",
		`{"annotations":[{"segmentation": [[1, 2, "a"]]}]}`:                  "wrong JSON type",
		`{"annotations":[{"segmentation": {"size": [1, 1], "counts": {}}}]}`: "cannot unmarshal",
	}
	for doc, want := range cases {
		_, err := DecodeBytes([]byte(doc), "bad.json")
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: err %v, want %q", doc, err, want)
		}
	}
	if _, err := LoadFile("testdata/nonexistent.json", ""); err == nil {
		t.Fatal("missing file loaded")
	}
}

func TestNonFiniteNumbers(t *testing.T) {
	doc := `{"images":[{"id":1,"file_name":"a.jpg","width":10,"height":10}],
	"categories":[{"id":3,"name":"x"}],
	"annotations":[
	 {"id":7,"image_id":1,"category_id":3,"bbox":[1,NaN,2,2],"area":4,"iscrowd":0,"segmentation":[[1,1,2,1,2,2]]},
	 {"id":8,"image_id":1,"category_id":3,"bbox":[1,1,2,2],"area":Infinity,"iscrowd":0,"segmentation":[[1,1,-Infinity,1,2,2]]},
	 {"id":9,"image_id":1,"category_id":3,"bbox":[1,1,2,2],"area":4,"iscrowd":0,"segmentation":[[1,1,2,1,2,2]],"note":"NaN in a string"}]}`
	d, err := DecodeBytes([]byte(doc), "nan.json")
	if err != nil {
		t.Fatal(err)
	}
	if !math.IsNaN(d.Annotations[0].BBox[1]) || !math.IsInf(d.Annotations[1].Area, 1) || !math.IsInf(d.Annotations[1].Segmentation.Polygons[0][2], -1) {
		t.Fatalf("non-finite values not restored: %v %v %v", d.Annotations[0].BBox, d.Annotations[1].Area, d.Annotations[1].Segmentation.Polygons)
	}
	if err := d.Usable(&d.Annotations[0]); err == nil || !strings.Contains(err.Error(), "annotation 7") {
		t.Fatalf("Usable: %v", err)
	}
	if err := d.Usable(&d.Annotations[1]); err == nil || !strings.Contains(err.Error(), "annotation 8") {
		t.Fatalf("Usable: %v", err)
	}
	if err := d.Usable(&d.Annotations[2]); err != nil {
		t.Fatal(err)
	}
	rep := d.Validate(ValidateOptions{})
	kinds := problemKinds(rep)
	for _, k := range []string{"nonfinite_bbox/7", "bad_area/8", "bad_polygon/8"} {
		if !kinds[k] {
			t.Errorf("missing problem %s in %v", k, rep.Problems)
		}
	}
}

func problemKinds(r *Report) map[string]bool {
	m := map[string]bool{}
	for _, p := range r.Problems {
		k := p.Kind
		if p.AnnotationID != nil {
			k += "/" + itoa(*p.AnnotationID)
		} else if p.ImageID != nil {
			k += "/img" + itoa(*p.ImageID)
		}
		m[k] = true
	}
	return m
}

func TestValidateProblems(t *testing.T) {
	dir := t.TempDir()
	copyFile(t, "testdata/formats/rgb.jpg", filepath.Join(dir, "ok.jpg"))          // 64x48
	copyFile(t, "testdata/formats/truncated.jpg", filepath.Join(dir, "trunc.jpg")) // corrupt
	copyFile(t, "testdata/formats/notanimage.jpg", filepath.Join(dir, "text.jpg"))
	copyFile(t, "testdata/formats/rgb.png", filepath.Join(dir, "wrongsize.png"))
	doc := `{"images":[
	 {"id":1,"file_name":"ok.jpg","width":64,"height":48},
	 {"id":2,"file_name":"missing.jpg","width":64,"height":48},
	 {"id":3,"file_name":"trunc.jpg","width":64,"height":48},
	 {"id":4,"file_name":"text.jpg","width":64,"height":48},
	 {"id":5,"file_name":"wrongsize.png","width":60,"height":48},
	 {"id":1,"file_name":"dup.jpg","width":64,"height":48},
	 {"id":6,"file_name":"ok.jpg","width":0,"height":48}],
	"categories":[{"id":1,"name":"a"},{"id":2,"name":"b"},{"id":1,"name":"dup"}],
	"annotations":[
	 {"id":10,"image_id":1,"category_id":1,"bbox":[1,1,10,10],"area":100,"iscrowd":0,"segmentation":[[1,1,11,1,11,11]]},
	 {"id":10,"image_id":1,"category_id":1,"bbox":[1,1,10,10],"area":100,"iscrowd":0},
	 {"id":11,"image_id":1,"category_id":1,"bbox":[1,1,-3,10],"area":0,"iscrowd":0},
	 {"id":12,"image_id":1,"category_id":1,"bbox":[70,1,3,3],"area":9,"iscrowd":0},
	 {"id":13,"image_id":1,"category_id":1,"bbox":[50,40,30,30],"area":9,"iscrowd":0},
	 {"id":14,"image_id":1,"category_id":1,"bbox":[1,1,3,3],"area":9,"iscrowd":0,"segmentation":[[1,1,2,2]]},
	 {"id":15,"image_id":1,"category_id":99,"bbox":[1,1,3,3],"area":9,"iscrowd":0},
	 {"id":16,"image_id":42,"category_id":1,"bbox":[1,1,3,3],"area":9,"iscrowd":0},
	 {"id":17,"image_id":1,"category_id":1,"bbox":[1,1,3],"area":9,"iscrowd":0},
	 {"id":18,"image_id":1,"category_id":1,"bbox":[1,1,3,3],"area":9,"iscrowd":1,"segmentation":{"size":[40,64],"counts":[2560]}},
	 {"id":19,"image_id":1,"category_id":1,"bbox":[1,1,3,3],"area":9,"iscrowd":1,"segmentation":{"size":[48,64],"counts":[5,6]}},
	 {"id":20,"image_id":1,"category_id":2,"bbox":[1,1,3,3],"area":9,"iscrowd":1,"segmentation":{"size":[48,64],"counts":[3072]}}]}`
	if err := os.WriteFile(filepath.Join(dir, "ann.json"), []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	d, err := LoadFile(filepath.Join(dir, "ann.json"), dir)
	if err != nil {
		t.Fatal(err)
	}
	rep := d.Validate(ValidateOptions{CheckImages: true, Decode: true, Workers: 2})
	kinds := problemKinds(rep)
	want := []string{
		"duplicate_image_id/img1", "bad_image_size/img6", "duplicate_category_id", "duplicate_annotation_id/10",
		"degenerate_bbox/11", "bbox_outside_image/12", "bbox_exceeds_image/13", "bad_polygon/14",
		"unknown_category_id/15", "unknown_image_id/16", "bad_bbox/17", "rle_size_mismatch/18", "bad_rle/19",
		"missing_image/img2", "corrupt_image/img3", "corrupt_image/img4", "image_size_mismatch/img5",
		"missing_image/img1", // the duplicate entry's file
	}
	for _, k := range want {
		if !kinds[k] {
			t.Errorf("missing problem %s", k)
		}
	}
	if len(rep.Problems) != len(want) {
		for _, p := range rep.Problems {
			t.Log(p)
		}
		t.Errorf("%d problems, want %d", len(rep.Problems), len(want))
	}
	for _, p := range rep.Problems {
		if p.ImageID == nil && p.AnnotationID == nil && p.CategoryID == nil {
			t.Errorf("problem names nothing: %v", p)
		}
	}
	s := rep.Summary
	if s.Images != 7 || s.Annotations != 12 || s.Crowd != 3 || s.RLEAnnotations != 3 || s.PolygonAnnotations != 2 || s.ImagesWithoutAnnotations != 6 {
		t.Errorf("summary %+v", s)
	}
	if s.PerCategory[0].Annotations != 10 || s.PerCategory[1].Annotations != 1 || s.PerCategory[1].Crowd != 1 || s.PerCategory[0].Images != 2 {
		t.Errorf("per category %+v", s.PerCategory)
	}
	SortProblems(rep.Problems)
	if rep.Problems[0].Severity != "error" || rep.Problems[len(rep.Problems)-1].Severity != "warning" {
		t.Errorf("sort order")
	}
	if rep.Errors != len(want)-1 || rep.Warnings != 1 {
		t.Errorf("errors %d warnings %d", rep.Errors, rep.Warnings)
	}
	var buf bytes.Buffer
	if err := json.NewEncoder(&buf).Encode(rep); err != nil {
		t.Fatal(err)
	}
}

func copyFile(t testing.TB, src, dst string) {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestParsePolygonsMatchesJSON(t *testing.T) {
	for _, s := range []string{`[]`, `[[]]`, ` [ [1, 2.5 ,3e2,-4] , [5,6] ] `, `[[1,2],[3]]`, `[[-0.0, 1E-3]]`,
		`[[1,2]`, `[[1,,2]]`, `[[1 2]]`, `[[.5]]`, `[["1"]]`, `[[1,2]] x`, `[[01]]`, `[1,2]`, `[[1.]]`, `[[1.e5]]`, `[[-]]`, `[[1e+]]`, `[[-0.5E+07, 0]]`, `[[+1]]`} {
		var want [][]float64
		wantErr := json.Unmarshal([]byte(s), &want)
		var seg Segmentation
		err := seg.UnmarshalJSON([]byte(s))
		if (err != nil) != (wantErr != nil) {
			t.Errorf("%s: err %v, encoding/json %v", s, err, wantErr)
			continue
		}
		if err == nil {
			gb, _ := json.Marshal(seg.Polygons)
			wb, _ := json.Marshal(want)
			if !bytes.Equal(gb, wb) {
				t.Errorf("%s: got %s want %s", s, gb, wb)
			}
		}
	}
}

func TestInfoYear(t *testing.T) {
	for doc, want := range map[string]int{`{"info":{"year":2017,"description":"d"}}`: 2017, `{"info":{"year":"2014","description":"d"}}`: 2014, `{"info":{"description":"d"}}`: 0, `{"info":{"year":"","description":"d"}}`: 0} {
		d, err := DecodeBytes([]byte(doc), "info.json")
		if err != nil || d.Info.Year != want || d.Info.Description != "d" {
			t.Fatalf("%s: %v %+v", doc, err, d.Info)
		}
	}
	if _, err := DecodeBytes([]byte(`{"info":{"year":"soon"}}`), "info.json"); err == nil {
		t.Fatal("non-numeric year accepted")
	}
}
