package coco

import (
	"encoding/json"
	"image"
	"image/color"
	"math"
	"os"
	"strings"
	"testing"

	"github.com/disintegration/imaging"
)

func TestReadImageFormats(t *testing.T) {
	var exp map[string]json.RawMessage
	b, err := os.ReadFile("testdata/formats/expected.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &exp); err != nil {
		t.Fatal(err)
	}
	var pts [][2]int
	if err := json.Unmarshal(exp["points"], &pts); err != nil {
		t.Fatal(err)
	}
	for name, raw := range exp {
		if name == "points" {
			continue
		}
		var e struct {
			Mode   string
			Size   [2]int
			Pixels [][3]int
		}
		if err := json.Unmarshal(raw, &e); err != nil {
			t.Fatal(err)
		}
		im, err := ReadImage("testdata/formats/" + name)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if im.W != e.Size[0] || im.H != e.Size[1] {
			t.Fatalf("%s: %dx%d, want %v", name, im.W, im.H, e.Size)
		}
		// JPEG decoders differ by a few levels (IDCT, chroma upsampling).
		tol := 0
		if strings.HasSuffix(name, ".jpg") {
			tol = 4
		}
		for k, p := range pts {
			o := (p[1]*im.W + p[0]) * 3
			for c := 0; c < 3; c++ {
				if d := int(im.Pix[o+c]) - e.Pixels[k][c]; d < -tol || d > tol {
					t.Errorf("%s (%s) pixel %v channel %d: %d, PIL %d", name, e.Mode, p, c, im.Pix[o+c], e.Pixels[k][c])
				}
			}
		}
	}
	for _, bad := range []string{"truncated.jpg", "notanimage.jpg", "missing.jpg"} {
		if _, err := ReadImage("testdata/formats/" + bad); err == nil || !strings.Contains(err.Error(), bad) {
			t.Errorf("%s: err %v", bad, err)
		}
	}
}

// TestResizeMatchesPIL compares with PIL's Image.resize(BILINEAR), the
// resampler detectron2 uses; PIL rounds to uint8, so allow one level.
func TestResizeMatchesPIL(t *testing.T) {
	src, err := ReadImage("testdata/formats/rgb.png")
	if err != nil {
		t.Fatal(err)
	}
	pf := PixelFormat{Scale: 1, Std: [3]float32{1, 1, 1}}
	for _, c := range []struct {
		file string
		w, h int
		flip bool
	}{{"resize_100x75.png", 100, 75, false}, {"resize_30x20.png", 30, 20, false}, {"resize_64x101.png", 64, 101, false}, {"resize_flip_100x75.png", 100, 75, true}} {
		want, err := ReadImage("testdata/formats/" + c.file)
		if err != nil {
			t.Fatal(err)
		}
		got := ResizeToCHW(src, c.w, c.h, c.flip, pf, nil)
		worst := 0.0
		for y := 0; y < c.h; y++ {
			for x := 0; x < c.w; x++ {
				for ch := 0; ch < 3; ch++ {
					d := math.Abs(float64(got[(ch*c.h+y)*c.w+x]) - float64(want.Pix[(y*c.w+x)*3+ch]))
					worst = math.Max(worst, d)
				}
			}
		}
		if worst > 1 {
			t.Errorf("%s: max difference %.3f from PIL", c.file, worst)
		}
	}
}

// TestResizeMatchesImaging checks against imaging's Linear filter (the
// same triangle filter, computed independently).
func TestResizeMatchesImaging(t *testing.T) {
	src, err := ReadImage("testdata/formats/rgb.png")
	if err != nil {
		t.Fatal(err)
	}
	pf := PixelFormat{Scale: 1, Std: [3]float32{1, 1, 1}}
	for _, sz := range [][2]int{{100, 75}, {30, 20}, {17, 90}} {
		ref := ToRGB(imaging.Resize(src.Image(), sz[0], sz[1], imaging.Linear))
		got := ResizeToCHW(src, sz[0], sz[1], false, pf, nil)
		for y := 0; y < sz[1]; y++ {
			for x := 0; x < sz[0]; x++ {
				for ch := 0; ch < 3; ch++ {
					if d := math.Abs(float64(got[(ch*sz[1]+y)*sz[0]+x]) - float64(ref.Pix[(y*sz[0]+x)*3+ch])); d > 1 {
						t.Fatalf("%v: (%d,%d,%d) %.2f vs imaging %d", sz, x, y, ch, got[(ch*sz[1]+y)*sz[0]+x], ref.Pix[(y*sz[0]+x)*3+ch])
					}
				}
			}
		}
	}
}

