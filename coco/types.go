package coco

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"unsafe"
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

// UnmarshalJSON accepts "year" as a number or a numeric string (both occur
// in COCO-format files written by different tools); other fields as usual.
func (in *Info) UnmarshalJSON(b []byte) error {
	type plain Info
	var raw struct {
		plain
		Year json.RawMessage `json:"year,omitempty"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	*in = Info(raw.plain)
	y := bytes.TrimSpace(raw.Year)
	if len(y) == 0 || string(y) == "null" {
		return nil
	}
	if y[0] == '"' {
		var s string
		if err := json.Unmarshal(y, &s); err != nil {
			return err
		}
		if s == "" {
			return nil
		}
		v, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil {
			return fmt.Errorf("info.year %q is not a number", s)
		}
		in.Year = v
		return nil
	}
	return json.Unmarshal(y, &in.Year)
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
		if polys, ok := parsePolygons(b); ok {
			s.Polygons = polys
			return nil
		}
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

// parsePolygons is a fast path for the common polygon form
// [[x, y, ...], ...]: plain numbers and white space only. It reports false
// for anything else, which then goes through encoding/json (and its
// errors).
func parsePolygons(b []byte) ([][]float64, bool) {
	i := 0
	ws := func() {
		for i < len(b) && (b[i] == ' ' || b[i] == '\n' || b[i] == '\t' || b[i] == '\r') {
			i++
		}
	}
	ws()
	if i >= len(b) || b[i] != '[' {
		return nil, false
	}
	i++
	polys := [][]float64{}
	ws()
	if i < len(b) && b[i] == ']' {
		i++
		ws()
		return polys, i == len(b)
	}
	for {
		ws()
		if i >= len(b) || b[i] != '[' {
			return nil, false
		}
		i++
		p := make([]float64, 0, 32)
		ws()
		if i < len(b) && b[i] == ']' {
			i++
		} else {
			for {
				ws()
				j := jsonNumberEnd(b, i)
				if j < 0 {
					return nil, false
				}
				v, err := strconv.ParseFloat(unsafeString(b[i:j]), 64)
				if err != nil {
					return nil, false
				}
				p = append(p, v)
				i = j
				ws()
				if i >= len(b) {
					return nil, false
				}
				if b[i] == ',' {
					i++
					continue
				}
				if b[i] == ']' {
					i++
					break
				}
				return nil, false
			}
		}
		polys = append(polys, p)
		ws()
		if i >= len(b) {
			return nil, false
		}
		if b[i] == ',' {
			i++
			continue
		}
		if b[i] == ']' {
			i++
			ws()
			return polys, i == len(b)
		}
		return nil, false
	}
}

// jsonNumberEnd returns the end of the JSON number starting at b[i]
// (-?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?), or -1.
func jsonNumberEnd(b []byte, i int) int {
	digits := func() int {
		n := 0
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
			n++
		}
		return n
	}
	if i < len(b) && b[i] == '-' {
		i++
	}
	if i < len(b) && b[i] == '0' {
		i++
	} else if digits() == 0 {
		return -1
	}
	if i < len(b) && b[i] == '.' {
		i++
		if digits() == 0 {
			return -1
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if digits() == 0 {
			return -1
		}
	}
	return i
}

func unsafeString(b []byte) string { return unsafe.String(unsafe.SliceData(b), len(b)) }
