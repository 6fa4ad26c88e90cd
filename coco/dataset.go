package coco

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
)

// Dataset is a decoded instances file with its indexes: image, annotation
// and category ids map to slice positions, annotations are grouped by image,
// and category ids map to contiguous labels 1..K (sorted by category id, as
// detectron2 does; label 0 is the background).
//
// Building the indexes never fails: duplicate ids keep their first
// occurrence, annotations of unknown images are left out of ImageAnns, and
// Validate reports all of it. A Dataset is read-only after construction and
// safe for concurrent use.
type Dataset struct {
	File
	// Path is the JSON file it came from ("" when built from memory).
	Path string
	// ImageDir is the folder that Image.FileName is relative to.
	ImageDir string

	imageIndex map[int64]int
	annIndex   map[int64]int
	catIndex   map[int64]int
	// imageAnns[i] lists the annotation positions of image i in file order.
	imageAnns [][]int
	// catIDs[k-1] is the category id of label k.
	catIDs []int64
	labels map[int64]int
}

// LoadFile reads and indexes an instances JSON file. imageDir is where the
// image files are ("" if images are not needed).
func LoadFile(path, imageDir string) (*Dataset, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("coco: %w", err)
	}
	defer f.Close()
	d, err := Decode(f, path)
	if err != nil {
		return nil, err
	}
	d.ImageDir = imageDir
	return d, nil
}

// Decode reads an instances JSON document from r; name is used in errors.
// Truncated or malformed JSON is an error naming the byte offset. The
// non-standard tokens NaN, Infinity and -Infinity that Python's json module
// writes are accepted in numbers, so that Validate can name the annotation
// that holds them.
func Decode(r io.Reader, name string) (*Dataset, error) {
	b, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("coco: %s: %w", name, err)
	}
	return DecodeBytes(b, name)
}

// DecodeBytes is Decode on an in-memory document.
func DecodeBytes(b []byte, name string) (*Dataset, error) {
	var f File
	err := json.Unmarshal(b, &f)
	var se *json.SyntaxError
	if errors.As(err, &se) && se.Offset > 0 && se.Offset <= int64(len(b)) && nonFiniteAt(b, int(se.Offset)-1) {
		if clean, ok := sanitizeNonFinite(b); ok {
			f = File{}
			if err = json.Unmarshal(clean, &f); err == nil {
				restoreNonFinite(&f)
			}
		}
	}
	if err != nil {
		return nil, jsonError(name, len(b), err)
	}
	d := NewDataset(&f)
	d.Path = name
	return d, nil
}

func jsonError(name string, size int, err error) error {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se) && se.Error() == "unexpected end of JSON input":
		return fmt.Errorf("coco: %s: truncated JSON (ends at byte %d inside a value)", name, size)
	case errors.As(err, &se):
		return fmt.Errorf("coco: %s: invalid JSON at byte %d: %v", name, se.Offset, se)
	case errors.As(err, &te):
		return fmt.Errorf("coco: %s: wrong JSON type at byte %d (field %s): %v", name, te.Offset, te.Field, err)
	}
	return fmt.Errorf("coco: %s: %w", name, err)
}

// NewDataset indexes f (which it keeps, not copies).
func NewDataset(f *File) *Dataset {
	d := &Dataset{File: *f}
	d.imageIndex = make(map[int64]int, len(d.Images))
	for i, im := range d.Images {
		if _, dup := d.imageIndex[im.ID]; !dup {
			d.imageIndex[im.ID] = i
		}
	}
	d.catIndex = make(map[int64]int, len(d.Categories))
	for i, c := range d.Categories {
		if _, dup := d.catIndex[c.ID]; !dup {
			d.catIndex[c.ID] = i
		}
	}
	d.catIDs = make([]int64, 0, len(d.catIndex))
	for id := range d.catIndex {
		d.catIDs = append(d.catIDs, id)
	}
	sort.Slice(d.catIDs, func(a, b int) bool { return d.catIDs[a] < d.catIDs[b] })
	d.labels = make(map[int64]int, len(d.catIDs))
	for k, id := range d.catIDs {
		d.labels[id] = k + 1
	}
	d.annIndex = make(map[int64]int, len(d.Annotations))
	counts := make([]int32, len(d.Images))
	for i, a := range d.Annotations {
		if _, dup := d.annIndex[a.ID]; !dup {
			d.annIndex[a.ID] = i
		}
		if ii, ok := d.imageIndex[a.ImageID]; ok {
			counts[ii]++
		}
	}
	// One backing array for all per-image lists.
	back := make([]int, 0, len(d.Annotations))
	d.imageAnns = make([][]int, len(d.Images))
	off := 0
	for i, c := range counts {
		d.imageAnns[i] = back[off : off : off+int(c)]
		off += int(c)
	}
	for i, a := range d.Annotations {
		if ii, ok := d.imageIndex[a.ImageID]; ok {
			d.imageAnns[ii] = append(d.imageAnns[ii], i)
		}
	}
	return d
}

