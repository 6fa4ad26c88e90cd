package coco

import (
	"fmt"
	"math"
	"os"
	"sort"
	"sync"
)

// Problem is one thing wrong with a data set, naming where it is. Ids are
// pointers because 0 is a valid COCO id.
type Problem struct {
	// Severity is "error" (the loader cannot use the item) or "warning"
	// (usable, but suspicious).
	Severity     string `json:"severity"`
	Kind         string `json:"kind"`
	ImageID      *int64 `json:"image_id,omitempty"`
	AnnotationID *int64 `json:"annotation_id,omitempty"`
	CategoryID   *int64 `json:"category_id,omitempty"`
	File         string `json:"file,omitempty"`
	Message      string `json:"message"`
}

// String is a one-line form: severity, kind, ids, message.
func (p Problem) String() string {
	s := p.Severity + " " + p.Kind
	if p.ImageID != nil {
		s += fmt.Sprintf(" image=%d", *p.ImageID)
	}
	if p.AnnotationID != nil {
		s += fmt.Sprintf(" annotation=%d", *p.AnnotationID)
	}
	if p.CategoryID != nil {
		s += fmt.Sprintf(" category=%d", *p.CategoryID)
	}
	if p.File != "" {
		s += " file=" + p.File
	}
	return s + ": " + p.Message
}

// CategoryCount is one category's line of the summary.
type CategoryCount struct {
	ID          int64  `json:"id"`
	Label       int    `json:"label"`
	Name        string `json:"name"`
	Annotations int    `json:"annotations"`
	Crowd       int    `json:"crowd"`
	Images      int    `json:"images"`
}

// Summary counts what a data set holds.
type Summary struct {
	Images                   int             `json:"images"`
	Annotations              int             `json:"annotations"`
	Categories               int             `json:"categories"`
	Crowd                    int             `json:"crowd"`
	PolygonAnnotations       int             `json:"polygon_annotations"`
	RLEAnnotations           int             `json:"rle_annotations"`
	ImagesWithoutAnnotations int             `json:"images_without_annotations"`
	PerCategory              []CategoryCount `json:"per_category"`
}

// Report is the result of Validate.
type Report struct {
	File     string    `json:"file,omitempty"`
	ImageDir string    `json:"image_dir,omitempty"`
	Summary  Summary   `json:"summary"`
	Problems []Problem `json:"problems"`
	// Errors and Warnings count Problems by severity.
	Errors   int `json:"errors"`
	Warnings int `json:"warnings"`
}

// ValidateOptions selects the checks that read image files.
type ValidateOptions struct {
	// CheckImages opens every image file (needs Dataset.ImageDir).
	CheckImages bool
	// Decode decodes whole images (finds truncated or corrupt data);
	// otherwise only headers are read (size and format).
	Decode bool
	// Workers read images in parallel (default 1).
	Workers int
	// BoxTolerance is how far (pixels) a box may extend past the image
	// before it is reported (default 1).
	BoxTolerance float64
}

func id(v int64) *int64 { return &v }

