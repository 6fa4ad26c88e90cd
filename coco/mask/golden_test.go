package mask

import (
	"encoding/json"
	"os"
	"slices"
	"testing"
)

// golden is testdata/masks.json, written by testdata/gen_masks.py from
// pycocotools built from source.
type golden struct {
	RealPolygons []struct {
		AnnID    int64 `json:"ann_id"`
		H, W     int
		Polygons [][]float64 `json:"polygons"`
		Each     []string    `json:"each"`
		Merged   string      `json:"merged"`
		Area     int         `json:"area"`
		BBox     [4]float64  `json:"bbox"`
	} `json:"real_polygons"`
	SyntheticPolygons []struct {
		H, W int
		Poly []float64 `json:"poly"`
		RLE  string    `json:"rle"`
	} `json:"synthetic_polygons"`
	Boxes []struct {
		H, W int
		BBox [4]float64 `json:"bbox"`
		RLE  string     `json:"rle"`
	} `json:"boxes"`
	Encode []struct {
		H, W   int
		Bits   string     `json:"bits"`
		RLE    string     `json:"rle"`
		Counts []uint32   `json:"counts"`
		Area   int        `json:"area"`
		BBox   [4]float64 `json:"bbox"`
	} `json:"encode"`
	BigCounts []struct {
		H, W   int
		Counts []uint32   `json:"counts"`
		RLE    string     `json:"rle"`
		Area   int        `json:"area"`
		BBox   [4]float64 `json:"bbox"`
	} `json:"big_counts"`
	Merge []struct {
		H, W         int
		In           []string `json:"in"`
		Union        string   `json:"union"`
		Intersection string   `json:"intersection"`
	} `json:"merge"`
	MaskIoU []struct {
		H, W    int
		DT, GT  []string
		IsCrowd []bool      `json:"iscrowd"`
		IoU     [][]float64 `json:"iou"`
	} `json:"mask_iou"`
	BoxIoU []struct {
		DT, GT  [][4]float64
		IsCrowd []bool      `json:"iscrowd"`
		IoU     [][]float64 `json:"iou"`
	} `json:"box_iou"`
}

// The JSON keys h and w: encoding/json matches field names case-insensitively,
// so H and W need no tags.

func loadGolden(t testing.TB) *golden {
	t.Helper()
	b, err := os.ReadFile("testdata/masks.json")
	if err != nil {
		t.Fatal(err)
	}
	var g golden
	if err := json.Unmarshal(b, &g); err != nil {
		t.Fatal(err)
	}
	return &g
}

func mustString(t *testing.T, s string, h, w int) RLE {
	t.Helper()
	r, err := FromCompressed(s, h, w)
	if err != nil {
		t.Fatalf("FromCompressed(%q, %d, %d): %v", s, h, w, err)
	}
	return r
}

func TestGoldenRealPolygons(t *testing.T) {
	g := loadGolden(t)
	if len(g.RealPolygons) == 0 {
		t.Fatal("no fixtures")
	}
	for _, c := range g.RealPolygons {
		for i, p := range c.Polygons {
			r, err := FrPoly(p, c.H, c.W)
			if err != nil {
				t.Fatalf("ann %d polygon %d: %v", c.AnnID, i, err)
			}
			if got := r.Compressed(); got != c.Each[i] {
				t.Errorf("ann %d polygon %d: got %q want %q", c.AnnID, i, got, c.Each[i])
			}
		}
		r, err := FrSegmentation(Segmentation{Polygons: c.Polygons}, c.H, c.W)
		if err != nil {
			t.Fatalf("ann %d: %v", c.AnnID, err)
		}
		if got := r.Compressed(); got != c.Merged {
			t.Errorf("ann %d merged: got %q want %q", c.AnnID, got, c.Merged)
		}
		if r.Area() != c.Area || r.ToBBox() != c.BBox {
			t.Errorf("ann %d: area %d bbox %v, want %d %v", c.AnnID, r.Area(), r.ToBBox(), c.Area, c.BBox)
		}
	}
}

func TestGoldenSyntheticPolygonsAndBoxes(t *testing.T) {
	g := loadGolden(t)
	for i, c := range g.SyntheticPolygons {
		r, err := FrPoly(c.Poly, c.H, c.W)
		if err != nil {
			t.Fatalf("polygon %d: %v", i, err)
		}
		if got := r.Compressed(); got != c.RLE {
			t.Errorf("polygon %d (%dx%d %v): got %q want %q", i, c.H, c.W, c.Poly, got, c.RLE)
		}
	}
	for i, c := range g.Boxes {
		r, err := FrBBox(c.BBox, c.H, c.W)
		if err != nil {
			t.Fatalf("box %d: %v", i, err)
		}
		if got := r.Compressed(); got != c.RLE {
			t.Errorf("box %d (%dx%d %v): got %q want %q", i, c.H, c.W, c.BBox, got, c.RLE)
		}
	}
}

