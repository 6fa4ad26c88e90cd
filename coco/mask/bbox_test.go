package mask

import (
	"math/rand/v2"
	"testing"
)

// toBBoxRef is rleToBbox line for line, without ToBBox's early exit.
func toBBoxRef(r RLE) [4]float64 {
	h, w := uint32(r.H), uint32(r.W)
	m := len(r.Counts) / 2 * 2
	if m == 0 || h == 0 {
		return [4]float64{}
	}
	xs, ys, xe, ye := w, h, uint32(0), uint32(0)
	var cc uint32
	for j := 0; j < m; j++ {
		start := cc
		cc += r.Counts[j]
		if j%2 == 0 || r.Counts[j] == 0 {
			continue
		}
		yStart, xStart := start%h, start/h
		yEnd, xEnd := (cc-1)%h, (cc-1)/h
		xs, xe = min(xs, xStart), max(xe, xEnd)
		if xStart < xEnd {
			ys, ye = 0, h-1
		} else {
			ys, ye = min(ys, yStart), max(ye, yEnd)
		}
	}
	return [4]float64{float64(xs), float64(ys), float64(xe - xs + 1), float64(ye - ys + 1)}
}

func TestToBBoxMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for n := 0; n < 20000; n++ {
		h, w := 1+rng.IntN(12), 1+rng.IntN(12)
		total := h * w
		var counts []uint32
		for left := total; left > 0; {
			c := rng.IntN(min(left, 1+rng.IntN(20)) + 1)
			if rng.IntN(10) == 0 {
				c = 0 // zero-length runs too
			}
			counts = append(counts, uint32(c))
			left -= c
		}
		r := RLE{H: h, W: w, Counts: counts}
		if got, want := r.ToBBox(), toBBoxRef(r); got != want {
			t.Fatalf("%dx%d %v: %v want %v", h, w, counts, got, want)
		}
	}
}
