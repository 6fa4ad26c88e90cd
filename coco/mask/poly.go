package mask

import (
	"fmt"
	"math"
	"slices"
)

// polyScale is frPoly's upsampling factor: the boundary is walked on a grid
// 5 times finer than the pixels.
const polyScale = 5

// maxCoord bounds |coordinate| (4M pixels, far beyond any image) so that
// the fine grid stays inside 32 bits, where pycocotools' int arithmetic is
// defined, and the boundary walk stays short.
const maxCoord = 1 << 22

// FrPoly rasterizes one polygon [x1, y1, x2, y2, ...] (pixel coordinates,
// at least 3 points) into an h x w mask, bit-identical to rleFrPoly: the
// vertices are scaled by 5 and rounded, the closed boundary is walked
// point by point on that fine grid, the crossings of pixel-centre columns
// are taken as run boundaries (rounded up to whole pixels, clamped to
// [0, h]) and sorted into counts.
func FrPoly(xy []float64, h, w int) (RLE, error) {
	if len(xy)%2 != 0 {
		return RLE{}, fmt.Errorf("mask: polygon has an odd number of coordinates (%d)", len(xy))
	}
	if len(xy) < 6 {
		return RLE{}, fmt.Errorf("mask: polygon has %d points, need at least 3", len(xy)/2)
	}
	if err := checkSize(h, w); err != nil {
		return RLE{}, err
	}
	if h == 0 || w == 0 {
		return RLE{}, fmt.Errorf("mask: polygon rasterized into an empty %dx%d image", h, w)
	}
	for i, v := range xy {
		if math.IsNaN(v) || math.IsInf(v, 0) || v > maxCoord || v < -maxCoord {
			return RLE{}, fmt.Errorf("mask: polygon coordinate %d is %v, not finite or beyond +-%d", i, v, maxCoord)
		}
	}
	return frPoly(xy, h, w), nil
}

// round5 is C's (int)(scale*v+.5): truncation toward zero.
func round5(v float64) int { return int(float64(polyScale*v) + .5) }

func abs(a int) int {
	if a < 0 {
		return -a
	}
	return a
}

