package eval

import (
	"fmt"
	"math"
	"os"
	"slices"
	"sync"

	"github.com/gcdet/gcdet/coco"
	"github.com/gcdet/gcdet/coco/mask"
)

// GT indexes ground truth for evaluation. It is safe for concurrent use by
// several Evaluate calls and caches the annotations' RLEs across them, so a
// trainer builds it once.
type GT struct {
	file     *coco.File
	imageIDs []int64          // sorted
	catIDs   []int64          // sorted, unique
	images   map[int64]int    // image id -> index in file.Images
	byImage  map[int64][]int  // image id -> annotation indices, file order
	catName  map[int64]string // category id -> name

	rleOnce  sync.Once
	rles     []mask.RLE   // per annotation, built on first segm evaluation
	rleBoxes [][4]float64 // their bounding boxes
	rleErr   error
}

// LoadGT reads a COCO instances JSON file.
func LoadGT(path string) (*GT, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("eval: ground truth: %w", err)
	}
	gt, err := ParseGT(b)
	if err != nil {
		return nil, fmt.Errorf("%w (in %s)", err, path)
	}
	return gt, nil
}

// ParseGT is LoadGT on the file's contents.
func ParseGT(b []byte) (*GT, error) {
	f, err := scanGT(b)
	if err != nil {
		return nil, err
	}
	return NewGT(f)
}

// NewGT indexes f, which must not change afterwards. It checks what the
// evaluation relies on: unique image and annotation ids, annotations on
// known images, finite boxes and areas.
func NewGT(f *coco.File) (*GT, error) {
	g := &GT{
		file:    f,
		images:  make(map[int64]int, len(f.Images)),
		byImage: make(map[int64][]int, len(f.Images)),
		catName: make(map[int64]string, len(f.Categories)),
	}
	for i, im := range f.Images {
		if _, dup := g.images[im.ID]; dup {
			return nil, fmt.Errorf("eval: ground truth: image id %d repeated", im.ID)
		}
		if im.Width < 0 || im.Height < 0 {
			return nil, fmt.Errorf("eval: ground truth: image %d has size %dx%d", im.ID, im.Width, im.Height)
		}
		g.images[im.ID] = i
		g.imageIDs = append(g.imageIDs, im.ID)
	}
	slices.Sort(g.imageIDs)
	for _, c := range f.Categories {
		if _, dup := g.catName[c.ID]; !dup {
			g.catIDs = append(g.catIDs, c.ID)
		}
		g.catName[c.ID] = c.Name
	}
	slices.Sort(g.catIDs)
	annIDs := make(map[int64]bool, len(f.Annotations))
	for i := range f.Annotations {
		a := &f.Annotations[i]
		if annIDs[a.ID] {
			return nil, fmt.Errorf("eval: ground truth: annotation id %d repeated", a.ID)
		}
		annIDs[a.ID] = true
		if _, ok := g.images[a.ImageID]; !ok {
			return nil, fmt.Errorf("eval: ground truth: annotation %d names image %d, which is not in images", a.ID, a.ImageID)
		}
		if len(a.BBox) != 4 {
			return nil, fmt.Errorf("eval: ground truth: annotation %d has bbox %v, want [x y w h]", a.ID, a.BBox)
		}
		for _, v := range append(slices.Clone(a.BBox), a.Area) {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, fmt.Errorf("eval: ground truth: annotation %d has a non-finite bbox or area", a.ID)
			}
		}
		g.byImage[a.ImageID] = append(g.byImage[a.ImageID], i)
	}
	return g, nil
}

// File returns the indexed ground truth.
func (g *GT) File() *coco.File { return g.file }

// ImageIDs returns the sorted image ids.
func (g *GT) ImageIDs() []int64 { return slices.Clone(g.imageIDs) }

// CatIDs returns the sorted category ids.
func (g *GT) CatIDs() []int64 { return slices.Clone(g.catIDs) }

// imageSize returns the image's height and width.
func (g *GT) imageSize(id int64) (h, w int, ok bool) {
	i, ok := g.images[id]
	if !ok {
		return 0, 0, false
	}
	im := &g.file.Images[i]
	return im.Height, im.Width, true
}

// segms converts every annotation's segmentation to an RLE as annToRLE
// does, once, in parallel.
func (g *GT) segms() ([]mask.RLE, error) {
	g.rleOnce.Do(func() {
		anns := g.file.Annotations
		rles := make([]mask.RLE, len(anns))
		errs := make([]error, len(anns))
		parallelFor(len(anns), func(i int) {
			a := &anns[i]
			if a.Segmentation == nil {
				errs[i] = fmt.Errorf("eval: ground truth: annotation %d (image %d) has no segmentation", a.ID, a.ImageID)
				return
			}
			h, w, _ := g.imageSize(a.ImageID)
			r, err := mask.FrSegmentation(mask.Segmentation(*a.Segmentation), h, w)
			if err != nil {
				errs[i] = fmt.Errorf("eval: ground truth: annotation %d (image %d): %w", a.ID, a.ImageID, err)
				return
			}
			rles[i] = r
		})
		for _, err := range errs {
			if err != nil {
				g.rleErr = err
				return
			}
		}
		g.rles = rles
		g.rleBoxes = make([][4]float64, len(rles))
		for i := range rles {
			g.rleBoxes[i] = rles[i].ToBBox()
		}
	})
	return g.rles, g.rleErr
}
