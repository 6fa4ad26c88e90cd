package eval

import (
	"bytes"
	"encoding/json"
	"os"
	"reflect"
	"testing"
	"unicode/utf8"

	"github.com/gcdet/gcdet/coco"
)

// refGT decodes with encoding/json into coco.File, keeping only the fields
// scanGT reads.
func refGT(b []byte) (*coco.File, error) {
	var f coco.File
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, err
	}
	return trimGT(&f), nil
}

func trimGT(f *coco.File) *coco.File {
	out := &coco.File{}
	for _, im := range f.Images {
		out.Images = append(out.Images, coco.Image{ID: im.ID, Width: im.Width, Height: im.Height, FileName: im.FileName})
	}
	for _, a := range f.Annotations {
		if len(a.BBox) == 0 {
			a.BBox = nil
		}
		if s := a.Segmentation; s != nil {
			c := *s
			if len(c.Counts) == 0 && c.IsRLE && c.CountsString == "" && c.Counts != nil {
				c.Counts = []uint32{}
			}
			if len(c.Polygons) == 0 {
				c.Polygons = nil
			}
			for i, p := range c.Polygons {
				if len(p) == 0 {
					c.Polygons[i] = []float64{}
				}
			}
			a.Segmentation = &c
		}
		out.Annotations = append(out.Annotations, a)
	}
	out.Categories = append(out.Categories, f.Categories...)
	return out
}

func TestScanGTMatchesEncodingJSON(t *testing.T) {
	inputs := [][]byte{readGz(t, "instances_val2014_100.json.gz")}
	var cases []edgeCase
	if err := json.Unmarshal(readGz(t, "edge_cases.json.gz"), &cases); err != nil {
		t.Fatal(err)
	}
	for _, c := range cases {
		inputs = append(inputs, c.GT)
	}
	// The shared data sets, when present (they are not needed by CI).
	for _, p := range []string{
		"../../shared/data/coco128/annotations/instances_train2017.json",
		"../../shared/data/tiny_coco/annotations/instances_val2017.json",
	} {
		if b, err := os.ReadFile(p); err == nil {
			inputs = append(inputs, b)
		}
	}
	inputs = append(inputs, []byte(`{"info": {"year": "2017"}, "licenses": null, "images": [{"id": 1, "width": 3, "height": 2, "file_name": "a\\b.jpg", "coco_url": "x"}],
		"annotations": [{"id": 5, "image_id": 1, "category_id": 2, "bbox": [0, 0, 1, 1], "area": 1.5, "iscrowd": 1,
		"segmentation": {"size": [2, 3], "counts": [1, 2, 3]}, "keypoints": [1, 2, 3]}],
		"categories": [{"id": 2, "name": "b\u00e9", "supercategory": "s"}]}`))
	for i, in := range inputs {
		got, err := scanGT(in)
		if err != nil {
			t.Fatalf("input %d: %v", i, err)
		}
		want, err := refGT(in)
		if err != nil {
			t.Fatalf("input %d: reference: %v", i, err)
		}
		if g := trimGT(got); !reflect.DeepEqual(g, want) {
			t.Errorf("input %d: scanGT and encoding/json differ", i)
		}
	}
}

func TestScanGTRejects(t *testing.T) {
	for _, in := range []string{
		``, `[]`, `{"images": [{"id": "1"}]}`, `{"images": [{"width": 1.5}]}`, `{"annotations": [{"bbox": [NaN]}]}`,
		`{"annotations": [{"segmentation": {"size": [1, 1]}}]}`, `{"images": []} {}`, `{"images": [}`,
	} {
		if _, err := ParseGT([]byte(in)); err == nil {
			t.Errorf("%q: no error", in)
		}
	}
}

// FuzzScanGT: no panics; whatever encoding/json accepts (with exact-case
// keys and valid UTF-8, as Python's json) scanGT accepts identically.
func FuzzScanGT(f *testing.F) {
	f.Add([]byte(`{"images": [{"id": 1, "width": 3, "height": 2}], "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "bbox": [0, 0, 1, 1], "area": 1, "iscrowd": 0, "segmentation": [[0, 0, 1, 0, 1, 1]]}], "categories": [{"id": 1, "name": "a"}]}`))
	f.Add([]byte(`{"annotations": [{"segmentation": {"size": [2, 3], "counts": "06"}}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		got, err := scanGT(b)
		if !utf8.Valid(b) {
			return
		}
		lower := bytes.ToLower(b)
		for _, k := range []string{"images", "annotations", "categories", "id", "width", "height", "file_name", "image_id", "category_id", "bbox", "area", "iscrowd", "segmentation", "size", "counts", "name", "supercategory"} {
			if bytes.Count(lower, []byte(`"`+k+`"`)) != bytes.Count(b, []byte(`"`+k+`"`)) {
				return
			}
		}
		want, refErr := refGT(b)
		if refErr != nil || err != nil {
			return // the two may differ on what they reject (coco's own checks)
		}
		if g := trimGT(got); !reflect.DeepEqual(g, want) {
			t.Fatalf("scanGT and encoding/json differ on %q", b)
		}
	})
}