// Validate checks the data set and counts it. It never fails: everything
// found is a Problem.
func (d *Dataset) Validate(opts ValidateOptions) *Report {
	r := &Report{File: d.Path, ImageDir: d.ImageDir, Problems: []Problem{}}
	tol := opts.BoxTolerance
	if tol == 0 {
		tol = 1
	}
	add := func(p Problem) { r.Problems = append(r.Problems, p) }
	errorf := func(kind string, img, ann, cat *int64, file, format string, args ...any) {
		add(Problem{Severity: "error", Kind: kind, ImageID: img, AnnotationID: ann, CategoryID: cat, File: file, Message: fmt.Sprintf(format, args...)})
	}
	warnf := func(kind string, img, ann, cat *int64, file, format string, args ...any) {
		add(Problem{Severity: "warning", Kind: kind, ImageID: img, AnnotationID: ann, CategoryID: cat, File: file, Message: fmt.Sprintf(format, args...)})
	}

	// Ids.
	for i, c := range d.Categories {
		if first := d.catIndex[c.ID]; first != i {
			errorf("duplicate_category_id", nil, nil, id(c.ID), "", "category id %d appears at positions %d and %d", c.ID, first, i)
		}
	}
	for i, im := range d.Images {
		if first := d.imageIndex[im.ID]; first != i {
			errorf("duplicate_image_id", id(im.ID), nil, nil, im.FileName, "image id %d appears at positions %d and %d", im.ID, first, i)
		}
		if im.Width <= 0 || im.Height <= 0 {
			errorf("bad_image_size", id(im.ID), nil, nil, im.FileName, "JSON size %dx%d must be positive", im.Width, im.Height)
		}
		if im.FileName == "" {
			errorf("missing_file_name", id(im.ID), nil, nil, "", "image has no file_name")
		}
	}

	// Annotations.
	perCat := make(map[int64]*CategoryCount, len(d.Categories))
	catImages := make(map[int64]map[int64]struct{})
	for k, cid := range d.catIDs {
		c := d.Categories[d.catIndex[cid]]
		perCat[cid] = &CategoryCount{ID: cid, Label: k + 1, Name: c.Name}
		catImages[cid] = map[int64]struct{}{}
	}
	for i := range d.Annotations {
		a := &d.Annotations[i]
		aid, iid := id(a.ID), id(a.ImageID)
		if first := d.annIndex[a.ID]; first != i {
			errorf("duplicate_annotation_id", iid, aid, nil, "", "annotation id %d appears at positions %d and %d", a.ID, first, i)
		}
		if a.IsCrowd != 0 {
			r.Summary.Crowd++
		}
		if a.Segmentation != nil {
			if a.Segmentation.IsRLE {
				r.Summary.RLEAnnotations++
			} else if len(a.Segmentation.Polygons) > 0 {
				r.Summary.PolygonAnnotations++
			}
		}
		ii, imgOK := d.imageIndex[a.ImageID]
		var im *Image
		file := ""
		if !imgOK {
			errorf("unknown_image_id", iid, aid, nil, "", "annotation refers to image id %d, which is not in images", a.ImageID)
		} else {
			im = &d.Images[ii]
			file = im.FileName
		}
		if pc, ok := perCat[a.CategoryID]; ok {
			pc.Annotations++
			if a.IsCrowd != 0 {
				pc.Crowd++
			}
			catImages[a.CategoryID][a.ImageID] = struct{}{}
		} else {
			errorf("unknown_category_id", iid, aid, id(a.CategoryID), file, "category id %d is not in categories", a.CategoryID)
		}
		if a.IsCrowd != 0 && a.IsCrowd != 1 {
			warnf("bad_iscrowd", iid, aid, nil, file, "iscrowd is %d, want 0 or 1", a.IsCrowd)
		}
		if !finite(a.Area) || a.Area < 0 {
			warnf("bad_area", iid, aid, nil, file, "area %v must be finite and >= 0", a.Area)
		}
		boxOK := false
		switch {
		case len(a.BBox) != 4:
			errorf("bad_bbox", iid, aid, nil, file, "bbox has %d numbers, want 4", len(a.BBox))
		case !finite(a.BBox[0]) || !finite(a.BBox[1]) || !finite(a.BBox[2]) || !finite(a.BBox[3]):
			errorf("nonfinite_bbox", iid, aid, nil, file, "bbox %v has a non-finite number", a.BBox)
		case !(a.BBox[2] > 0 && a.BBox[3] > 0):
			errorf("degenerate_bbox", iid, aid, nil, file, "bbox %v has width or height <= 0", a.BBox)
		default:
			boxOK = true
		}
		if boxOK && im != nil && im.Width > 0 && im.Height > 0 {
			b := XYWHToXYXY(a.BBox)
			W, H := float64(im.Width), float64(im.Height)
			if b[0] >= W || b[1] >= H || b[2] <= 0 || b[3] <= 0 {
				errorf("bbox_outside_image", iid, aid, nil, file, "bbox %v lies outside the %dx%d image", a.BBox, im.Width, im.Height)
			} else if b[0] < -tol || b[1] < -tol || b[2] > W+tol || b[3] > H+tol {
				warnf("bbox_exceeds_image", iid, aid, nil, file, "bbox %v extends past the %dx%d image by more than %g px", a.BBox, im.Width, im.Height, tol)
			}
		}
		if a.Segmentation != nil {
			d.validateSegmentation(a, im, file, errorf, warnf)
		}
	}
	for _, cid := range d.catIDs {
		pc := perCat[cid]
		pc.Images = len(catImages[cid])
		r.Summary.PerCategory = append(r.Summary.PerCategory, *pc)
	}
	r.Summary.Images = len(d.Images)
	r.Summary.Annotations = len(d.Annotations)
	r.Summary.Categories = len(d.Categories)
	for i := range d.Images {
		if len(d.imageAnns[i]) == 0 {
			r.Summary.ImagesWithoutAnnotations++
		}
	}

	if opts.CheckImages {
		r.Problems = append(r.Problems, d.checkImages(opts)...)
	}
	for _, p := range r.Problems {
		if p.Severity == "error" {
			r.Errors++
		} else {
			r.Warnings++
		}
	}
	return r
}

