package mask

import (
	"encoding/binary"
	"math"
	"slices"
	"testing"
)

// FuzzFromCompressed: any string and size decodes to an error or to a valid
// RLE that survives a round trip through Compressed, Decode and Encode.
func FuzzFromCompressed(f *testing.F) {
	f.Add("231", 2, 3)
	f.Add("VQi31m>0O2N100O1", 478, 640)
	f.Add("0000l", 1, 0)
	f.Add("oooooooo0", 1, 1)
	f.Add("", 0, 0)
	f.Fuzz(func(t *testing.T, s string, h, w int) {
		if h > 1<<12 || w > 1<<12 { // keep Decode small; the parser itself does not allocate by size
			h, w = h%(1<<12), w%(1<<12)
		}
		r, err := FromCompressed(s, h, w)
		if err != nil {
			return
		}
		if err := r.Validate(); err != nil {
			t.Fatalf("FromCompressed(%q) returned an invalid RLE: %v", s, err)
		}
		back, err := FromCompressed(r.Compressed(), h, w)
		if err != nil || !slices.Equal(back.Counts, r.Counts) {
			t.Fatalf("round trip of %q: %v %v vs %v", s, err, back.Counts, r.Counts)
		}
		m, err := r.Decode()
		if err != nil {
			t.Fatal(err)
		}
		e, err := Encode(m, h, w)
		if err != nil {
			t.Fatal(err)
		}
		// Encode gives canonical runs: same mask, same area.
		if e.Area() != r.Area() {
			t.Fatalf("area %d after encode, %d before", e.Area(), r.Area())
		}
		if got, want := r.ToBBox(), toBBoxRef(r); got != want {
			t.Fatalf("ToBBox %v, reference %v", got, want)
		}
	})
}

// FuzzFrPoly: any coordinates and size give an error or a valid RLE.
func FuzzFrPoly(f *testing.F) {
	seed := func(h, w int, xy ...float64) {
		b := make([]byte, 8*len(xy))
		for i, v := range xy {
			binary.LittleEndian.PutUint64(b[8*i:], math.Float64bits(v))
		}
		f.Add(b, h, w)
	}
	seed(5, 5, 1, 1, 1, 3, 3, 3, 3, 1)
	seed(10, 7, -3, 2.5, 12, 4.25, 3, 40, 3, 40, 0.1, 0.1)
	seed(1, 1, 0, 0, 0, 0, 0, 0)
	f.Fuzz(func(t *testing.T, b []byte, h, w int) {
		h, w = h%2048, w%2048
		xy := make([]float64, len(b)/8)
		for i := range xy {
			xy[i] = math.Float64frombits(binary.LittleEndian.Uint64(b[8*i:]))
			// Far-away vertices are valid but make the boundary walk long;
			// fold most of them near the image so the fuzzer explores
			// shapes (NaN, Inf and a few huge values still pass through).
			if a := math.Abs(xy[i]); a > 1e4 && a < 1e12 {
				xy[i] = math.Mod(xy[i], 1e4)
			}
		}
		r, err := FrPoly(xy, h, w)
		if err != nil {
			return
		}
		if err := r.Validate(); err != nil {
			t.Fatalf("FrPoly(%v, %d, %d) gave an invalid RLE: %v", xy, h, w, err)
		}
		if ref := frPolyRef(xy, h, w); !slices.Equal(ref.Counts, r.Counts) {
			t.Fatalf("FrPoly(%v, %d, %d) = %v, reference %v", xy, h, w, r.Counts, ref.Counts)
		}
		if _, err := FromCompressed(r.Compressed(), h, w); err != nil {
			t.Fatal(err)
		}
	})
}
