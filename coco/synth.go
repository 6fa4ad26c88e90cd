package coco

import (
	"encoding/json"
	"fmt"
	"image"
	"image/jpeg"
	"image/png"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"sync"

	"github.com/disintegration/imaging"
	"github.com/gcdet/gcdet/coco/mask"
)

// The synthetic shapes data set: colored squares, circles, triangles and
// stars on smooth textured backgrounds, written as a real COCO data set
// (image files plus instances JSON). Shapes do not overlap, so each
// instance's polygon is its exact visible mask: the pixels painted are
// precisely those pycocotools' rasterization of the polygon gives
// (mask.FrPoly), and bbox and area come from that mask. Everything is a
// function of the seed: image k of a split draws from its own generator,
// so the files do not depend on the number of goroutines.

// SynthCategories are the shape classes, ids 1..4.
var SynthCategories = []Category{
	{ID: 1, Name: "square", Supercategory: "shape"},
	{ID: 2, Name: "circle", Supercategory: "shape"},
	{ID: 3, Name: "triangle", Supercategory: "shape"},
	{ID: 4, Name: "star", Supercategory: "shape"},
}

// SynthConfig describes a synthetic data set.
type SynthConfig struct {
	Seed       uint64
	Train, Val int // images per split
	// Size is the longest image side; each side is drawn from
	// [3*Size/4, Size], so both landscape and portrait images occur.
	Size int
	// MaxObjects per image (at least 1 is placed).
	MaxObjects int
	// Format is "jpeg" (quality 92) or "png".
	Format string
}

// DefaultSynth is the trainer's built-in data set: 256 train and 64 val
// images of at most 160 px with up to 4 shapes.
func DefaultSynth(seed uint64) SynthConfig {
	return SynthConfig{Seed: seed, Train: 256, Val: 64, Size: 160, MaxObjects: 4, Format: "jpeg"}
}

// SynthSplit is one written split.
type SynthSplit struct {
	Annotations string // instances JSON path
	Images      string // image folder
}

// SynthResult lists what GenerateSynth wrote.
type SynthResult struct {
	Train, Val SynthSplit
}

func (c SynthConfig) validate() error {
	if c.Train < 0 || c.Val < 0 || c.Train+c.Val == 0 {
		return fmt.Errorf("synth: need a positive number of images (train %d, val %d)", c.Train, c.Val)
	}
	if c.Size < 32 || c.Size > 4096 {
		return fmt.Errorf("synth: size %d outside 32..4096", c.Size)
	}
	if c.MaxObjects < 1 {
		return fmt.Errorf("synth: max objects %d must be >= 1", c.MaxObjects)
	}
	if c.Format != "jpeg" && c.Format != "png" {
		return fmt.Errorf("synth: format %q must be jpeg or png", c.Format)
	}
	return nil
}

// GenerateSynth writes the data set under dir: train/ and val/ image
// folders and annotations/instances_{train,val}.json.
func GenerateSynth(dir string, c SynthConfig) (*SynthResult, error) {
	if err := c.validate(); err != nil {
		return nil, err
	}
	res := &SynthResult{
		Train: SynthSplit{filepath.Join(dir, "annotations", "instances_train.json"), filepath.Join(dir, "train")},
		Val:   SynthSplit{filepath.Join(dir, "annotations", "instances_val.json"), filepath.Join(dir, "val")},
	}
	if err := os.MkdirAll(filepath.Join(dir, "annotations"), 0o755); err != nil {
		return nil, fmt.Errorf("synth: %w", err)
	}
	// Image and annotation ids are unique across the two splits.
	if err := writeSynthSplit(res.Train, c, 0, c.Train, 1); err != nil {
		return nil, err
	}
	if err := writeSynthSplit(res.Val, c, 1, c.Val, int64(c.Train)+1); err != nil {
		return nil, err
	}
	return res, nil
}

type synthImage struct {
	img  Image
	anns []Annotation
	err  error
}

