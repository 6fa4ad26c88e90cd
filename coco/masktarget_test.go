package coco

import (
	"encoding/json"
	"os"
	"testing"
)

// TestCropResizeBitmap compares with torchvision's roi_align (aligned,
// adaptive sampling) thresholded at 0.5, which is detectron2's
// BitMasks.crop_and_resize (fixture from testdata/gen_fixtures.py).
func TestCropResizeBitmap(t *testing.T) {
	var exp struct {
		H, W, M int
		Image   []uint8
		Boxes   [][4]float64
		Masks   [][]uint8
	}
	b, err := os.ReadFile("testdata/masktarget.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &exp); err != nil {
		t.Fatal(err)
	}
	m := Mask{Bitmap: exp.Image}
	for k, box := range exp.Boxes {
		got, err := m.CropResize(box, exp.M, exp.W, exp.H)
		if err != nil {
			t.Fatal(err)
		}
		for i := range got {
			if got[i] != exp.Masks[k][i] {
				t.Fatalf("box %v: got\n%v\nwant\n%v", box, got, exp.Masks[k])
			}
		}
	}
	if _, err := m.CropResize(exp.Boxes[0], exp.M, exp.W+1, exp.H); err == nil {
		t.Fatal("wrong bitmap size accepted")
	}
}

func TestCropResizePolygons(t *testing.T) {
	// The left half of the box [10, 20, 30, 40] as a polygon: the target's
	// left half is set.
	m := Mask{Polygons: [][]float64{{10, 20, 20, 20, 20, 40, 10, 40}}}
	got, err := m.CropResize([4]float64{10, 20, 30, 40}, 8, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	for y := 0; y < 8; y++ {
		for x := 0; x < 8; x++ {
			if want := uint8(0); x < 4 {
				want = 1
				if got[y*8+x] != want {
					t.Fatalf("(%d,%d) = %d\n%v", x, y, got[y*8+x], got)
				}
			} else if got[y*8+x] != want {
				t.Fatalf("(%d,%d) = %d\n%v", x, y, got[y*8+x], got)
			}
		}
	}
	// Same as rasterizing the shifted, scaled polygon directly.
	m2 := Mask{Polygons: [][]float64{{12.5, 21, 29, 24, 18, 39.5}}}
	got2, _ := m2.CropResize([4]float64{10, 20, 30, 40}, 28, 0, 0)
	ref, err := (Mask{Polygons: [][]float64{{3.5, 1.4, 26.6, 5.6, 11.2, 27.3}}}).RLE(28, 28)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := ref.DecodeRowMajor()
	for i := range want {
		if got2[i] != want[i] {
			t.Fatalf("pixel %d differs", i)
		}
	}
	if e, _ := (Mask{}).CropResize([4]float64{0, 0, 1, 1}, 4, 0, 0); len(e) != 16 {
		t.Fatal("empty mask target size")
	}
}
