package mask

import (
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

func TestEncodeSmall(t *testing.T) {
	// 2x3 row-major:
	//   0 1 1
	//   0 1 0
	// column-major: 0 0 | 1 1 | 1 0  -> runs 2 zeros, 3 ones, 1 zero.
	r, err := EncodeRowMajor([]byte{0, 1, 1, 0, 1, 0}, 2, 3)
	if err != nil {
		t.Fatal(err)
	}
	if want := []uint32{2, 3, 1}; !slices.Equal(r.Counts, want) {
		t.Fatalf("counts %v want %v", r.Counts, want)
	}
	if r.Area() != 3 || r.ToBBox() != [4]float64{1, 0, 2, 2} {
		t.Fatalf("area %d bbox %v", r.Area(), r.ToBBox())
	}
	// Foreground first: a leading zero-length run.
	r, _ = Encode([]byte{1, 1, 0}, 3, 1)
	if want := []uint32{0, 2, 1}; !slices.Equal(r.Counts, want) {
		t.Fatalf("counts %v want %v", r.Counts, want)
	}
	// Empty image.
	r, _ = Encode(nil, 0, 5)
	if want := []uint32{0}; !slices.Equal(r.Counts, want) || r.Validate() != nil {
		t.Fatalf("empty image counts %v %v", r.Counts, r.Validate())
	}
}

func TestCompressedRoundTrip(t *testing.T) {
	for _, counts := range [][]uint32{
		{}, {0}, {6}, {0, 6}, {3, 0, 3}, {1, 1, 1, 1, 1, 1},
		{100000, 5, 99990, 5}, {0, 1 << 30, 0, 1<<31 + 7, 1<<32 - 1 - (1<<30 + 1<<31 + 7)},
	} {
		var sum uint64
		for _, c := range counts {
			sum += uint64(c)
		}
		h, w := int(sum), 1
		if sum == 0 {
			h = 0
		}
		r := RLE{H: h, W: w, Counts: counts}
		s := r.Compressed()
		back, err := FromCompressed(s, h, w)
		if err != nil {
			t.Fatalf("%v -> %q: %v", counts, s, err)
		}
		if !slices.Equal(back.Counts, counts) {
			t.Fatalf("%v -> %q -> %v", counts, s, back.Counts)
		}
	}
	// A known pycocotools string: counts [2, 3, 1] for a 2x3 mask.
	if s := (RLE{2, 3, []uint32{2, 3, 1}}).Compressed(); s != "231" {
		t.Fatalf("got %q", s)
	}
}

func TestErrors(t *testing.T) {
	bad := []struct {
		name string
		err  error
	}{}
	add := func(name string, err error) {
		bad = append(bad, struct {
			name string
			err  error
		}{name, err})
	}

	_, err := FromCompressed("2", 2, 3) // sums to 2, not 6
	add("short counts", err)
	_, err = FromCompressed("2 31", 2, 3)
	add("bad character", err)
	_, err = FromCompressed("231p", 2, 3)
	add("character above 'o'", err)
	_, err = FromCompressed("23P", 2, 3) // 'P' = 48+32: continuation, then end
	add("truncated", err)
	_, err = FromCompressed("00_", 2, 3) // 3rd count 0 - 1 ... negative via delta? '_'=47
	add("below '0'", err)
	_, err = FromCompressed("1030", 2, 3) // counts 1,0,3,0-0=0 ... then sum 4
	add("sum", err)
	_, err = FromCompressed("oooooooo0", 1, 1) // 8 groups
	add("long group", err)
	_, err = FromCompressed("0000l", 1, 0) // 4th count: 0 + (-20) < 0
	add("negative count", err)
	_, err = FromCompressed("", -1, 3)
	add("negative size", err)
	_, err = Encode(make([]byte, 5), 2, 3)
	add("encode length", err)
	_, err = FrPoly([]float64{0, 0, 1, 1}, 5, 5)
	add("two points", err)
	_, err = FrPoly([]float64{0, 0, 1, 1, 2}, 5, 5)
	add("odd coordinates", err)
	_, err = FrPoly([]float64{0, 0, 1, math.NaN(), 2, 2}, 5, 5)
	add("NaN", err)
	_, err = FrPoly([]float64{0, 0, 1, math.Inf(1), 2, 2}, 5, 5)
	add("Inf", err)
	_, err = FrPoly([]float64{0, 0, 1, 1, 2, 2}, -5, 5)
	add("negative size", err)
	_, err = FrBBox([4]float64{0, 0, math.NaN(), 1}, 5, 5)
	add("NaN box", err)
	_, err = FrPolygons(nil, 5, 5)
	add("no polygons", err)
	_, err = FrCounts([]uint32{1, 2}, 2, 2)
	add("counts sum", err)
	_, err = FrSegmentation(Segmentation{IsRLE: true, Size: []int{4, 4}, CountsString: "9"}, 3, 3)
	add("wrong image size", err)
	_, err = FrSegmentation(Segmentation{IsRLE: true, Size: []int{3}}, 3, 3)
	add("bad size", err)
	_, err = Merge([]RLE{{2, 2, []uint32{4}}, {2, 3, []uint32{6}}}, false)
	add("merge sizes", err)
	_, err = IoU([]RLE{{2, 2, []uint32{4}}}, []RLE{{2, 3, []uint32{6}}}, nil)
	add("iou sizes", err)
	_, err = IoU([]RLE{{2, 2, []uint32{3}}}, []RLE{{2, 2, []uint32{4}}}, nil)
	add("iou counts", err)
	_, err = (RLE{2, 2, []uint32{1, 2}}).Decode()
	add("decode counts", err)
	_, err = (RLE{70000, 70000, nil}).Decode()
	add("too large", err)
	for _, b := range bad {
		if b.err == nil {
			t.Errorf("%s: no error", b.name)
		} else if !strings.Contains(b.err.Error(), "mask") && !strings.Contains(b.err.Error(), "polygon") {
			t.Errorf("%s: error %q does not say where it comes from", b.name, b.err)
		}
	}
}

func TestMergeAndIoUHand(t *testing.T) {
	// 1x4 masks: a = 1100, b = 0110.
	a := RLE{1, 4, []uint32{0, 2, 2}}
	b := RLE{1, 4, []uint32{1, 2, 1}}
	u, _ := Union(a, b)
	in, _ := Intersection(a, b)
	if !slices.Equal(u.Counts, []uint32{0, 3, 1}) || !slices.Equal(in.Counts, []uint32{1, 1, 2}) {
		t.Fatalf("union %v inter %v", u.Counts, in.Counts)
	}
	o, _ := IoU([]RLE{a}, []RLE{b, b}, []bool{false, true})
	// IoU 1/3; crowd: intersection over detection area = 1/2.
	if o[0] != 1.0/3 || o[1] != 0.5 {
		t.Fatalf("iou %v", o)
	}
	bo := BoxIoU([][4]float64{{0, 0, 2, 1}}, [][4]float64{{1, 0, 2, 1}, {1, 0, 2, 1}, {2, 0, 1, 1}}, []bool{false, true, false})
	if bo[0] != 1.0/3 || bo[1] != 0.5 || bo[2] != 0 {
		t.Fatalf("box iou %v", bo)
	}
}

func TestFrPolySquare(t *testing.T) {
	// The square with corners at pixel centres (1,1)-(3,3) covers pixels
	// 1..2 in x and y under pycocotools' convention (the right/bottom edge
	// at 3 is exclusive for centres): check against Decode.
	r, err := FrPoly([]float64{1, 1, 1, 3, 3, 3, 3, 1}, 5, 5)
	if err != nil {
		t.Fatal(err)
	}
	m, _ := r.DecodeRowMajor()
	want := []byte{
		0, 0, 0, 0, 0,
		0, 1, 1, 0, 0,
		0, 1, 1, 0, 0,
		0, 0, 0, 0, 0,
		0, 0, 0, 0, 0,
	}
	if !slices.Equal(m, want) {
		t.Fatalf("got %v", m)
	}
}

func TestFrPolyFarVertices(t *testing.T) {
	// Vertices at the coordinate limit are accepted and give a valid mask;
	// beyond it, an error.
	r, err := FrPoly([]float64{-maxCoord, -maxCoord, maxCoord, 2, 3, maxCoord}, 20, 30)
	if err != nil || r.Validate() != nil {
		t.Fatalf("%v %v", err, r.Validate())
	}
	if _, err := FrPoly([]float64{0, 0, 2 * maxCoord, 2, 3, 3}, 20, 30); err == nil {
		t.Fatal("no error beyond the limit")
	}
}

func TestFrPolyMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for n := 0; n < 20000; n++ {
		h, w := 1+rng.IntN(40), 1+rng.IntN(40)
		k := 3 + rng.IntN(8)
		if n%10 == 0 { // large shapes: long toggle lists (bucket sort)
			h, w, k = 50+rng.IntN(300), 50+rng.IntN(300), 3+rng.IntN(40)
		}
		xy := make([]float64, 0, 2*k)
		for i := 0; i < k; i++ {
			x, y := rng.Float64()*float64(w+20)-10, rng.Float64()*float64(h+20)-10
			switch rng.IntN(5) {
			case 0:
				x, y = math.Round(x), math.Round(y)
			case 1:
				x, y = math.Round(x*5)/5, math.Round(y*5)/5 // on the fine grid
			}
			xy = append(xy, x, y)
			if rng.IntN(8) == 0 {
				xy = append(xy, x, y) // repeated vertex
			}
		}
		got, want := frPoly(xy, h, w), frPolyRef(xy, h, w)
		if !slices.Equal(got.Counts, want.Counts) {
			t.Fatalf("%dx%d %v:\n got %v\nwant %v", h, w, xy, got.Counts, want.Counts)
		}
	}
}

func TestSortToggles(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for n := 0; n < 2000; n++ {
		h, w := 1+rng.IntN(50), 1+rng.IntN(50)
		a := make([]uint32, rng.IntN(400))
		for i := range a {
			a[i] = uint32(rng.IntN(h*w + 1))
		}
		want := slices.Sorted(slices.Values(a))
		sortToggles(a, h, w)
		if !slices.Equal(a, want) {
			t.Fatalf("%dx%d: %v", h, w, a)
		}
	}
}