func TestGoldenEncodeDecode(t *testing.T) {
	g := loadGolden(t)
	for i, c := range g.Encode {
		rowMajor := make([]byte, len(c.Bits))
		for j := range c.Bits {
			rowMajor[j] = c.Bits[j] - '0'
		}
		colMajor := make([]byte, len(rowMajor))
		for y := 0; y < c.H; y++ {
			for x := 0; x < c.W; x++ {
				colMajor[x*c.H+y] = rowMajor[y*c.W+x]
			}
		}
		r1, err := EncodeRowMajor(rowMajor, c.H, c.W)
		if err != nil {
			t.Fatal(err)
		}
		r2, err := Encode(colMajor, c.H, c.W)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(r1.Counts, c.Counts) || !slices.Equal(r2.Counts, c.Counts) {
			t.Fatalf("case %d: counts %v / %v, want %v", i, r1.Counts, r2.Counts, c.Counts)
		}
		if got := r1.Compressed(); got != c.RLE {
			t.Errorf("case %d: string %q want %q", i, got, c.RLE)
		}
		d := mustString(t, c.RLE, c.H, c.W)
		if !slices.Equal(d.Counts, c.Counts) {
			t.Errorf("case %d: decoded counts %v want %v", i, d.Counts, c.Counts)
		}
		if d.Area() != c.Area || d.ToBBox() != c.BBox {
			t.Errorf("case %d: area %d bbox %v, want %d %v", i, d.Area(), d.ToBBox(), c.Area, c.BBox)
		}
		back, err := d.DecodeRowMajor()
		if err != nil || !slices.Equal(back, rowMajor) {
			t.Errorf("case %d: DecodeRowMajor %v %v", i, back, err)
		}
		backC, err := d.Decode()
		if err != nil || !slices.Equal(backC, colMajor) {
			t.Errorf("case %d: Decode %v %v", i, backC, err)
		}
	}
}

func TestGoldenBigCounts(t *testing.T) {
	g := loadGolden(t)
	for i, c := range g.BigCounts {
		r, err := FrCounts(c.Counts, c.H, c.W)
		if err != nil {
			t.Fatal(err)
		}
		if got := r.Compressed(); got != c.RLE {
			t.Errorf("case %d: got %q want %q", i, got, c.RLE)
		}
		d := mustString(t, c.RLE, c.H, c.W)
		if !slices.Equal(d.Counts, c.Counts) {
			t.Errorf("case %d: decoded %v want %v", i, d.Counts, c.Counts)
		}
		if d.Area() != c.Area || d.ToBBox() != c.BBox {
			t.Errorf("case %d: area %d bbox %v, want %d %v", i, d.Area(), d.ToBBox(), c.Area, c.BBox)
		}
	}
}

func TestGoldenMerge(t *testing.T) {
	g := loadGolden(t)
	for i, c := range g.Merge {
		var rs []RLE
		for _, s := range c.In {
			rs = append(rs, mustString(t, s, c.H, c.W))
		}
		u, err := Union(rs...)
		if err != nil {
			t.Fatal(err)
		}
		in, err := Intersection(rs...)
		if err != nil {
			t.Fatal(err)
		}
		if u.Compressed() != c.Union || in.Compressed() != c.Intersection {
			t.Errorf("case %d: union %q inter %q, want %q %q", i, u.Compressed(), in.Compressed(), c.Union, c.Intersection)
		}
	}
}

func TestGoldenIoU(t *testing.T) {
	g := loadGolden(t)
	for i, c := range g.MaskIoU {
		var dt, gt []RLE
		for _, s := range c.DT {
			dt = append(dt, mustString(t, s, c.H, c.W))
		}
		for _, s := range c.GT {
			gt = append(gt, mustString(t, s, c.H, c.W))
		}
		o, err := IoU(dt, gt, c.IsCrowd)
		if err != nil {
			t.Fatal(err)
		}
		for d := range dt {
			for j := range gt {
				if got, want := o[d*len(gt)+j], c.IoU[d][j]; got != want {
					t.Errorf("mask case %d [%d,%d]: %v want %v", i, d, j, got, want)
				}
			}
		}
	}
	for i, c := range g.BoxIoU {
		o := BoxIoU(c.DT, c.GT, c.IsCrowd)
		for d := range c.DT {
			for j := range c.GT {
				if got, want := o[d*len(c.GT)+j], c.IoU[d][j]; got != want {
					t.Errorf("box case %d [%d,%d]: %v want %v", i, d, j, got, want)
				}
			}
		}
	}
}
