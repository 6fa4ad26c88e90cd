package eval

import (
	"fmt"
	"math"

	"github.com/gcdet/gcdet/coco"
)

// scanGT decodes an instances JSON file into a coco.File with the results
// scanner, reading only what evaluation uses (images: id, width, height,
// file_name; annotations: id, image_id, category_id, bbox, area, iscrowd,
// segmentation; categories: id, name, supercategory) and skipping the rest.
// It gives the same File as encoding/json for those fields (see the
// differential test) in a fraction of the time.
func scanGT(b []byte) (*coco.File, error) {
	s := &scanner{b: b, what: "ground truth"}
	f := &coco.File{}
	if s.peek() != '{' {
		return nil, fmt.Errorf("eval: ground truth must be a JSON object")
	}
	err := s.object(func(k string) error {
		switch k {
		case "images":
			f.Images = f.Images[:0]
			return s.nullOrList(func() error {
				var im coco.Image
				err := s.object(func(k string) error { return s.imageField(&im, k) })
				f.Images = append(f.Images, im)
				return err
			})
		case "annotations":
			f.Annotations = f.Annotations[:0]
			return s.nullOrList(func() error {
				var a coco.Annotation
				err := s.object(func(k string) error { return s.annotationField(&a, k) })
				f.Annotations = append(f.Annotations, a)
				return err
			})
		case "categories":
			f.Categories = f.Categories[:0]
			return s.nullOrList(func() error {
				var c coco.Category
				err := s.object(func(k string) error { return s.categoryField(&c, k) })
				f.Categories = append(f.Categories, c)
				return err
			})
		}
		return s.skip(1)
	})
	if err != nil {
		return nil, err
	}
	if s.peek() != 0 {
		return nil, s.errf("invalid character %q after the ground truth object", s.b[s.i])
	}
	return f, nil
}

func (s *scanner) nullOrList(elem func() error) error {
	if isNull, err := s.null(); isNull || err != nil {
		return err
	}
	return s.list(elem)
}

// int reads an integer that fits an int.
func (s *scanner) int() (int, error) {
	v, err := s.integer()
	if err == nil && (v > math.MaxInt32 || v < math.MinInt32) {
		err = s.errf("integer %d out of range", v)
	}
	return int(v), err
}

func (s *scanner) imageField(im *coco.Image, k string) (err error) {
	switch k {
	case "id":
		im.ID, err = s.integer()
	case "width":
		im.Width, err = s.int()
	case "height":
		im.Height, err = s.int()
	case "file_name":
		im.FileName, err = s.str()
	default:
		err = s.skip(1)
	}
	return err
}

func (s *scanner) categoryField(c *coco.Category, k string) (err error) {
	switch k {
	case "id":
		c.ID, err = s.integer()
	case "name":
		c.Name, err = s.str()
	case "supercategory":
		c.Supercategory, err = s.str()
	default:
		err = s.skip(1)
	}
	return err
}

func (s *scanner) annotationField(a *coco.Annotation, k string) (err error) {
	switch k {
	case "id":
		a.ID, err = s.integer()
	case "image_id":
		a.ImageID, err = s.integer()
	case "category_id":
		a.CategoryID, err = s.integer()
	case "bbox":
		var isNull bool
		if isNull, err = s.null(); err == nil && !isNull {
			a.BBox, err = s.floats()
		} else {
			a.BBox = nil
		}
	case "area":
		a.Area, err = s.float()
	case "iscrowd":
		a.IsCrowd, err = s.int()
	case "segmentation":
		var isNull bool
		if isNull, err = s.null(); err == nil && !isNull {
			seg, counts, err2 := s.segmentation()
			if err2 != nil {
				return err2
			}
			cs := coco.Segmentation(*seg)
			if counts != nil {
				cs.CountsString = string(counts)
			}
			a.Segmentation = &cs
		} else {
			a.Segmentation = nil
		}
	default:
		err = s.skip(1)
	}
	return err
}
