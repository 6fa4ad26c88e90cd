package coco

import (
	"fmt"
	"math/rand/v2"

	"github.com/gcdet/gcdet/coco/mask"
)

// Sample is one image ready for the model, as plain Go data.
//
// Image is 3 x H x W float32 (CHW, normalized as the PixelFormat says);
// Geometry maps between the file's pixels and these. Per instance i:
// Boxes[i] is XYXY in input pixels (clipped to the image), Labels[i] the
// contiguous label 1..K, Crowd[i] the iscrowd flag, AnnIDs[i] the COCO
// annotation id, and Masks[i] (only when masks were asked for) the
// instance mask in input pixels.
type Sample struct {
	// Index is the image's position in Dataset.Images.
	Index    int
	ImageID  int64
	FileName string
	Geometry
	Image  []float32
	Boxes  [][4]float32
	Labels []int32
	Crowd  []bool
	AnnIDs []int64
	Masks  []Mask
}

// Mask is an instance mask in model-input pixels: either polygons
// ([x1, y1, x2, y2, ...] lists, transformed like the boxes, for the
// polygon form of COCO segmentations) or, for RLE segmentations, a
// row-major H x W bitmap of 0/1 resized with nearest neighbour. A mask of
// an annotation without segmentation has neither.
type Mask struct {
	Polygons [][]float64
	Bitmap   []uint8
}

// SampleOptions selects what Dataset.Sample produces.
type SampleOptions struct {
	// Masks asks for instance masks.
	Masks bool
	// Strict makes any unusable annotation an error; otherwise such
	// annotations are left out and returned as dropped errors.
	Strict bool
	// DropCrowd leaves out iscrowd annotations (as detectron2 and
	// torchvision do for training); they are not reported as dropped.
	DropCrowd bool
}

// minBoxSide is detectron2's filter_empty_instances threshold: boxes
// thinner than this after transforming and clipping are dropped.
const minBoxSide = 1e-5

// Sample reads image i (a position in Images), applies tc with random
// choices drawn from rng (first the size index, then the flip, both always
// drawn so the stream does not depend on the configuration), and returns
// the sample. An unreadable image, or a size different from the JSON's, is
// an error naming the image id and file. Unusable annotations are an error
// when opts.Strict and are otherwise returned in dropped.
func (d *Dataset) Sample(i int, tc TransformConfig, opts SampleOptions, rng *rand.Rand) (s *Sample, dropped []error, err error) {
	if i < 0 || i >= len(d.Images) {
		panic(fmt.Sprintf("coco.Dataset.Sample: index %d outside 0..%d", i, len(d.Images)-1))
	}
	im := &d.Images[i]
	path := d.ImagePath(i)
	img, err := ReadImage(path)
	if err != nil {
		return nil, nil, fmt.Errorf("image %d (%s): %w", im.ID, im.FileName, err)
	}
	if (im.Width != 0 || im.Height != 0) && (img.W != im.Width || img.H != im.Height) {
		return nil, nil, fmt.Errorf("image %d (%s): file is %dx%d, JSON says %dx%d", im.ID, im.FileName, img.W, img.H, im.Width, im.Height)
	}
	return d.SampleFromImage(i, img, tc, opts, rng)
}

