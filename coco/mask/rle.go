package mask

import (
	"fmt"
	"math"
)

// RLE is a run-length encoded binary mask of H rows and W columns, in
// column-major order. Counts alternate runs of 0s and 1s starting with 0s;
// a valid RLE's counts sum to H*W.
type RLE struct {
	H, W   int
	Counts []uint32
}

// maxPixels is the largest image an RLE can describe: counts and their sum
// are 32-bit in pycocotools.
const maxPixels = math.MaxUint32

// checkSize validates an image size.
func checkSize(h, w int) error {
	if h < 0 || w < 0 {
		return fmt.Errorf("mask: negative size %dx%d (height x width)", h, w)
	}
	if w != 0 && h > maxPixels/w {
		return fmt.Errorf("mask: size %dx%d exceeds %d pixels", h, w, uint64(maxPixels))
	}
	return nil
}

// Validate reports whether r is well formed: a non-negative size of at most
// 2^32-1 pixels and counts that sum to H*W.
func (r RLE) Validate() error {
	if err := checkSize(r.H, r.W); err != nil {
		return err
	}
	var sum uint64
	for _, c := range r.Counts {
		sum += uint64(c)
	}
	if want := uint64(r.H) * uint64(r.W); sum != want {
		return fmt.Errorf("mask: RLE counts sum to %d, want height*width = %dx%d = %d", sum, r.H, r.W, want)
	}
	return nil
}

// Clone returns a deep copy of r.
func (r RLE) Clone() RLE {
	return RLE{H: r.H, W: r.W, Counts: append([]uint32(nil), r.Counts...)}
}

// Area returns the number of foreground pixels (rleArea).
func (r RLE) Area() int {
	a := 0
	for j := 1; j < len(r.Counts); j += 2 {
		a += int(r.Counts[j])
	}
	return a
}

// Encode run-length encodes a binary mask of h rows and w columns given in
// column-major order (m[x*h+y], pycocotools' Fortran layout). Any non-zero
// byte is foreground.
func Encode(m []byte, h, w int) (RLE, error) {
	if err := checkSize(h, w); err != nil {
		return RLE{}, err
	}
	if len(m) != h*w {
		return RLE{}, fmt.Errorf("mask: Encode got %d bytes for a %dx%d mask", len(m), h, w)
	}
	var rb runBuilder
	for _, v := range m {
		rb.add(v)
	}
	return RLE{H: h, W: w, Counts: rb.counts()}, nil
}

// EncodeRowMajor is Encode for a mask in row-major order (m[y*w+x], the
// layout of images).
func EncodeRowMajor(m []byte, h, w int) (RLE, error) {
	if err := checkSize(h, w); err != nil {
		return RLE{}, err
	}
	if len(m) != h*w {
		return RLE{}, fmt.Errorf("mask: EncodeRowMajor got %d bytes for a %dx%d mask", len(m), h, w)
	}
	var rb runBuilder
	for x := 0; x < w; x++ {
		for i := x; i < len(m); i += w {
			rb.add(m[i])
		}
	}
	return RLE{H: h, W: w, Counts: rb.counts()}, nil
}

// runBuilder turns a stream of mask values, in column-major order, into
// RLE counts: runs of 0s and 1s alternating, starting with 0s (a leading
// run of length 0 when the first value is foreground). Any non-zero value
// is foreground.
type runBuilder struct {
	cnts []uint32
	prev byte   // value of the current run, 0 or 1
	run  uint32 // its length so far
}

func (b *runBuilder) add(v byte) {
	if v != 0 {
		v = 1
	}
	if v != b.prev {
		b.cnts = append(b.cnts, b.run)
		b.run, b.prev = 0, v
	}
	b.run++
}

// counts closes the last run and returns the counts.
func (b *runBuilder) counts() []uint32 {
	return append(b.cnts, b.run)
}

// Decode returns the mask in column-major order (m[x*h+y]), 1 for
// foreground and 0 for background.
func (r RLE) Decode() ([]byte, error) {
	if err := r.Validate(); err != nil {
		return nil, err
	}
	m := make([]byte, r.H*r.W)
	i := 0
	for j, c := range r.Counts {
		if j%2 == 1 {
			fill := m[i : i+int(c)]
			for k := range fill {
				fill[k] = 1
			}
		}
		i += int(c)
	}
	return m, nil
}

// DecodeRowMajor returns the mask in row-major order (m[y*w+x]).
func (r RLE) DecodeRowMajor() ([]byte, error) {
	if err := r.Validate(); err != nil {
		return nil, err
	}
	m := make([]byte, r.H*r.W)
	i := 0
	for j, c := range r.Counts {
		if j%2 == 1 {
			for k := i; k < i+int(c); k++ {
				x, y := k/r.H, k%r.H
				m[y*r.W+x] = 1
			}
		}
		i += int(c)
	}
	return m, nil
}
