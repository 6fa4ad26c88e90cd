// Package coco reads and writes COCO-format detection data: the instances
// JSON (images, annotations, categories), segmentations (polygons and RLE,
// with the mask codec in package coco/mask), images, transforms, the data
// loader and the synthetic shapes data set.
//
// COCO's XYWH boxes exist only at this package's JSON boundary; the model
// sees XYXY boxes in absolute pixels and contiguous labels 1..K.
package coco

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// Info is the optional "info" block.
type Info struct {
	Description string `json:"description,omitempty"`
	URL         string `json:"url,omitempty"`
	Version     string `json:"version,omitempty"`
	Year        int    `json:"year,omitempty"`
	Contributor string `json:"contributor,omitempty"`
	DateCreated string `json:"date_created,omitempty"`
}

// License is an entry of "licenses".
type License struct {
	ID   int64  `json:"id"`
	Name string `json:"name,omitempty"`
	URL  string `json:"url,omitempty"`
}

// Image is an entry of "images".
type Image struct {
	ID           int64  `json:"id"`
	FileName     string `json:"file_name"`
	Width        int    `json:"width"`
	Height       int    `json:"height"`
	License      int64  `json:"license,omitempty"`
	CocoURL      string `json:"coco_url,omitempty"`
	FlickrURL    string `json:"flickr_url,omitempty"`
	DateCaptured string `json:"date_captured,omitempty"`
}

// Category is an entry of "categories".
type Category struct {
	ID            int64  `json:"id"`
	Name          string `json:"name"`
	Supercategory string `json:"supercategory,omitempty"`
}

// Annotation is an entry of "annotations" (one object instance).
type Annotation struct {
	ID         int64 `json:"id"`
	ImageID    int64 `json:"image_id"`
	CategoryID int64 `json:"category_id"`
	// BBox is [x, y, width, height] in pixels.
	BBox         []float64     `json:"bbox"`
	Area         float64       `json:"area"`
	IsCrowd      int           `json:"iscrowd"`
	Segmentation *Segmentation `json:"segmentation,omitempty"`
}

// Segmentation is COCO's segmentation union: a list of polygons, or a
// run-length encoding whose counts are either a compressed string or a list
// of integers (uncompressed RLE, used for crowd regions).
type Segmentation struct {
	// Polygons holds [x1, y1, x2, y2, ...] lists when the JSON value is a
	// list.
	Polygons [][]float64
	// When the JSON value is an object: Size is [height, width], and exactly
	// one of CountsString (compressed) or Counts (uncompressed) is set.
	Size         []int
	CountsString string
	Counts       []uint32
	// IsRLE is true for the object form.
	IsRLE bool
}

// UnmarshalJSON decodes either form.
func (s *Segmentation) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	*s = Segmentation{}
	if len(b) == 0 || string(b) == "null" {
		return nil
	}
	switch b[0] {
	case '[':
		return json.Unmarshal(b, &s.Polygons)
	case '{':
		var raw struct {
			Size   []int           `json:"size"`
			Counts json.RawMessage `json:"counts"`
		}
		if err := json.Unmarshal(b, &raw); err != nil {
			return err
		}
		s.IsRLE = true
		s.Size = raw.Size
		if len(s.Size) != 2 {
			return fmt.Errorf("segmentation RLE size must be [height, width], got %v", raw.Size)
		}
		c := bytes.TrimSpace(raw.Counts)
		if len(c) == 0 {
			return fmt.Errorf("segmentation RLE without counts")
		}
		if c[0] == '"' {
			return json.Unmarshal(c, &s.CountsString)
		}
		return json.Unmarshal(c, &s.Counts)
	}
	return fmt.Errorf("segmentation must be a list of polygons or an RLE object")
}

// MarshalJSON encodes the form the segmentation holds.
func (s Segmentation) MarshalJSON() ([]byte, error) {
	if !s.IsRLE {
		if s.Polygons == nil {
			return []byte("[]"), nil
		}
		return json.Marshal(s.Polygons)
	}
	if s.Counts != nil {
		return json.Marshal(struct {
			Size   []int    `json:"size"`
			Counts []uint32 `json:"counts"`
		}{s.Size, s.Counts})
	}
	return json.Marshal(struct {
		Size   []int  `json:"size"`
		Counts string `json:"counts"`
	}{s.Size, s.CountsString})
}

// File is a whole instances JSON file.
type File struct {
	Info        *Info        `json:"info,omitempty"`
	Licenses    []License    `json:"licenses,omitempty"`
	Images      []Image      `json:"images"`
	Annotations []Annotation `json:"annotations"`
	Categories  []Category   `json:"categories"`
}