func TestNormalizeAndChannelOrder(t *testing.T) {
	src := NewRGB(2, 1)
	copy(src.Pix, []uint8{10, 20, 30, 40, 50, 60})
	d2 := ResizeToCHW(src, 2, 1, false, Detectron2Pixels(), nil)
	// BGR: plane 0 is blue.
	want := []float32{30 - 103.53, 60 - 103.53, 20 - 116.28, 50 - 116.28, 10 - 123.675, 40 - 123.675}
	for i := range want {
		if math.Abs(float64(d2[i]-want[i])) > 1e-4 {
			t.Fatalf("detectron2 %v want %v", d2, want)
		}
	}
	tv := ResizeToCHW(src, 2, 1, true, TorchvisionPixels(), nil)
	// RGB, flipped: x=0 holds the source's x=1.
	if got, w := tv[0], (40.0/255-0.485)/0.229; math.Abs(float64(got)-w) > 1e-5 {
		t.Fatalf("torchvision r(0) = %v, want %v", got, w)
	}
	if got, w := tv[5], (30.0/255-0.406)/0.225; math.Abs(float64(got)-w) > 1e-5 {
		t.Fatalf("torchvision b(1) = %v, want %v", got, w)
	}
}

func TestShortestEdgeSize(t *testing.T) {
	for _, c := range []struct{ h, w, short, max, nh, nw int }{
		{480, 640, 800, 1333, 800, 1067}, // 1066.67 rounds up
		{427, 640, 800, 1333, 800, 1199}, // 1199.06
		{218, 640, 800, 1333, 454, 1333}, // capped by max size
		{640, 423, 800, 1333, 1210, 800}, // portrait: 1210.4
		{500, 500, 640, 1333, 640, 640},  // square
		{100, 3000, 800, 0, 800, 24000},  // no cap
		{375, 500, 672, 1333, 672, 896},  // 896.0
		{226, 640, 704, 1333, 471, 1333}, // 470.7
	} {
		nh, nw := ShortestEdgeSize(c.h, c.w, c.short, c.max)
		if nh != c.nh || nw != c.nw {
			t.Errorf("%dx%d short %d max %d: %dx%d, want %dx%d", c.h, c.w, c.short, c.max, nh, nw, c.nh, c.nw)
		}
	}
}

func TestGeometry(t *testing.T) {
	g := Geometry{OrigW: 100, OrigH: 50, W: 200, H: 100, Flip: true}
	b := g.Box([4]float64{10, 5, 30, 25})
	if b != [4]float64{140, 10, 180, 50} {
		t.Fatalf("flipped box %v", b)
	}
	if back := g.InverseBox(b); back != [4]float64{10, 5, 30, 25} {
		t.Fatalf("inverse %v", back)
	}
	p := g.Polygon([]float64{10, 5, 30, 5, 30, 25})
	if p[0] != 180 || p[1] != 10 || p[2] != 140 || p[5] != 50 {
		t.Fatalf("polygon %v", p)
	}
	// Clipping.
	if b := g.Box([4]float64{-10, -10, 10, 10}); b != [4]float64{180, 0, 200, 20} {
		t.Fatalf("clipped %v", b)
	}
	if XYXYToXYWH(XYWHToXYXY([]float64{1, 2, 3, 4}))[3] != 4 {
		t.Fatal("xywh round trip")
	}
}

func TestCollate(t *testing.T) {
	mk := func(w, h int, v float32) *Sample {
		s := &Sample{Geometry: Geometry{W: w, H: h}, Image: make([]float32, 3*w*h)}
		for i := range s.Image {
			s.Image[i] = v
		}
		return s
	}
	b := Collate([]*Sample{mk(40, 70, 1), mk(65, 10, 2)}, 32)
	if b.N != 2 || b.H != 96 || b.W != 96 {
		t.Fatalf("batch %dx%dx%d", b.N, b.H, b.W)
	}
	at := func(n, c, y, x int) float32 { return b.Images[((n*3+c)*b.H+y)*b.W+x] }
	if at(0, 2, 69, 39) != 1 || at(0, 2, 70, 39) != 0 || at(0, 0, 0, 40) != 0 || at(1, 1, 9, 64) != 2 || at(1, 1, 10, 0) != 0 {
		t.Fatal("padding misplaced")
	}
	if b.Samples[0].Image != nil {
		t.Fatal("sample image not released")
	}
	if b := Collate([]*Sample{mk(5, 3, 1)}, 0); b.H != 3 || b.W != 5 || len(b.Images) != 45 || b.Images[44] != 1 {
		t.Fatalf("no divisibility: %dx%d", b.H, b.W)
	}
	if sz := b.ImageSizes(); sz[0] != [2]int{70, 40} || sz[1] != [2]int{10, 65} {
		t.Fatalf("image sizes %v", sz)
	}
}

