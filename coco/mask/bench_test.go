package mask

import "testing"

// Benchmarks on the golden fixtures' real polygons (tiny_coco val2017).

func BenchmarkFrPolygons(b *testing.B) {
	g := loadGolden(b)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for _, c := range g.RealPolygons {
			if _, err := FrPolygons(c.Polygons, c.H, c.W); err != nil {
				b.Fatal(err)
			}
		}
	}
}

func BenchmarkFromCompressed(b *testing.B) {
	g := loadGolden(b)
	n := 0
	for _, c := range g.RealPolygons {
		n += len(c.Merged)
	}
	b.SetBytes(int64(n))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for _, c := range g.RealPolygons {
			if _, err := FromCompressed(c.Merged, c.H, c.W); err != nil {
				b.Fatal(err)
			}
		}
	}
}

func BenchmarkIoU(b *testing.B) {
	g := loadGolden(b)
	// All real masks of one image size against each other.
	var rs []RLE
	for _, c := range g.RealPolygons {
		if c.H == g.RealPolygons[0].H && c.W == g.RealPolygons[0].W {
			r, _ := FromCompressed(c.Merged, c.H, c.W)
			rs = append(rs, r)
		}
	}
	crowd := make([]bool, len(rs))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := IoU(rs, rs, crowd); err != nil {
			b.Fatal(err)
		}
	}
}
