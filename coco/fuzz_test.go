package coco

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"os"
	"testing"
)

// FuzzDecode: any bytes either decode to a dataset that validates and
// indexes without panicking, or give an error.
func FuzzDecode(f *testing.F) {
	mini, err := os.ReadFile(miniAnn)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(mini)
	f.Add([]byte(`{"images":[{"id":1,"file_name":"a.jpg","width":10,"height":10}],"categories":[{"id":3,"name":"x"}],
	"annotations":[{"id":7,"image_id":1,"category_id":3,"bbox":[1,NaN,2,2],"area":4,"iscrowd":0,"segmentation":[[1,1,2,1,2,2]]},
	{"id":8,"image_id":1,"category_id":3,"bbox":[1,1,2,2],"iscrowd":1,"segmentation":{"size":[10,10],"counts":"52203"}},
	{"id":9,"image_id":1,"category_id":3,"bbox":[1,1,2,2],"iscrowd":1,"segmentation":{"size":[10,10],"counts":[5,90,5]}}]}`))
	f.Add([]byte(`{"annotations":[{"segmentation":[[1,2,3]]}]}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, b []byte) {
		d, err := DecodeBytes(b, "fuzz.json")
		if err != nil {
			if d != nil {
				t.Fatal("dataset with error")
			}
			return
		}
		rep := d.Validate(ValidateOptions{})
		if rep.Errors+rep.Warnings != len(rep.Problems) {
			t.Fatal("problem counts")
		}
		d.TrainImages(true)
		for i := range d.Images {
			for _, ai := range d.ImageAnnotations(i) {
				a := &d.Annotations[ai]
				if d.Usable(a) != nil || a.Segmentation == nil || d.Images[i].Width <= 0 || d.Images[i].Height <= 0 ||
					d.Images[i].Width > 512 || d.Images[i].Height > 512 {
					continue
				}
				// Usable annotations transform without error or panic.
				g := Geometry{OrigW: d.Images[i].Width, OrigH: d.Images[i].Height, W: 7, H: 5, Flip: true}
				if a.Segmentation.IsRLE && (a.Segmentation.Size[0] != g.OrigH || a.Segmentation.Size[1] != g.OrigW) {
					continue
				}
				if _, err := g.mask(a); err != nil {
					t.Fatalf("usable annotation %d: %v", a.ID, err)
				}
			}
		}
		// What decodes re-encodes and decodes to the same thing.
		out, err := json.Marshal(&d.File)
		if err != nil {
			return // NaN cannot be written back as JSON
		}
		d2, err := DecodeBytes(out, "again.json")
		if err != nil {
			t.Fatalf("re-decoding our own output: %v", err)
		}
		out2, _ := json.Marshal(&d2.File)
		if !bytes.Equal(out, out2) {
			t.Fatal("encode/decode not stable")
		}
	})
}

// FuzzPolygons: the polygon fast path agrees with encoding/json, and
// polygon helpers never panic.
func FuzzPolygons(f *testing.F) {
	for _, s := range []string{`[[1,2,3,4,5,6]]`, `[[1.5e2,-0,3],[4]]`, `[]`, `[[]]`, `[[01]]`, ` [ [ 1 , 2 ] ] `} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var want [][]float64
		wantErr := json.Unmarshal(b, &want)
		got, ok := parsePolygons(b)
		if ok {
			if wantErr != nil {
				t.Fatalf("fast path accepted %q, encoding/json: %v", b, wantErr)
			}
			gb, _ := json.Marshal(got)
			wb, _ := json.Marshal(want)
			if !bytes.Equal(gb, wb) {
				t.Fatalf("%q: fast %s, encoding/json %s", b, gb, wb)
			}
		}
		for _, p := range got {
			if checkPolygon(p) == nil {
				PolygonArea(p)
				Geometry{OrigW: 10, OrigH: 10, W: 3, H: 4, Flip: true}.Polygon(p)
			}
		}
		PolygonBounds(got)
	})
}

// FuzzDecodeImage: corrupt image bytes give errors, and what decodes
// resizes.
func FuzzDecodeImage(f *testing.F) {
	for _, name := range []string{"rgb.jpg", "gray.jpg", "cmyk.jpg", "rgb.png", "palette.png", "gray16.png", "rgba.png"} {
		b, err := os.ReadFile("testdata/formats/" + name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		// A corrupt header may claim up to MaxImageSide^2 pixels, which
		// decodes (slowly) or fails; keep the fuzzer fast.
		if w, h, _, err := DecodeImageConfig(b); err == nil && w*h > 1<<20 {
			return
		}
		im, err := DecodeImage(b)
		if err != nil {
			return
		}
		if len(im.Pix) != im.W*im.H*3 {
			t.Fatalf("%dx%d image with %d bytes", im.W, im.H, len(im.Pix))
		}
		if im.W*im.H > 1<<20 {
			return
		}
		r := rand.New(rand.NewPCG(uint64(len(b)), 0))
		w, h := 1+r.IntN(50), 1+r.IntN(50)
		out := ResizeToCHW(im, w, h, r.IntN(2) == 0, TorchvisionPixels(), nil)
		if len(out) != 3*w*h {
			t.Fatal("resize size")
		}
	})
}
