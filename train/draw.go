package train

import (
	"context"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"os"
	"path/filepath"
	"strings"

	"github.com/gcdet/gcdet/coco"
	"github.com/gcdet/gcdet/detector"
	"github.com/gcdet/gcdet/heads/roi"
	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/fixed"
)

// palette gives each class a distinct color.
var palette = []color.NRGBA{
	{230, 25, 75, 255}, {60, 180, 75, 255}, {0, 130, 200, 255}, {245, 130, 48, 255}, {145, 30, 180, 255},
	{70, 240, 240, 255}, {240, 50, 230, 255}, {210, 245, 60, 255}, {250, 190, 212, 255}, {0, 128, 128, 255},
}

// DrawDetections draws the detections scoring at least thresh on img:
// the mask (tinted, outlined) when there is one, a 2-pixel box in the
// class's color and "name score" above it. names[k-1] names label k.
// Images smaller than 400 pixels are first enlarged (nearest neighbour,
// up to 4x) so the labels stay readable; the image drawn on is returned.
func DrawDetections(img *image.NRGBA, d roi.Detections, names []string, thresh float64) (*image.NRGBA, int) {
	s := 1
	if side := max(img.Rect.Dx(), img.Rect.Dy()); side > 0 && side < 400 {
		s = min(4, (400+side-1)/side)
	}
	orig := img
	if s > 1 {
		img = upscale(img, s)
	}
	drawn := 0
	for k := d.Len() - 1; k >= 0; k-- { // best last, on top
		if float64(d.Scores[k]) < thresh {
			continue
		}
		l := int(d.Labels[k])
		col := palette[(l-1+len(palette))%len(palette)]
		if k < len(d.Masks) && d.Masks[k].H == orig.Rect.Dy() && d.Masks[k].W == orig.Rect.Dx() {
			blendMask(img, d.Masks[k], col, s)
		}
		x1, y1, x2, y2 := d.Boxes.At(k)
		x1, y1, x2, y2 = x1*float32(s), y1*float32(s), x2*float32(s), y2*float32(s)
		rect(img, int(x1+0.5), int(y1+0.5), int(x2+0.5)-1, int(y2+0.5)-1, col)
		name := fmt.Sprintf("%d", l)
		if l >= 1 && l <= len(names) {
			name = names[l-1]
		}
		label(img, int(x1+0.5), int(y1+0.5), fmt.Sprintf("%s %.2f", name, d.Scores[k]), col)
		drawn++
	}
	return img, drawn
}

// upscale enlarges img s times with nearest-neighbour sampling.
func upscale(img *image.NRGBA, s int) *image.NRGBA {
	b := img.Rect
	out := image.NewNRGBA(image.Rect(0, 0, b.Dx()*s, b.Dy()*s))
	for y := 0; y < out.Rect.Dy(); y++ {
		for x := 0; x < out.Rect.Dx(); x++ {
			out.SetNRGBA(x, y, img.NRGBAAt(b.Min.X+x/s, b.Min.Y+y/s))
		}
	}
	return out
}

func rect(img *image.NRGBA, x1, y1, x2, y2 int, c color.NRGBA) {
	for t := 0; t < 2; t++ {
		for x := x1; x <= x2; x++ {
			set(img, x, y1+t, c)
			set(img, x, y2-t, c)
		}
		for y := y1; y <= y2; y++ {
			set(img, x1+t, y, c)
			set(img, x2-t, y, c)
		}
	}
}

func set(img *image.NRGBA, x, y int, c color.NRGBA) {
	if image.Pt(x, y).In(img.Rect) {
		img.SetNRGBA(x, y, c)
	}
}

// label writes text on a filled band of the class color above (or, at the
// top edge, inside) the box.
func label(img *image.NRGBA, x, y int, text string, c color.NRGBA) {
	face := basicfont.Face7x13
	w := font.MeasureString(face, text).Ceil() + 4
	h := 13
	top := y - h
	if top < 0 {
		top = y
	}
	band := image.Rect(x, top, x+w, top+h).Intersect(img.Rect)
	draw.Draw(img, band, &image.Uniform{c}, image.Point{}, draw.Src)
	d := font.Drawer{Dst: img, Src: image.NewUniform(color.White), Face: face,
		Dot: fixed.P(x+2, top+h-3)}
	d.DrawString(text)
}

// SavePNG writes img to path.
func SavePNG(path string, img image.Image) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := png.Encode(f, img); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// DrawPredictions draws m's predictions on the first n images of the
// evaluator's set into dir (PNG) and returns the files written.
func DrawPredictions(ctx context.Context, ev *Evaluator, m *detector.GeneralizedRCNN, n int, thresh float64, dir string) ([]string, error) {
	sub := *ev
	sub.Images = nil
	for i := 0; i < len(ev.DS.Images) && len(sub.Images) < n; i++ {
		if ev.Images == nil || i < len(ev.Images) {
			sub.Images = append(sub.Images, i)
		}
	}
	names := make([]string, len(ev.Categories))
	for i, c := range ev.Categories {
		names[i] = c.Name
	}
	var files []string
	err := sub.Predict(ctx, m, func(s *coco.Sample, d roi.Detections) error {
		rgb, err := coco.ReadImage(ev.DS.ImagePath(s.Index))
		if err != nil {
			return err
		}
		img, _ := DrawDetections(rgb.Image(), d, names, thresh)
		base := strings.TrimSuffix(filepath.Base(s.FileName), filepath.Ext(s.FileName))
		p := filepath.Join(dir, base+"_pred.png")
		if err := SavePNG(p, img); err != nil {
			return err
		}
		files = append(files, p)
		return nil
	})
	return files, err
}
