package mask

import "fmt"

// Segmentation mirrors coco.Segmentation field for field (same names, types
// and order), so a coco.Segmentation converts to it directly:
// mask.Segmentation(*ann.Segmentation). Package mask cannot import package
// coco, which imports it.
type Segmentation struct {
	// Polygons holds [x1, y1, x2, y2, ...] lists (the JSON list form).
	Polygons [][]float64
	// Size is [height, width] of an RLE; exactly one of CountsString
	// (compressed) or Counts (uncompressed) holds its counts.
	Size         []int
	CountsString string
	Counts       []uint32
	// IsRLE selects the RLE object form.
	IsRLE bool
}

// FrCounts builds an RLE from uncompressed counts of an h x w mask
// (frUncompressedRLE), checking that they sum to h*w.
func FrCounts(counts []uint32, h, w int) (RLE, error) {
	r := RLE{H: h, W: w, Counts: append([]uint32(nil), counts...)}
	if err := r.Validate(); err != nil {
		return RLE{}, err
	}
	return r, nil
}

// FrSegmentation converts a segmentation of an h x w image to one RLE as
// pycocotools' COCO.annToRLE does: polygons are rasterized and merged into
// their union, uncompressed counts are taken as they are, compressed
// strings are decoded. Unlike pycocotools, an RLE whose size is not the
// image's is an error (pycocotools would give IoU -1 later), and so are
// polygons with fewer than 3 points and an empty polygon list.
func FrSegmentation(s Segmentation, h, w int) (RLE, error) {
	if !s.IsRLE {
		return FrPolygons(s.Polygons, h, w)
	}
	if len(s.Size) != 2 {
		return RLE{}, fmt.Errorf("mask: RLE size must be [height, width], got %v", s.Size)
	}
	if s.Size[0] != h || s.Size[1] != w {
		return RLE{}, fmt.Errorf("mask: RLE size [%d %d] is not the image size [%d %d]", s.Size[0], s.Size[1], h, w)
	}
	if s.Counts != nil {
		return FrCounts(s.Counts, h, w)
	}
	return FromCompressed(s.CountsString, h, w)
}