func writeSynthSplit(sp SynthSplit, c SynthConfig, split uint64, n int, firstID int64) error {
	if err := os.MkdirAll(sp.Images, 0o755); err != nil {
		return fmt.Errorf("synth: %w", err)
	}
	ext := ".jpg"
	if c.Format == "png" {
		ext = ".png"
	}
	out := make([]synthImage, n)
	var wg sync.WaitGroup
	next := make(chan int)
	for w := 0; w < runtime.GOMAXPROCS(0); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := range next {
				id := firstID + int64(k)
				name := fmt.Sprintf("%012d%s", id, ext)
				rgb, anns, err := SynthImage(c, split, k)
				if err == nil {
					err = saveImage(filepath.Join(sp.Images, name), rgb, c.Format)
				}
				for j := range anns {
					anns[j].ImageID = id
				}
				out[k] = synthImage{img: Image{ID: id, FileName: name, Width: rgb.W, Height: rgb.H}, anns: anns, err: err}
			}
		}()
	}
	for k := 0; k < n; k++ {
		next <- k
	}
	close(next)
	wg.Wait()
	f := File{Info: &Info{Description: fmt.Sprintf("gcdet synthetic shapes, seed %d", c.Seed), Version: "1"},
		Categories: SynthCategories, Images: []Image{}, Annotations: []Annotation{}}
	annID := firstID * 100
	for _, si := range out {
		if si.err != nil {
			return fmt.Errorf("synth: image %d: %w", si.img.ID, si.err)
		}
		f.Images = append(f.Images, si.img)
		for _, a := range si.anns {
			a.ID = annID
			annID++
			f.Annotations = append(f.Annotations, a)
		}
	}
	b, err := json.Marshal(&f)
	if err != nil {
		return fmt.Errorf("synth: %w", err)
	}
	if err := os.WriteFile(sp.Annotations, b, 0o644); err != nil {
		return fmt.Errorf("synth: %w", err)
	}
	return nil
}

func saveImage(path string, m *RGB, format string) error {
	fh, err := os.Create(path)
	if err != nil {
		return err
	}
	if format == "png" {
		err = png.Encode(fh, m.Image())
	} else {
		err = jpeg.Encode(fh, m.Image(), &jpeg.Options{Quality: 92})
	}
	if cerr := fh.Close(); err == nil {
		err = cerr
	}
	return err
}

// SynthImage draws image k of a split (0 train, 1 val): the pixels and its
// annotations (ids and image id left 0).
func SynthImage(c SynthConfig, split uint64, k int) (*RGB, []Annotation, error) {
	r := rand.New(rand.NewPCG(c.Seed, split<<48|uint64(k)))
	lo := c.Size * 3 / 4
	w, h := lo+r.IntN(c.Size-lo+1), lo+r.IntN(c.Size-lo+1)
	img := synthBackground(r, w, h)
	n := 1 + r.IntN(c.MaxObjects)
	type disc struct{ x, y, rad float64 }
	var placed []disc
	var anns []Annotation
	for tries := 0; len(placed) < n && tries < 40*n; tries++ {
		short := float64(min(w, h))
		rad := short * (0.08 + 0.14*r.Float64())
		cx := rad + r.Float64()*(float64(w)-2*rad)
		cy := rad + r.Float64()*(float64(h)-2*rad)
		ok := true
		for _, p := range placed {
			if math.Hypot(cx-p.x, cy-p.y) < rad+p.rad+3 {
				ok = false
				break
			}
		}
		cat := SynthCategories[r.IntN(len(SynthCategories))]
		poly := shapePolygon(cat.ID, cx, cy, rad, r.Float64()*2*math.Pi)
		col := shapeColor(r)
		if !ok {
			continue
		}
		rle, err := mask.FrPoly(poly, h, w)
		if err != nil {
			return nil, nil, err
		}
		if rle.Area() < 16 {
			continue
		}
		m, err := rle.DecodeRowMajor()
		if err != nil {
			return nil, nil, err
		}
		paintMask(img, m, col, r)
		placed = append(placed, disc{cx, cy, rad})
		bb := rle.ToBBox()
		anns = append(anns, Annotation{CategoryID: cat.ID, BBox: bb[:], Area: float64(rle.Area()),
			Segmentation: &Segmentation{Polygons: [][]float64{poly}}})
	}
	return img, anns, nil
}