// frPoly is rleFrPoly for validated input.
func frPoly(xy []float64, h, w int) RLE {
	k := len(xy) / 2
	x := make([]int, k+1)
	y := make([]int, k+1)
	for j := 0; j < k; j++ {
		x[j] = round5(xy[2*j])
		y[j] = round5(xy[2*j+1])
	}
	x[k], y[k] = x[0], y[0]

	// Walk every fine-grid point of the closed boundary, segment by
	// segment, stepping along the longer axis (pycocotools stores them all;
	// only consecutive pairs matter, so they are streamed here). Where the
	// walk changes fine column, the crossing is kept if it lies on a
	// pixel-centre column inside the image; its row, rounded up and clamped
	// to [0, h], is where a run toggles.
	a := make([]uint32, 0, 64)
	pu, pv, started := 0, 0, false
	visit := func(uj, vj int) {
		if started && uj != pu {
			xi := uj - 1
			if uj < pu {
				xi = uj
			}
			xd := (float64(xi)+.5)/polyScale - .5
			if math.Floor(xd) == xd && xd >= 0 && xd <= float64(w-1) {
				yd := (float64(min(vj, pv))+.5)/polyScale - .5
				if yd < 0 {
					yd = 0
				} else if yd > float64(h) {
					yd = float64(h)
				}
				yd = math.Ceil(yd)
				a = append(a, uint32(int(xd)*h+int(yd)))
			}
		}
		pu, pv, started = uj, vj, true
	}
	for j := 0; j < k; j++ {
		xs, xe, ys, ye := x[j], x[j+1], y[j], y[j+1]
		dx, dy := abs(xe-xs), abs(ys-ye)
		flip := (dx >= dy && xs > xe) || (dx < dy && ys > ye)
		if flip {
			xs, xe = xe, xs
			ys, ye = ye, ys
		}
		if dx >= dy {
			// dx == dy == 0 (repeated vertex) makes C's slope 0/0; its one
			// point repeats the previous column, so any slope will do.
			s := 0.0
			if dx > 0 {
				s = float64(ye-ys) / float64(dx)
			}
			vAt := func(t int) int { return int(float64(float64(ys)+float64(s*float64(t))) + .5) }
			// The first point meets the previous segment's last point.
			t0 := 0
			if flip {
				t0 = dx
			}
			visit(t0+xs, vAt(t0))
			// Inside the segment every step moves one fine column, so each
			// pair of neighbours with parameters tm, tm+1 is a crossing at
			// xi = xs+tm; only xi = 2 mod 5 can be a pixel-centre column
			// ((xi+.5)/5-.5 is then an integer, and otherwise at least .2
			// away from one), so only those pairs are computed. The order
			// of toggles does not matter: they are sorted below.
			lo := max(0, 2-xs)
			lo += ((2-xs-lo)%polyScale + polyScale) % polyScale
			hi := min(dx-1, polyScale*(w-1)+2-xs)
			for tm := lo; tm <= hi; tm += polyScale {
				xd := (float64(xs+tm)+.5)/polyScale - .5
				if math.Floor(xd) != xd || xd < 0 || xd > float64(w-1) {
					continue
				}
				yd := (float64(min(vAt(tm), vAt(tm+1)))+.5)/polyScale - .5
				if yd < 0 {
					yd = 0
				} else if yd > float64(h) {
					yd = float64(h)
				}
				yd = math.Ceil(yd)
				a = append(a, uint32(int(xd)*h+int(yd)))
			}
			// The walk goes on from the segment's last point.
			t1 := dx
			if flip {
				t1 = 0
			}
			pu, pv = t1+xs, vAt(t1)
		} else {
			s := float64(xe-xs) / float64(dy)
			for d := 0; d <= dy; d++ {
				t := d
				if flip {
					t = dy - d
				}
				visit(int(float64(float64(xs)+float64(s*float64(t)))+.5), t+ys)
			}
		}
	}

	// Sort the toggle positions, take differences, and fold zero-length runs
	// (two toggles at one position cancel) into their neighbours.
	a = append(a, uint32(h*w))
	sortToggles(a, h, w)
	var p uint32
	for j := range a {
		t := a[j]
		a[j] -= p
		p = t
	}
	b := make([]uint32, 0, len(a))
	b = append(b, a[0])
	for j := 1; j < len(a); {
		if a[j] > 0 {
			b = append(b, a[j])
			j++
		} else {
			j++
			if j < len(a) {
				b[len(b)-1] += a[j]
				j++
			}
		}
	}
	return RLE{H: h, W: w, Counts: b}
}

// sortToggles sorts toggle positions x*h+y (0 <= x <= w, the last one
// h*w). Columns hold few toggles each, so long lists are bucketed by column
// (counting sort) and each column insertion-sorted: linear time.
func sortToggles(a []uint32, h, w int) {
	if len(a) < 64 || w > 8*len(a) {
		slices.Sort(a)
		return
	}
	start := make([]int, w+2) // start[x+1] counts column x, then prefix sums
	for _, p := range a {
		start[int(p)/h+1]++
	}
	for x := 1; x < len(start); x++ {
		start[x] += start[x-1]
	}
	out := make([]uint32, len(a))
	next := slices.Clone(start[:w+1])
	for _, p := range a {
		x := int(p) / h
		out[next[x]] = p
		next[x]++
	}
	for x := 0; x <= w; x++ {
		col := out[start[x]:start[x+1]]
		for i := 1; i < len(col); i++ {
			for j := i; j > 0 && col[j] < col[j-1]; j-- {
				col[j], col[j-1] = col[j-1], col[j]
			}
		}
	}
	copy(a, out)
}

// FrPolygons rasterizes each polygon with FrPoly and returns their union,
// as pycocotools' annToRLE does for a polygon segmentation.
func FrPolygons(polys [][]float64, h, w int) (RLE, error) {
	if len(polys) == 0 {
		return RLE{}, fmt.Errorf("mask: empty polygon list")
	}
	rs := make([]RLE, len(polys))
	for i, p := range polys {
		r, err := FrPoly(p, h, w)
		if err != nil {
			return RLE{}, fmt.Errorf("polygon %d: %w", i, err)
		}
		rs[i] = r
	}
	if len(rs) == 1 {
		return rs[0], nil
	}
	return Merge(rs, false)
}