// ImageIndex returns the position in Images of image id.
func (d *Dataset) ImageIndex(id int64) (int, bool) {
	i, ok := d.imageIndex[id]
	return i, ok
}

// AnnotationIndex returns the position in Annotations of annotation id.
func (d *Dataset) AnnotationIndex(id int64) (int, bool) {
	i, ok := d.annIndex[id]
	return i, ok
}

// CategoryIndex returns the position in Categories of category id.
func (d *Dataset) CategoryIndex(id int64) (int, bool) {
	i, ok := d.catIndex[id]
	return i, ok
}

// ImageAnnotations returns the positions in Annotations of the annotations
// of image i (a position in Images), in file order. The slice is shared: do
// not modify it.
func (d *Dataset) ImageAnnotations(i int) []int { return d.imageAnns[i] }

// NumClasses is K, the number of categories (labels run 1..K).
func (d *Dataset) NumClasses() int { return len(d.catIDs) }

// Label maps a category id to its contiguous label in 1..K.
func (d *Dataset) Label(categoryID int64) (int, bool) {
	k, ok := d.labels[categoryID]
	return k, ok
}

// CategoryID maps a label in 1..K back to its category id.
func (d *Dataset) CategoryID(label int) (int64, bool) {
	if label < 1 || label > len(d.catIDs) {
		return 0, false
	}
	return d.catIDs[label-1], true
}

// ClassNames returns the category names by label: index 0 is
// "__background__", index k the name of label k.
func (d *Dataset) ClassNames() []string {
	names := make([]string, len(d.catIDs)+1)
	names[0] = "__background__"
	for k, id := range d.catIDs {
		names[k+1] = d.Categories[d.catIndex[id]].Name
	}
	return names
}

// ImagePath is the file of image i (a position in Images).
func (d *Dataset) ImagePath(i int) string {
	return filepath.Join(d.ImageDir, filepath.FromSlash(d.Images[i].FileName))
}

// Usable reports whether annotation a can train a detector: a known
// category, finite numbers, a box of positive width and height, and a
// well-formed segmentation if any. The error names the annotation id.
func (d *Dataset) Usable(a *Annotation) error {
	if _, ok := d.labels[a.CategoryID]; !ok {
		return fmt.Errorf("annotation %d (image %d): unknown category id %d", a.ID, a.ImageID, a.CategoryID)
	}
	return checkAnnotationGeometry(a)
}

// checkAnnotationGeometry checks the box and segmentation of a.
func checkAnnotationGeometry(a *Annotation) error {
	if len(a.BBox) != 4 {
		return fmt.Errorf("annotation %d (image %d): bbox has %d numbers, want 4", a.ID, a.ImageID, len(a.BBox))
	}
	for _, v := range a.BBox {
		if !finite(v) {
			return fmt.Errorf("annotation %d (image %d): bbox %v has a non-finite number", a.ID, a.ImageID, a.BBox)
		}
	}
	if !(a.BBox[2] > 0 && a.BBox[3] > 0) {
		return fmt.Errorf("annotation %d (image %d): degenerate bbox %v (width and height must be > 0)", a.ID, a.ImageID, a.BBox)
	}
	if s := a.Segmentation; s != nil {
		if err := s.check(); err != nil {
			return fmt.Errorf("annotation %d (image %d): %w", a.ID, a.ImageID, err)
		}
	}
	return nil
}

// TrainImages returns the positions of the images to train on. With
// filterEmpty, images without at least one usable non-crowd annotation are
// left out (detectron2's filter_images_with_only_crowd_annotations, plus
// unusable annotations); otherwise every image is returned.
func (d *Dataset) TrainImages(filterEmpty bool) []int {
	out := make([]int, 0, len(d.Images))
	for i := range d.Images {
		if !filterEmpty {
			out = append(out, i)
			continue
		}
		for _, ai := range d.imageAnns[i] {
			a := &d.Annotations[ai]
			if a.IsCrowd == 0 && d.Usable(a) == nil {
				out = append(out, i)
				break
			}
		}
	}
	return out
}
