package mask

import (
	"math"
	"slices"
)

// frPolyRef is frPoly walking every fine-grid point (the direct port),
// the reference for the faster frPoly.
func frPolyRef(xy []float64, h, w int) RLE {
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
			for d := 0; d <= dx; d++ {
				t := d
				if flip {
					t = dx - d
				}
				visit(t+xs, int(float64(float64(ys)+float64(s*float64(t)))+.5))
			}
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
	slices.Sort(a)
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
