package eval

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
	"unicode/utf8"

	"github.com/gcdet/gcdet/coco"
	"github.com/gcdet/gcdet/coco/mask"
)

// refScan parses a results file with encoding/json and coco.Segmentation:
// the reference the scanner is checked against.
func refScan(b []byte) ([]rawResult, error) {
	var raw []struct {
		ImageID      *int64             `json:"image_id"`
		CategoryID   *int64             `json:"category_id"`
		BBox         []float64          `json:"bbox"`
		Score        *float64           `json:"score"`
		Segmentation *coco.Segmentation `json:"segmentation"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return nil, err
	}
	out := make([]rawResult, len(raw))
	for i, r := range raw {
		o := &out[i]
		if r.ImageID != nil {
			o.hasImage, o.imageID = true, *r.ImageID
		}
		if r.CategoryID != nil {
			o.hasCat, o.catID = true, *r.CategoryID
		}
		if r.Score != nil {
			o.hasScore, o.score = true, *r.Score
		}
		o.bbox = r.BBox
		if r.Segmentation != nil {
			s := mask.Segmentation(*r.Segmentation)
			o.seg = &s
		}
	}
	return out, nil
}

func sameRaw(a, b []rawResult) bool {
	if len(a) != len(b) {
		return false
	}
	fold := func(rs []rawResult) []rawResult {
		out := make([]rawResult, len(rs))
		for i, r := range rs {
			if r.counts != nil {
				s := *r.seg
				s.CountsString, s.Counts = string(r.counts), nil
				r.seg, r.counts = &s, nil
			}
			out[i] = r
		}
		return out
	}
	a, b = fold(a), fold(b)
	for i := range a {
		x, y := a[i], b[i]
		if len(x.bbox) == 0 && len(y.bbox) == 0 {
			x.bbox, y.bbox = nil, nil
		}
		if (x.seg == nil) != (y.seg == nil) {
			return false
		}
		if x.seg != nil {
			sx, sy := *x.seg, *y.seg
			x.seg, y.seg = nil, nil
			if len(sx.Counts) == 0 && len(sy.Counts) == 0 {
				sx.Counts, sy.Counts = nil, nil
			}
			if len(sx.Polygons) == 0 && len(sy.Polygons) == 0 {
				sx.Polygons, sy.Polygons = nil, nil
			}
			if !reflect.DeepEqual(sx, sy) {
				return false
			}
		}
		if !reflect.DeepEqual(x, y) {
			return false
		}
	}
	return true
}

func TestScannerMatchesEncodingJSON(t *testing.T) {
	inputs := [][]byte{
		readGz(t, "instances_val2014_fakebbox100_results.json.gz"),
		readGz(t, "instances_val2014_fakesegm100_results.json.gz"),
		[]byte(` [ ] `),
		[]byte(`[{"image_id": 1, "category_id": 2, "bbox": [1e2, -0.5, 3E-1, 4], "score": 0.25, "id": 7, "extra": {"a": [true, false, null, "x\"y"]}}]`),
		[]byte(`[{"image_id": 1, "category_id": 2, "segmentation": {"size": [3, 4], "counts": "a\\b\"c\u0041", "x": 1}, "score": 1}]`),
		[]byte(`[{"image_id": 1, "category_id": 2, "segmentation": {"counts": [1, 2, 9], "size": [3, 4]}, "score": 1, "score": 2}]`),
		[]byte(`[{"image_id": 1, "category_id": 2, "segmentation": [[1, 2, 3, 4, 5, 6], []], "bbox": null, "score": 1}]`),
	}
	var cases []edgeCase
	if err := json.Unmarshal(readGz(t, "edge_cases.json.gz"), &cases); err != nil {
		t.Fatal(err)
	}
	for _, c := range cases {
		inputs = append(inputs, c.DT)
	}
	for i, in := range inputs {
		got, err := scanResults(in)
		if err != nil {
			t.Fatalf("input %d: %v", i, err)
		}
		want, err := refScan(in)
		if err != nil {
			t.Fatalf("input %d: reference: %v", i, err)
		}
		if !sameRaw(got, want) {
			t.Errorf("input %d: scanner and encoding/json differ", i)
		}
	}
}

func TestScannerRejects(t *testing.T) {
	for _, in := range []string{
		``, `[`, `[{]`, `[{"image_id": 1,}]`, `[{"image_id": 01}]`, `[{"score": .5}]`, `[{"score": 1.}]`,
		`[{"score": NaN}]`, `[{"score": Infinity}]`, `[{"score": -}]`, `[{"score": 1e}]`, `[{"score": 1e999}]`,
		`[1]`, `[{}] x`, `[{}],`, `[{"a": "b}]`, "[{\"a\": \"\x01\"}]", `[{"a": tru}]`,
		`[{"image_id": 1.5}]`, `[{"image_id": "1"}]`, `[{"segmentation": {"size": [1, 2]}}]`,
		`[{"segmentation": {"size": [1], "counts": "0"}}]`, `[{"segmentation": 5}]`,
		`[{"segmentation": {"size": [1, 2], "counts": [-1]}}]`, `[{"bbox": [1, "2"]}]`,
	} {
		if _, err := scanResults([]byte(in)); err == nil {
			t.Errorf("%q: no error", in)
		}
	}
	// Integral floats are ids, as in Python.
	r, err := scanResults([]byte(`[{"image_id": 42.0, "category_id": 1e1}]`))
	if err != nil || r[0].imageID != 42 || r[0].catID != 10 {
		t.Errorf("integral float ids: %v %v", r, err)
	}
}

// FuzzScanResults: the scanner never panics, and accepts whatever
// encoding/json accepts, with the same values.
func FuzzScanResults(f *testing.F) {
	f.Add([]byte(`[{"image_id": 1, "category_id": 2, "bbox": [1, 2, 3, 4], "score": 0.5}]`))
	f.Add([]byte(`[{"image_id": 1, "category_id": 2, "segmentation": {"size": [3, 4], "counts": "a\\b"}, "score": 1}]`))
	f.Add([]byte(`[{"image_id": 1, "segmentation": [[1, 2, 3, 4, 5, 6]], "x": {"y": [null, true]}}]`))
	f.Fuzz(func(t *testing.T, b []byte) {
		got, err := scanResults(b)
		// encoding/json matches keys case-insensitively and replaces
		// invalid UTF-8; Python's json (pycocotools) and the scanner do
		// neither, so such inputs are not comparable.
		if !utf8.Valid(b) {
			return
		}
		lower := bytes.ToLower(b)
		for _, k := range []string{"image_id", "category_id", "bbox", "score", "segmentation", "size", "counts"} {
			if bytes.Count(lower, []byte(`"`+k+`"`)) != bytes.Count(b, []byte(`"`+k+`"`)) {
				return
			}
		}
		want, refErr := refScan(b)
		if refErr == nil && err == nil && !sameRaw(got, want) {
			t.Fatalf("scanner and encoding/json differ on %q", b)
		}
		if refErr == nil && err != nil && len(want) > 0 {
			// encoding/json accepts what the scanner rejects: only
			// acceptable where the scanner is stricter on purpose
			// (segmentation shape, RLE without size or counts).
			for _, w := range want {
				if w.seg != nil {
					return
				}
			}
			t.Fatalf("scanner rejects %q: %v", b, err)
		}
	})
}