// shapePolygon returns the outline of shape cat centred at (cx, cy) with
// circumradius rad, rotated by rot; coordinates rounded to 0.01 px as COCO
// files have them.
func shapePolygon(cat int64, cx, cy, rad, rot float64) []float64 {
	var pts [][2]float64
	ring := func(n int, radius func(i int) float64, phase float64) {
		for i := 0; i < n; i++ {
			a := phase + 2*math.Pi*float64(i)/float64(n)
			pts = append(pts, [2]float64{cx + radius(i)*math.Cos(a), cy + radius(i)*math.Sin(a)})
		}
	}
	switch cat {
	case 1: // square
		ring(4, func(int) float64 { return rad }, rot)
	case 2: // circle
		ring(32, func(int) float64 { return rad }, 0)
	case 3: // triangle
		ring(3, func(int) float64 { return rad }, rot)
	default: // five-pointed star
		ring(10, func(i int) float64 {
			if i%2 == 1 {
				return rad * 0.45
			}
			return rad
		}, rot)
	}
	out := make([]float64, 0, 2*len(pts))
	for _, p := range pts {
		out = append(out, math.Round(p[0]*100)/100, math.Round(p[1]*100)/100)
	}
	return out
}

// shapeColor is a saturated color (HSV with s, v in [0.6, 1]).
func shapeColor(r *rand.Rand) [3]float64 {
	hue := r.Float64() * 6
	s := 0.6 + 0.4*r.Float64()
	v := 0.6 + 0.4*r.Float64()
	i := int(hue)
	f := hue - float64(i)
	p, q, t := v*(1-s), v*(1-s*f), v*(1-s*(1-f))
	var c [3]float64
	switch i % 6 {
	case 0:
		c = [3]float64{v, t, p}
	case 1:
		c = [3]float64{q, v, p}
	case 2:
		c = [3]float64{p, v, t}
	case 3:
		c = [3]float64{p, q, v}
	case 4:
		c = [3]float64{t, p, v}
	default:
		c = [3]float64{v, p, q}
	}
	for j := range c {
		c[j] *= 255
	}
	return c
}

// synthBackground is a low-saturation smooth texture: a coarse random grid
// upsampled with imaging's bilinear filter, plus a faint stripe pattern
// and per-pixel noise.
func synthBackground(r *rand.Rand, w, h int) *RGB {
	gw, gh := 2+r.IntN(5), 2+r.IntN(5)
	grid := image.NewNRGBA(image.Rect(0, 0, gw, gh))
	base := 60 + r.Float64()*120
	for i := 0; i < len(grid.Pix); i += 4 {
		g := base + (r.Float64()-0.5)*80
		for c := 0; c < 3; c++ {
			grid.Pix[i+c] = clampByte(g + (r.Float64()-0.5)*40)
		}
		grid.Pix[i+3] = 255
	}
	smooth := imaging.Resize(grid, w, h, imaging.Linear)
	img := NewRGB(w, h)
	freq := 0.05 + 0.25*r.Float64()
	angle := r.Float64() * math.Pi
	amp := 12 * r.Float64()
	ca, sa := math.Cos(angle), math.Sin(angle)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			stripe := amp * math.Sin(freq*(float64(x)*ca+float64(y)*sa))
			o := (y*w + x) * 3
			so := y*smooth.Stride + x*4
			n := (r.Float64() - 0.5) * 16
			for c := 0; c < 3; c++ {
				img.Pix[o+c] = clampByte(float64(smooth.Pix[so+c]) + stripe + n)
			}
		}
	}
	return img
}

// paintMask fills the mask's pixels with col plus light noise.
func paintMask(img *RGB, m []uint8, col [3]float64, r *rand.Rand) {
	for i, v := range m {
		if v == 0 {
			continue
		}
		n := (r.Float64() - 0.5) * 12
		for c := 0; c < 3; c++ {
			img.Pix[3*i+c] = clampByte(col[c] + n)
		}
	}
}

func clampByte(v float64) uint8 {
	if v <= 0 {
		return 0
	}
	if v >= 255 {
		return 255
	}
	return uint8(v + 0.5)
}
