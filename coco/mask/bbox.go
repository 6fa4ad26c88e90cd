package mask

import (
	"fmt"
	"math"
)

// ToBBox returns the mask's bounding box [x, y, width, height] (rleToBbox,
// the corrected version of pycocotools >= 2.0.7). An empty mask given as a
// single count gives [0 0 0 0]; like pycocotools, other empty masks give a
// box whose 32-bit width and height wrapped around.
func (r RLE) ToBBox() [4]float64 {
	h, w := uint32(r.H), uint32(r.W)
	m := len(r.Counts) / 2 * 2
	if m == 0 || h == 0 {
		return [4]float64{}
	}
	xs, ys, xe, ye := w, h, uint32(0), uint32(0)
	// Column of a position, without a division in the common case: runs
	// come in order, so the column only moves forward.
	var col, colStart uint32
	colOf := func(pos uint32) (x, y uint32) {
		switch d := pos - colStart; {
		case d < h:
		case d < 2*h && d >= h: // (2*h may wrap for huge h: then divide)
			col, colStart = col+1, colStart+h
		default:
			col = pos / h
			colStart = col * h
		}
		return col, pos - colStart
	}
	var cc uint32
	for j := 0; j < m; j++ {
		start := cc
		cc += r.Counts[j]
		if j%2 == 0 || r.Counts[j] == 0 {
			continue
		}
		xStart, yStart := colOf(start)
		xEnd, yEnd := colOf(cc - 1)
		xs = min(xs, xStart)
		xe = max(xe, xEnd)
		if xStart < xEnd {
			ys, ye = 0, h-1
			// Rows are full; only the last column is left to find, and
			// runs come in order: it ends the last non-empty foreground
			// run.
			for jj := m - 1; jj > j; jj-- {
				if jj%2 == 1 && r.Counts[jj] != 0 {
					var end uint32
					for _, c := range r.Counts[:jj+1] {
						end += c
					}
					xe = max(xe, (end-1)/h)
					break
				}
			}
			break
		} else {
			ys = min(ys, yStart)
			ye = max(ye, yEnd)
		}
	}
	return [4]float64{float64(xs), float64(ys), float64(xe - xs + 1), float64(ye - ys + 1)}
}

// FrBBox rasterizes the box [x, y, width, height] into an h x w mask
// (rleFrBbox: the box's four corners go through FrPoly).
func FrBBox(bb [4]float64, h, w int) (RLE, error) {
	for _, v := range bb {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return RLE{}, fmt.Errorf("mask: FrBBox: box %v is not finite", bb)
		}
	}
	xs, ys := bb[0], bb[1]
	xe, ye := xs+bb[2], ys+bb[3]
	return FrPoly([]float64{xs, ys, xs, ye, xe, ye, xe, ys}, h, w)
}
