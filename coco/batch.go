package coco

import "fmt"

// Batch is N samples padded into one N x 3 x H x W array, as detectron2's
// ImageList.from_tensors: H and W are the largest sample sizes rounded up
// to a multiple of the size divisibility, images sit at the top-left, and
// the padding is 0 (after normalization, as both detectron2 and
// torchvision pad).
type Batch struct {
	Samples []*Sample
	Images  []float32
	N, H, W int
}

// Collate pads samples into a batch whose sides are multiples of
// divisibility (1 or 0: no rounding). It moves each sample's pixels into
// the batch array (Sample.Image becomes nil) to halve peak memory.
func Collate(samples []*Sample, divisibility int) *Batch {
	if divisibility < 1 {
		divisibility = 1
	}
	b := &Batch{Samples: samples, N: len(samples)}
	for _, s := range samples {
		if len(s.Image) != 3*s.W*s.H {
			panic(fmt.Sprintf("coco.Collate: sample of image %d has %d values for 3x%dx%d", s.ImageID, len(s.Image), s.H, s.W))
		}
		b.H = max(b.H, s.H)
		b.W = max(b.W, s.W)
	}
	b.H = roundUp(b.H, divisibility)
	b.W = roundUp(b.W, divisibility)
	if b.N == 1 && samples[0].H == b.H && samples[0].W == b.W {
		// Nothing to pad: take the sample's array as it is.
		b.Images, samples[0].Image = samples[0].Image, nil
		return b
	}
	b.Images = make([]float32, b.N*3*b.H*b.W)
	for n, s := range samples {
		for c := 0; c < 3; c++ {
			src := s.Image[c*s.H*s.W:]
			dst := b.Images[(n*3+c)*b.H*b.W:]
			for y := 0; y < s.H; y++ {
				copy(dst[y*b.W:y*b.W+s.W], src[y*s.W:(y+1)*s.W])
			}
		}
		s.Image = nil
	}
	return b
}

func roundUp(v, m int) int { return (v + m - 1) / m * m }

// ImageSizes returns each sample's (height, width) inside the padded batch,
// as detectron2's ImageList.image_sizes.
func (b *Batch) ImageSizes() [][2]int {
	out := make([][2]int, len(b.Samples))
	for i, s := range b.Samples {
		out[i] = [2]int{s.H, s.W}
	}
	return out
}
