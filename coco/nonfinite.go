package coco

import (
	"bytes"
	"math"
)

// Python's json module writes float('nan') and the infinities as the bare
// tokens NaN, Infinity and -Infinity, which are not JSON. Rather than
// reject a whole file for one bad coordinate, Decode rewrites them (outside
// strings) to three sentinel denormal numbers no annotation tool produces,
// decodes, and turns the sentinels back into NaN and ±Inf, so that the
// problem is reported against the annotation that holds it.

const (
	nanSentinel    = 5e-324  // smallest denormal
	posInfSentinel = 1e-323  // twice it
	negInfSentinel = -1e-323 // minus that
)

var nonFiniteTokens = []struct{ tok, repl string }{
	{"-Infinity", "-1e-323"},
	{"Infinity", "1e-323"},
	{"NaN", "5e-324"},
}

// nonFiniteAt reports whether b[i:] starts with one of the tokens.
func nonFiniteAt(b []byte, i int) bool {
	for _, t := range nonFiniteTokens {
		if bytes.HasPrefix(b[i:], []byte(t.tok)) {
			return true
		}
	}
	// The scanner reports "-Infinity" at the 'I'.
	return i > 0 && b[i-1] == '-' && bytes.HasPrefix(b[i:], []byte("Infinity"))
}

// sanitizeNonFinite replaces the tokens outside strings.
func sanitizeNonFinite(b []byte) ([]byte, bool) {
	out := make([]byte, 0, len(b)+64)
	inStr, changed := false, false
	for i := 0; i < len(b); i++ {
		c := b[i]
		if inStr {
			out = append(out, c)
			if c == '\\' && i+1 < len(b) {
				i++
				out = append(out, b[i])
			} else if c == '"' {
				inStr = false
			}
			continue
		}
		if c == '"' {
			inStr = true
			out = append(out, c)
			continue
		}
		matched := false
		for _, t := range nonFiniteTokens {
			if c == t.tok[0] && bytes.HasPrefix(b[i:], []byte(t.tok)) {
				out = append(out, t.repl...)
				i += len(t.tok) - 1
				matched, changed = true, true
				break
			}
		}
		if !matched {
			out = append(out, c)
		}
	}
	return out, changed
}

func restoreValue(v *float64) {
	switch *v {
	case nanSentinel:
		*v = math.NaN()
	case posInfSentinel:
		*v = math.Inf(1)
	case negInfSentinel:
		*v = math.Inf(-1)
	}
}

// restoreNonFinite turns sentinels back into NaN and ±Inf in the numeric
// annotation fields.
func restoreNonFinite(f *File) {
	for i := range f.Annotations {
		a := &f.Annotations[i]
		for j := range a.BBox {
			restoreValue(&a.BBox[j])
		}
		restoreValue(&a.Area)
		if a.Segmentation != nil {
			for _, p := range a.Segmentation.Polygons {
				for j := range p {
					restoreValue(&p[j])
				}
			}
		}
	}
}
