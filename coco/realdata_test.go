package coco

import (
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/gcdet/gcdet/coco/mask"
)

// Tests on ../shared/data (present on developer machines; skipped where the
// checkout stands alone). The committed testdata/mini fixture covers the
// same paths for CI.

const sharedData = "../../shared/data"

type realSet struct{ name, ann, images string }

func realSets(t *testing.T) []realSet {
	if _, err := os.Stat(sharedData); err != nil {
		t.Skipf("%s not present: %v", sharedData, err)
	}
	return []realSet{
		{"tiny_coco/train", "tiny_coco/annotations/instances_train2017.json", "tiny_coco/train2017"},
		{"tiny_coco/val", "tiny_coco/annotations/instances_val2017.json", "tiny_coco/val2017"},
		{"coco128", "coco128/annotations/instances_train2017.json", "coco128/train2017"},
	}
}

// genericCounts decodes the JSON without our types, as an independent count.
func genericCounts(t *testing.T, path string) (images, anns, cats, crowd int, perImage map[int64]int) {
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string][]map[string]any
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		t.Fatal(err)
	}
	doc = map[string][]map[string]any{}
	for _, k := range []string{"images", "annotations", "categories"} {
		var v []map[string]any
		if err := json.Unmarshal(raw[k], &v); err != nil {
			t.Fatal(err)
		}
		doc[k] = v
	}
	perImage = map[int64]int{}
	for _, a := range doc["annotations"] {
		perImage[int64(a["image_id"].(float64))]++
		if a["iscrowd"].(float64) != 0 {
			crowd++
		}
	}
	return len(doc["images"]), len(doc["annotations"]), len(doc["categories"]), crowd, perImage
}

func TestRealDataLoadsCompletely(t *testing.T) {
	for _, rs := range realSets(t) {
		t.Run(rs.name, func(t *testing.T) {
			annPath := filepath.Join(sharedData, rs.ann)
			d, err := LoadFile(annPath, filepath.Join(sharedData, rs.images))
			if err != nil {
				t.Fatal(err)
			}
			ni, na, nc, crowd, perImage := genericCounts(t, annPath)
			if len(d.Images) != ni || len(d.Annotations) != na || len(d.Categories) != nc {
				t.Fatalf("counts %d/%d/%d, JSON %d/%d/%d", len(d.Images), len(d.Annotations), len(d.Categories), ni, na, nc)
			}
			rep := d.Validate(ValidateOptions{CheckImages: true, Workers: 2}) // the loader below decodes every image
			if rep.Summary.Crowd != crowd || rep.Errors != 0 {
				for _, p := range rep.Problems {
					t.Log(p)
				}
				t.Fatalf("crowd %d (JSON %d), %d errors", rep.Summary.Crowd, crowd, rep.Errors)
			}
			for i, im := range d.Images {
				if len(d.ImageAnnotations(i)) != perImage[im.ID] {
					t.Fatalf("image %d: %d annotations, JSON %d", im.ID, len(d.ImageAnnotations(i)), perImage[im.ID])
				}
			}
			// Every mask decodes to its image's size, with a positive area.
			for _, a := range d.Annotations {
				im := d.Images[mustIndex(t, d, a.ImageID)]
				r, err := mask.FrSegmentation(mask.Segmentation(*a.Segmentation), im.Height, im.Width)
				if err != nil {
					t.Fatalf("annotation %d: %v", a.ID, err)
				}
				if r.H != im.Height || r.W != im.Width || r.Area() <= 0 {
					t.Fatalf("annotation %d: mask %dx%d area %d for a %dx%d image", a.ID, r.W, r.H, r.Area(), im.Width, im.Height)
				}
				m, err := r.DecodeRowMajor()
				if err != nil || len(m) != im.Width*im.Height {
					t.Fatalf("annotation %d: decoded %d pixels, %v", a.ID, len(m), err)
				}
			}
			// The whole set goes through the loader (one ordered pass, masks on).
			cfg := TestLoaderConfig()
			cfg.Transform = smallTransform()
			cfg.Masks = true
			cfg.BatchSize = 4
			l, err := NewLoader(context.Background(), d, cfg)
			if err != nil {
				t.Fatal(err)
			}
			defer l.Close()
			n, inst := 0, 0
			for {
				b, err := l.Next()
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				for _, s := range b.Samples {
					n++
					inst += len(s.Boxes)
					checkSample(t, d, s)
					for k, m := range s.Masks {
						r, err := m.RLE(s.H, s.W)
						if err != nil {
							t.Fatalf("annotation %d: %v", s.AnnIDs[k], err)
						}
						if r.H != s.H || r.W != s.W {
							t.Fatalf("annotation %d: transformed mask %dx%d for %dx%d", s.AnnIDs[k], r.W, r.H, s.W, s.H)
						}
					}
				}
			}
			if n != len(d.Images) || inst != len(d.Annotations) {
				t.Fatalf("loader gave %d images / %d instances, want %d / %d", n, inst, len(d.Images), len(d.Annotations))
			}
		})
	}
}

func mustIndex(t *testing.T, d *Dataset, id int64) int {
	i, ok := d.ImageIndex(id)
	if !ok {
		t.Fatalf("image %d not indexed", id)
	}
	return i
}
