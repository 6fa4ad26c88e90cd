package coco

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"testing"
)

// synthJSON builds an instances file shaped like COCO train2017 (7.3
// annotations per image, polygons of ~24 points, 1% crowd RLE), about
// 3.9 kB per image.
func synthJSON(images int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, 1))
	f := File{Info: &Info{Description: "synthetic", Year: 2017}}
	for c := 1; c <= 90; c++ {
		if c%9 == 0 {
			continue
		}
		f.Categories = append(f.Categories, Category{ID: int64(c), Name: fmt.Sprintf("cat%d", c), Supercategory: "thing"})
	}
	aid := int64(1)
	for i := 0; i < images; i++ {
		w, h := 640, 480
		f.Images = append(f.Images, Image{ID: int64(i*7 + 1), FileName: fmt.Sprintf("%012d.jpg", i*7+1), Width: w, Height: h,
			License: 3, CocoURL: "http://images.cocodataset.org/train2017/x.jpg", DateCaptured: "2013-11-14 11:18:45"})
		n := r.IntN(15)
		for k := 0; k < n; k++ {
			x, y := r.Float64()*500, r.Float64()*400
			bw, bh := 1+r.Float64()*130, 1+r.Float64()*70
			a := Annotation{ID: aid, ImageID: int64(i*7 + 1), CategoryID: f.Categories[r.IntN(len(f.Categories))].ID,
				BBox: []float64{round2(x), round2(y), round2(bw), round2(bh)}, Area: round2(bw * bh * 0.7)}
			aid++
			if r.IntN(100) == 0 {
				a.IsCrowd = 1
				a.Segmentation = &Segmentation{IsRLE: true, Size: []int{h, w}, Counts: []uint32{uint32(w*h - 5000), 2000, 3000}}
			} else {
				p := make([]float64, 0, 48)
				for v := 0; v < 24; v++ {
					p = append(p, round2(x+r.Float64()*bw), round2(y+r.Float64()*bh))
				}
				a.Segmentation = &Segmentation{Polygons: [][]float64{p}}
			}
			f.Annotations = append(f.Annotations, a)
		}
	}
	b, err := json.Marshal(&f)
	if err != nil {
		panic(err)
	}
	return b
}

func round2(v float64) float64 { return float64(int(v*100)) / 100 }

func BenchmarkDecodeSynthetic(b *testing.B) {
	data := synthJSON(5000, 1)
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := Decode(bytes.NewReader(data), "synthetic"); err != nil {
			b.Fatal(err)
		}
	}
}