type problemf func(kind string, img, ann, cat *int64, file, format string, args ...any)

func (d *Dataset) validateSegmentation(a *Annotation, im *Image, file string, errorf, warnf problemf) {
	s := a.Segmentation
	aid, iid := id(a.ID), id(a.ImageID)
	if !s.IsRLE {
		if len(s.Polygons) == 0 && a.IsCrowd == 0 {
			warnf("empty_segmentation", iid, aid, nil, file, "segmentation has no polygon")
		}
		for j, p := range s.Polygons {
			if err := checkPolygon(p); err != nil {
				errorf("bad_polygon", iid, aid, nil, file, "polygon %d: %v", j, err)
				continue
			}
			if im != nil && im.Width > 0 && im.Height > 0 {
				W, H := float64(im.Width), float64(im.Height)
				for k := 0; k < len(p); k += 2 {
					if p[k] < -1 || p[k+1] < -1 || p[k] > W+1 || p[k+1] > H+1 {
						warnf("polygon_exceeds_image", iid, aid, nil, file, "polygon %d point (%g, %g) is outside the %dx%d image", j, p[k], p[k+1], im.Width, im.Height)
						break
					}
				}
			}
		}
		return
	}
	if err := s.check(); err != nil {
		errorf("bad_rle", iid, aid, nil, file, "%v", err)
		return
	}
	if im != nil && (s.Size[0] != im.Height || s.Size[1] != im.Width) {
		errorf("rle_size_mismatch", iid, aid, nil, file, "RLE size [h=%d, w=%d] differs from the image's %dx%d", s.Size[0], s.Size[1], im.Width, im.Height)
	}
}

// checkImages opens every image file and compares its size to the JSON's.
func (d *Dataset) checkImages(opts ValidateOptions) []Problem {
	workers := max(opts.Workers, 1)
	results := make([][]Problem, len(d.Images))
	var wg sync.WaitGroup
	next := make(chan int)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				results[i] = d.checkImage(i, opts.Decode)
			}
		}()
	}
	for i := range d.Images {
		next <- i
	}
	close(next)
	wg.Wait()
	var out []Problem
	for _, r := range results {
		out = append(out, r...)
	}
	return out
}

func (d *Dataset) checkImage(i int, decode bool) []Problem {
	im := &d.Images[i]
	if im.FileName == "" {
		return nil
	}
	p := Problem{Severity: "error", ImageID: id(im.ID), File: im.FileName}
	b, err := os.ReadFile(d.ImagePath(i))
	if err != nil {
		p.Kind, p.Message = "missing_image", err.Error()
		if !os.IsNotExist(err) {
			p.Kind = "unreadable_image"
		}
		return []Problem{p}
	}
	w, h, _, err := DecodeImageConfig(b)
	if err == nil && decode {
		var img *RGB
		img, err = DecodeImage(b)
		if err == nil {
			w, h = img.W, img.H
		}
	}
	if err != nil {
		p.Kind, p.Message = "corrupt_image", err.Error()
		return []Problem{p}
	}
	if im.Width > 0 && im.Height > 0 && (w != im.Width || h != im.Height) {
		p.Kind, p.Message = "image_size_mismatch", fmt.Sprintf("file is %dx%d, JSON says %dx%d", w, h, im.Width, im.Height)
		return []Problem{p}
	}
	return nil
}

// SortProblems orders problems by severity (errors first), kind, image id
// and annotation id, for stable output.
func SortProblems(ps []Problem) {
	key := func(v *int64) int64 {
		if v == nil {
			return math.MinInt64
		}
		return *v
	}
	sort.SliceStable(ps, func(a, b int) bool {
		pa, pb := ps[a], ps[b]
		if pa.Severity != pb.Severity {
			return pa.Severity == "error"
		}
		if pa.Kind != pb.Kind {
			return pa.Kind < pb.Kind
		}
		if key(pa.ImageID) != key(pb.ImageID) {
			return key(pa.ImageID) < key(pb.ImageID)
		}
		return key(pa.AnnotationID) < key(pb.AnnotationID)
	})
}