// SampleFromImage is Sample with the image already decoded.
func (d *Dataset) SampleFromImage(i int, img *RGB, tc TransformConfig, opts SampleOptions, rng *rand.Rand) (s *Sample, dropped []error, err error) {
	im := &d.Images[i]
	sizeIdx := rng.IntN(len(tc.MinSizes))
	flip := rng.Float64() < tc.FlipProb
	nh, nw := tc.Resize.OutputSize(img.H, img.W, tc.MinSizes[sizeIdx], tc.MaxSize)
	s = &Sample{
		Index: i, ImageID: im.ID, FileName: im.FileName,
		Geometry: Geometry{OrigW: img.W, OrigH: img.H, W: nw, H: nh, Flip: flip, Resize: tc.Resize},
	}
	s.Image = ResizeToCHWMode(img, nw, nh, flip, tc.Pixels, tc.Resize, nil)
	for _, ai := range d.imageAnns[i] {
		a := &d.Annotations[ai]
		if opts.DropCrowd && a.IsCrowd != 0 {
			continue
		}
		if err := d.Usable(a); err != nil {
			if opts.Strict {
				return nil, nil, err
			}
			dropped = append(dropped, err)
			continue
		}
		b := s.Geometry.Box(XYWHToXYXY(a.BBox))
		if b[2]-b[0] <= minBoxSide || b[3]-b[1] <= minBoxSide {
			err := fmt.Errorf("annotation %d (image %d): bbox %v lies outside the %dx%d image", a.ID, a.ImageID, a.BBox, img.W, img.H)
			if opts.Strict {
				return nil, nil, err
			}
			dropped = append(dropped, err)
			continue
		}
		var m Mask
		if opts.Masks && a.Segmentation != nil {
			m, err = s.Geometry.mask(a)
			if err != nil {
				if opts.Strict {
					return nil, nil, err
				}
				dropped = append(dropped, err)
				continue
			}
		}
		label, _ := d.Label(a.CategoryID)
		s.Boxes = append(s.Boxes, [4]float32{float32(b[0]), float32(b[1]), float32(b[2]), float32(b[3])})
		s.Labels = append(s.Labels, int32(label))
		s.Crowd = append(s.Crowd, a.IsCrowd != 0)
		s.AnnIDs = append(s.AnnIDs, a.ID)
		if opts.Masks {
			s.Masks = append(s.Masks, m)
		}
	}
	return s, dropped, nil
}

// mask transforms the segmentation of a (already checked by Usable).
func (g Geometry) mask(a *Annotation) (Mask, error) {
	seg := a.Segmentation
	if !seg.IsRLE {
		m := Mask{Polygons: make([][]float64, len(seg.Polygons))}
		for j, p := range seg.Polygons {
			m.Polygons[j] = g.Polygon(p)
		}
		return m, nil
	}
	r, err := mask.FrSegmentation(mask.Segmentation(*seg), g.OrigH, g.OrigW)
	if err != nil {
		return Mask{}, fmt.Errorf("annotation %d (image %d): %w", a.ID, a.ImageID, err)
	}
	m, err := r.DecodeRowMajor()
	if err != nil {
		return Mask{}, fmt.Errorf("annotation %d (image %d): %w", a.ID, a.ImageID, err)
	}
	return Mask{Bitmap: g.resizeBitmap(m)}, nil
}

// resizeBitmap maps a row-major OrigH x OrigW mask to H x W with nearest
// neighbour sampling, then mirrors it if Flip. detectron2 (PIL's NEAREST)
// samples source (i+0.5)*in/out; torchvision (F.interpolate "nearest")
// samples floor(i*in/out) with a float32 scale.
func (g Geometry) resizeBitmap(m []uint8) []uint8 {
	near := func(i, in, out int) int {
		if g.Resize == ResizeTorchvision {
			return min(int(float32(i)*(float32(in)/float32(out))), in-1)
		}
		return min(int((float64(i)+0.5)*float64(in)/float64(out)), in-1)
	}
	out := make([]uint8, g.W*g.H)
	sx := make([]int, g.W)
	for x := range sx {
		v := near(x, g.OrigW, g.W)
		if g.Flip {
			sx[g.W-1-x] = v
		} else {
			sx[x] = v
		}
	}
	for y := 0; y < g.H; y++ {
		syr := near(y, g.OrigH, g.H)
		src := m[syr*g.OrigW : (syr+1)*g.OrigW]
		dst := out[y*g.W : (y+1)*g.W]
		for x, v := range sx {
			dst[x] = src[v]
		}
	}
	return out
}

// RLE rasterizes the mask at the model-input size h x w (the sample's
// H and W): polygons with pycocotools' rule (mask.FrPolygons), bitmaps
// encoded as they are. A mask with neither gives an error.
func (m Mask) RLE(h, w int) (mask.RLE, error) {
	switch {
	case m.Bitmap != nil:
		if len(m.Bitmap) != h*w {
			return mask.RLE{}, fmt.Errorf("coco: bitmap has %d pixels, not %dx%d", len(m.Bitmap), h, w)
		}
		return mask.EncodeRowMajor(m.Bitmap, h, w)
	case len(m.Polygons) > 0:
		return mask.FrPolygons(m.Polygons, h, w)
	}
	return mask.RLE{}, fmt.Errorf("coco: empty instance mask")
}
