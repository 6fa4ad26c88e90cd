package coco

import (
	"fmt"
	"math"

	"github.com/gcdet/gcdet/coco/mask"
)

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// check validates the segmentation's form: polygons need an even number of
// finite coordinates and at least 3 points; an RLE needs a non-negative
// size and counts (list counts must sum to height*width).
func (s *Segmentation) check() error {
	if !s.IsRLE {
		for i, p := range s.Polygons {
			if err := checkPolygon(p); err != nil {
				return fmt.Errorf("polygon %d: %w", i, err)
			}
		}
		return nil
	}
	if len(s.Size) != 2 || s.Size[0] < 0 || s.Size[1] < 0 {
		return fmt.Errorf("RLE size %v must be [height, width] >= 0", s.Size)
	}
	if s.Counts != nil {
		var sum uint64
		for _, c := range s.Counts {
			sum += uint64(c)
		}
		if want := uint64(s.Size[0]) * uint64(s.Size[1]); sum != want {
			return fmt.Errorf("RLE counts sum to %d, want height*width = %d", sum, want)
		}
		return nil
	}
	if _, err := mask.FromCompressed(s.CountsString, s.Size[0], s.Size[1]); err != nil {
		return fmt.Errorf("RLE counts string: %w", err)
	}
	return nil
}

// checkPolygon validates one [x1, y1, x2, y2, ...] list.
func checkPolygon(p []float64) error {
	if len(p)%2 != 0 {
		return fmt.Errorf("odd number of coordinates (%d)", len(p))
	}
	if len(p) < 6 {
		return fmt.Errorf("%d points, need at least 3", len(p)/2)
	}
	for _, v := range p {
		if !finite(v) {
			return fmt.Errorf("non-finite coordinate %v", v)
		}
	}
	return nil
}

// PolygonBounds returns the extent of the polygons' vertices as XYXY; ok
// is false when there is no vertex.
func PolygonBounds(polys [][]float64) (box [4]float64, ok bool) {
	box = [4]float64{math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)}
	for _, p := range polys {
		for i := 0; i+1 < len(p); i += 2 {
			box[0] = math.Min(box[0], p[i])
			box[1] = math.Min(box[1], p[i+1])
			box[2] = math.Max(box[2], p[i])
			box[3] = math.Max(box[3], p[i+1])
			ok = true
		}
	}
	return box, ok
}

// PolygonArea is the shoelace area of one polygon (absolute value).
func PolygonArea(p []float64) float64 {
	n := len(p) / 2
	s := 0.0
	for i := 0; i < n; i++ {
		j := (i + 1) % n
		s += p[2*i]*p[2*j+1] - p[2*j]*p[2*i+1]
	}
	return math.Abs(s) / 2
}
