package coco

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/gcdet/gcdet/coco/mask"
)

func TestSynthDeterministicAndExact(t *testing.T) {
	cfg := SynthConfig{Seed: 7, Train: 12, Val: 4, Size: 96, MaxObjects: 4, Format: "png"}
	a, b := t.TempDir(), t.TempDir()
	ra, err := GenerateSynth(a, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := GenerateSynth(b, cfg); err != nil {
		t.Fatal(err)
	}
	// Same seed, same bytes.
	for _, rel := range []string{"annotations/instances_train.json", "annotations/instances_val.json", "train/000000000001.png", "val/000000000016.png"} {
		x, err1 := os.ReadFile(filepath.Join(a, rel))
		y, err2 := os.ReadFile(filepath.Join(b, rel))
		if err1 != nil || err2 != nil || !bytes.Equal(x, y) {
			t.Fatalf("%s differs between runs (%v %v)", rel, err1, err2)
		}
	}
	other, _, _ := SynthImage(SynthConfig{Seed: 8, Train: 1, Size: 96, MaxObjects: 4, Format: "png"}, 0, 0)
	same, _, _ := SynthImage(cfg, 0, 0)
	if bytes.Equal(other.Pix, same.Pix) {
		t.Fatal("seeds 7 and 8 draw the same image")
	}

	for _, sp := range []SynthSplit{ra.Train, ra.Val} {
		d, err := LoadFile(sp.Annotations, sp.Images)
		if err != nil {
			t.Fatal(err)
		}
		rep := d.Validate(ValidateOptions{CheckImages: true, Decode: true})
		if len(rep.Problems) != 0 {
			t.Fatalf("synthetic data has problems: %v", rep.Problems)
		}
		for i, im := range d.Images {
			if im.Width < 72 || im.Width > 96 || im.Height < 72 || im.Height > 96 {
				t.Fatalf("image %d is %dx%d", im.ID, im.Width, im.Height)
			}
			pix, err := ReadImage(d.ImagePath(i))
			if err != nil {
				t.Fatal(err)
			}
			var rles []mask.RLE
			for _, ai := range d.ImageAnnotations(i) {
				an := d.Annotations[ai]
				r, err := mask.FrPolygons(an.Segmentation.Polygons, im.Height, im.Width)
				if err != nil {
					t.Fatal(err)
				}
				if float64(r.Area()) != an.Area || r.ToBBox() != [4]float64(an.BBox) {
					t.Fatalf("annotation %d: area %v bbox %v, mask gives %d %v", an.ID, an.Area, an.BBox, r.Area(), r.ToBBox())
				}
				// The painted pixels are the mask: inside, every pixel is
				// within the noise of one color.
				m, _ := r.DecodeRowMajor()
				var lo, hi [3]int
				lo = [3]int{255, 255, 255}
				for p, v := range m {
					if v == 0 {
						continue
					}
					for c := 0; c < 3; c++ {
						lo[c] = min(lo[c], int(pix.Pix[3*p+c]))
						hi[c] = max(hi[c], int(pix.Pix[3*p+c]))
					}
				}
				for c := 0; c < 3; c++ {
					if hi[c]-lo[c] > 13 {
						t.Fatalf("annotation %d: channel %d spans %d..%d inside the mask", an.ID, c, lo[c], hi[c])
					}
				}
				rles = append(rles, r)
			}
			if len(rles) == 0 {
				t.Fatalf("image %d has no shapes", im.ID)
			}
			for x := range rles {
				for y := x + 1; y < len(rles); y++ {
					if in, _ := mask.Intersection(rles[x], rles[y]); in.Area() != 0 {
						t.Fatalf("image %d: shapes overlap", im.ID)
					}
				}
			}
		}
	}
}

func TestSynthLoads(t *testing.T) {
	dir := t.TempDir()
	res, err := GenerateSynth(dir, SynthConfig{Seed: 1, Train: 6, Val: 2, Size: 64, MaxObjects: 3, Format: "jpeg"})
	if err != nil {
		t.Fatal(err)
	}
	d, err := LoadFile(res.Train.Annotations, res.Train.Images)
	if err != nil {
		t.Fatal(err)
	}
	cfg := TrainLoaderConfig(2, 3)
	cfg.Transform.MinSizes = []int{64, 96}
	cfg.Transform.MaxSize = 128
	cfg.Masks = true
	l, err := NewLoader(context.Background(), d, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	for k := 0; k < 5; k++ {
		b, err := l.Next()
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range b.Samples {
			checkSample(t, d, s)
		}
	}
	if d.NumClasses() != 4 || d.ClassNames()[4] != "star" {
		t.Fatalf("classes %v", d.ClassNames())
	}
	for _, bad := range []SynthConfig{{Train: 1, Size: 8, MaxObjects: 1, Format: "png"}, {Size: 64, MaxObjects: 1, Format: "png"},
		{Train: 1, Size: 64, MaxObjects: 0, Format: "png"}, {Train: 1, Size: 64, MaxObjects: 1, Format: "gif"}} {
		if _, err := GenerateSynth(t.TempDir(), bad); err == nil {
			t.Errorf("config %+v accepted", bad)
		}
	}
}

func BenchmarkSynthDefault(b *testing.B) {
	for i := 0; i < b.N; i++ {
		if _, err := GenerateSynth(b.TempDir(), DefaultSynth(uint64(i))); err != nil {
			b.Fatal(err)
		}
	}
}
