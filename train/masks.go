package train

import (
	"image"
	"image/color"

	"github.com/gcdet/gcdet/coco/mask"
)

// blendMask tints the pixels of m with c at 45% opacity and outlines
// them, on img, which is the mask's image enlarged s times; a mask of
// another size is skipped.
func blendMask(img *image.NRGBA, m mask.RLE, c color.NRGBA, s int) {
	b := img.Rect
	if m.H*s != b.Dy() || m.W*s != b.Dx() {
		return
	}
	bits, err := m.DecodeRowMajor()
	if err != nil {
		return
	}
	const a = 0.45
	for yy := 0; yy < b.Dy(); yy++ {
		for xx := 0; xx < b.Dx(); xx++ {
			x, y := xx/s, yy/s
			if bits[y*m.W+x] == 0 {
				continue
			}
			i := img.PixOffset(b.Min.X+xx, b.Min.Y+yy)
			p := img.Pix[i : i+3]
			edge := x == 0 || y == 0 || x == m.W-1 || y == m.H-1 ||
				(xx%s == 0 && bits[y*m.W+x-1] == 0) || (xx%s == s-1 && bits[y*m.W+x+1] == 0) ||
				(yy%s == 0 && bits[(y-1)*m.W+x] == 0) || (yy%s == s-1 && bits[(y+1)*m.W+x] == 0)
			if edge {
				p[0], p[1], p[2] = c.R, c.G, c.B
				continue
			}
			p[0] = uint8(float64(p[0])*(1-a) + float64(c.R)*a)
			p[1] = uint8(float64(p[1])*(1-a) + float64(c.G)*a)
			p[2] = uint8(float64(p[2])*(1-a) + float64(c.B)*a)
		}
	}
}
