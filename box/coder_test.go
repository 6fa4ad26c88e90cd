package box

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestCoderRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, w := range [][4]float64{{1, 1, 1, 1}, {10, 10, 5, 5}, {2, 3, 0.5, 7}} {
		c := NewCoder(w[0], w[1], w[2], w[3])
		refs, gts := randBoxes(rng, 200, 500, 5, 200), randBoxes(rng, 200, 500, 5, 200)
		dec := c.Decode(c.Encode(gts, refs), refs)
		for k := range dec {
			if d := math.Abs(float64(dec[k] - gts[k])); d > 1e-3 {
				t.Fatalf("weights %v: Decode(Encode) value %d = %v, want %v", w, k, dec[k], gts[k])
			}
		}
	}
}

func TestCoderClampAndPerClass(t *testing.T) {
	c := NewCoder(10, 10, 5, 5)
	ref := Boxes{0, 0, 16, 16}
	// Two classes: identity deltas and huge dw/dh (clamped to log(1000/16),
	// so the box grows to 1000 pixels, not exp(100/5)*16).
	deltas := []float32{0, 0, 0, 0, 0, 0, 100, 100}
	got := c.Decode(deltas, ref)
	if len(got) != 8 {
		t.Fatalf("Decode returned %d values, want 8", len(got))
	}
	for k, want := range []float32{0, 0, 16, 16, 8 - 500, 8 - 500, 8 + 500, 8 + 500} {
		if math.Abs(float64(got[k]-want)) > 1e-3 {
			t.Errorf("value %d = %v, want %v", k, got[k], want)
		}
	}
	if got := c.Decode(nil, Boxes{}); len(got) != 0 {
		t.Errorf("Decode of nothing = %v", got)
	}
}

// randBoxes returns n boxes with corners in [0, extent] and sides in
// [minSide, maxSide).
func randBoxes(rng *rand.Rand, n int, extent, minSide, maxSide float32) Boxes {
	b := make(Boxes, 4*n)
	for i := range n {
		w := minSide + rng.Float32()*(maxSide-minSide)
		h := minSide + rng.Float32()*(maxSide-minSide)
		x, y := rng.Float32()*(extent-w), rng.Float32()*(extent-h)
		b[4*i], b[4*i+1], b[4*i+2], b[4*i+3] = x, y, x+w, y+h
	}
	return b
}