// TestYCbCrFastPath checks the inlined conversion against the standard
// library on every subsampling ratio.
func TestYCbCrFastPath(t *testing.T) {
	for _, ratio := range []image.YCbCrSubsampleRatio{image.YCbCrSubsampleRatio444, image.YCbCrSubsampleRatio422,
		image.YCbCrSubsampleRatio420, image.YCbCrSubsampleRatio440, image.YCbCrSubsampleRatio411, image.YCbCrSubsampleRatio410} {
		full := image.NewYCbCr(image.Rect(0, 0, 23, 17), ratio)
		for i := range full.Y {
			full.Y[i] = uint8(i * 7)
		}
		for i := range full.Cb {
			full.Cb[i], full.Cr[i] = uint8(i*13), uint8(255-i*5)
		}
		src := full.SubImage(image.Rect(3, 2, 20, 15)).(*image.YCbCr)
		got := ToRGB(src)
		for y := 0; y < got.H; y++ {
			for x := 0; x < got.W; x++ {
				c := src.YCbCrAt(x+3, y+2)
				r, g, b := color.YCbCrToRGB(c.Y, c.Cb, c.Cr)
				o := (y*got.W + x) * 3
				if got.Pix[o] != r || got.Pix[o+1] != g || got.Pix[o+2] != b {
					t.Fatalf("ratio %v (%d,%d): %v, want %d %d %d", ratio, x, y, got.Pix[o:o+3], r, g, b)
				}
			}
		}
	}
}

// TestTorchvisionResize compares with torchvision's GeneralizedRCNNTransform
// (output sizes, F.interpolate bilinear pixels, nearest masks); fixture
// from testdata/gen_fixtures.py.
func TestTorchvisionResize(t *testing.T) {
	var exp struct {
		Sizes [][6]int
		Mask  []uint8
		Cases []struct {
			Short, Max, H, W int
			Pixels           []float64
			Mask             []uint8
		}
	}
	b, err := os.ReadFile("testdata/torchvision_resize.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &exp); err != nil {
		t.Fatal(err)
	}
	for _, c := range exp.Sizes {
		if h, w := ResizeTorchvision.OutputSize(c[0], c[1], c[2], c[3]); h != c[4] || w != c[5] {
			t.Errorf("%dx%d short %d max %d: %dx%d, torchvision %dx%d", c[0], c[1], c[2], c[3], h, w, c[4], c[5])
		}
	}
	src, err := ReadImage("testdata/formats/rgb.png")
	if err != nil {
		t.Fatal(err)
	}
	pf := PixelFormat{Scale: 1, Std: [3]float32{1, 1, 1}}
	for _, c := range exp.Cases {
		h, w := TorchvisionSize(src.H, src.W, c.Short, c.Max)
		if h != c.H || w != c.W {
			t.Fatalf("size %dx%d, torchvision %dx%d", h, w, c.H, c.W)
		}
		got := ResizeToCHWMode(src, w, h, false, pf, ResizeTorchvision, nil)
		for i, v := range c.Pixels {
			if d := math.Abs(float64(got[i]) - v); d > 2e-3 {
				t.Fatalf("short %d: value %d is %.4f, torchvision %.4f", c.Short, i, got[i], v)
			}
		}
		g := Geometry{OrigW: src.W, OrigH: src.H, W: w, H: h, Resize: ResizeTorchvision}
		m := g.resizeBitmap(exp.Mask)
		for i := range m {
			if m[i] != c.Mask[i] {
				t.Fatalf("short %d: mask pixel %d is %d, torchvision %d", c.Short, i, m[i], c.Mask[i])
			}
		}
	}
}
