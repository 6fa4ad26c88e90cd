package coco

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"os"
)

// RGB is an 8-bit RGB image, rows top to bottom, pixels interleaved
// (Pix[(y*W+x)*3+c], c = 0 red, 1 green, 2 blue).
type RGB struct {
	W, H int
	Pix  []uint8
}

// NewRGB allocates a black w x h image.
func NewRGB(w, h int) *RGB { return &RGB{W: w, H: h, Pix: make([]uint8, w*h*3)} }

// ReadImage decodes a JPEG or PNG file into RGB. Grayscale, CMYK (including
// Adobe's inverted CMYK JPEGs), paletted and 16-bit images are converted;
// alpha is dropped (pixels are taken as if composited on black, which is
// what PIL's convert("RGB") does for premultiplied-free data too).
func ReadImage(path string) (*RGB, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	im, err := DecodeImage(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return im, nil
}

// MaxImageSide bounds the width and height DecodeImage accepts, so that a
// corrupt header cannot ask for gigabytes.
const (
	MaxImageSide   = 1 << 14
	MaxImagePixels = 1 << 26
)

// DecodeImage decodes JPEG or PNG bytes (sniffed from the header) into RGB.
func DecodeImage(b []byte) (*RGB, error) {
	w, h, _, err := DecodeImageConfig(b)
	if err != nil {
		return nil, err
	}
	if w <= 0 || h <= 0 || w > MaxImageSide || h > MaxImageSide || w*h > MaxImagePixels {
		return nil, fmt.Errorf("image size %dx%d outside 1..%d per side or above %d pixels", w, h, MaxImageSide, MaxImagePixels)
	}
	var im image.Image
	switch {
	case len(b) >= 3 && b[0] == 0xff && b[1] == 0xd8 && b[2] == 0xff:
		im, err = jpeg.Decode(bytes.NewReader(b))
	case len(b) >= 8 && string(b[:8]) == "\x89PNG\r\n\x1a\n":
		im, err = png.Decode(bytes.NewReader(b))
	default:
		return nil, fmt.Errorf("not a JPEG or PNG file")
	}
	if err != nil {
		return nil, fmt.Errorf("decoding image: %w", err)
	}
	return ToRGB(im), nil
}

// DecodeImageConfig reads only the header: format and size.
func DecodeImageConfig(b []byte) (w, h int, format string, err error) {
	var cfg image.Config
	switch {
	case len(b) >= 3 && b[0] == 0xff && b[1] == 0xd8 && b[2] == 0xff:
		cfg, err = jpeg.DecodeConfig(bytes.NewReader(b))
		format = "jpeg"
	case len(b) >= 8 && string(b[:8]) == "\x89PNG\r\n\x1a\n":
		cfg, err = png.DecodeConfig(bytes.NewReader(b))
		format = "png"
	default:
		return 0, 0, "", fmt.Errorf("not a JPEG or PNG file")
	}
	if err != nil {
		return 0, 0, format, fmt.Errorf("decoding image header: %w", err)
	}
	return cfg.Width, cfg.Height, format, nil
}

// ToRGB converts any image to RGB, with fast paths for the types the
// standard decoders return.
func ToRGB(src image.Image) *RGB {
	r := src.Bounds()
	w, h := r.Dx(), r.Dy()
	out := NewRGB(w, h)
	p := out.Pix
	switch s := src.(type) {
	case *image.YCbCr:
		ycbcrToRGB(s, out)
	case *image.Gray:
		for y := 0; y < h; y++ {
			row := s.Pix[y*s.Stride : y*s.Stride+w]
			o := y * w * 3
			for _, v := range row {
				p[o], p[o+1], p[o+2] = v, v, v
				o += 3
			}
		}
	case *image.CMYK:
		for y := 0; y < h; y++ {
			row := s.Pix[y*s.Stride : y*s.Stride+4*w]
			o := y * w * 3
			for x := 0; x < w; x++ {
				rr, gg, bb := color.CMYKToRGB(row[4*x], row[4*x+1], row[4*x+2], row[4*x+3])
				p[o], p[o+1], p[o+2] = rr, gg, bb
				o += 3
			}
		}
	case *image.RGBA:
		// Premultiplied: composited on black already.
		dropAlpha(s.Pix, s.Stride, w, h, p)
	case *image.NRGBA:
		// Drop alpha without compositing, as PIL's convert("RGB").
		dropAlpha(s.Pix, s.Stride, w, h, p)
	default:
		o := 0
		for y := r.Min.Y; y < r.Max.Y; y++ {
			for x := r.Min.X; x < r.Max.X; x++ {
				c := color.NRGBAModel.Convert(src.At(x, y)).(color.NRGBA)
				p[o], p[o+1], p[o+2] = c.R, c.G, c.B
				o += 3
			}
		}
	}
	return out
}

// dropAlpha copies the RGB bytes of w x h RGBA-layout pixels (rows stride
// bytes apart) to the packed RGB array dst.
func dropAlpha(pix []uint8, stride, w, h int, dst []uint8) {
	for y := 0; y < h; y++ {
		row := pix[y*stride : y*stride+4*w]
		o := y * w * 3
		for x := 0; x < w; x++ {
			dst[o], dst[o+1], dst[o+2] = row[4*x], row[4*x+1], row[4*x+2]
			o += 3
		}
	}
}

// Image returns an *image.NRGBA copy (for saving or drawing).
func (m *RGB) Image() *image.NRGBA {
	out := image.NewNRGBA(image.Rect(0, 0, m.W, m.H))
	for i, j := 0, 0; i < len(m.Pix); i, j = i+3, j+4 {
		out.Pix[j], out.Pix[j+1], out.Pix[j+2], out.Pix[j+3] = m.Pix[i], m.Pix[i+1], m.Pix[i+2], 255
	}
	return out
}

// ycbcrToRGB converts with color.YCbCrToRGB's exact integer arithmetic,
// inlined, with the chroma column looked up from a per-image table.
func ycbcrToRGB(s *image.YCbCr, out *RGB) {
	r := s.Bounds()
	w, h := r.Dx(), r.Dy()
	cx := make([]int32, w)
	for x := range cx {
		cx[x] = int32(s.COffset(r.Min.X+x, r.Min.Y) - s.COffset(r.Min.X, r.Min.Y))
	}
	for y := 0; y < h; y++ {
		yrow := s.Y[s.YOffset(r.Min.X, r.Min.Y+y):]
		c0 := s.COffset(r.Min.X, r.Min.Y+y)
		cbrow, crrow := s.Cb[c0:], s.Cr[c0:]
		dst := out.Pix[y*w*3 : (y+1)*w*3]
		yrow = yrow[:w]
		for x, yv := range yrow {
			ci := cx[x]
			yy1 := int32(yv) * 0x10101
			cb1 := int32(cbrow[ci]) - 128
			cr1 := int32(crrow[ci]) - 128
			rr := yy1 + 91881*cr1
			if uint32(rr)&0xff000000 == 0 {
				rr >>= 16
			} else {
				rr = ^(rr >> 31)
			}
			gg := yy1 - 22554*cb1 - 46802*cr1
			if uint32(gg)&0xff000000 == 0 {
				gg >>= 16
			} else {
				gg = ^(gg >> 31)
			}
			bb := yy1 + 116130*cb1
			if uint32(bb)&0xff000000 == 0 {
				bb >>= 16
			} else {
				bb = ^(bb >> 31)
			}
			d := dst[3*x : 3*x+3]
			d[0], d[1], d[2] = uint8(rr), uint8(gg), uint8(bb)
		}
	}
}
